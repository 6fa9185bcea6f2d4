"""The processes the reliability run starts: ``manage.py runh2server`` and Redis.

The server is the test project under ``runh2server`` (Hypercorn in one process,
HTTP/2 over TLS), started through :class:`harness.servers.H2ServerFactory`
with a development certificate made by :mod:`h2push.server.devcert` in the run's temporary
folder, and settings :mod:`tests.stress.settings`. Everything listens on
127.0.0.1 and is stopped by process group.

Every client here verifies the server's certificate against that development
certificate (:mod:`harness.certificates`); the probe would not on loopback unless
given its ``cafile``.

Memory is the resident set (``VmRSS``) of the server and all its descendants, read
from ``/proc``; the server's log is read to count the tracebacks it printed.

Before a server is handed over it loads a burst of static files at once
(:func:`_warm_up`): Django serves each one in a thread of asyncio's default
executor (``sync_to_async(..., thread_sensitive=False)``), which starts threads as
requests overlap and then keeps them, so a part that ran first would otherwise seem
to have leaked them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from h2push.probe import H2Connection, ProbeError, fetch
from h2push.server.devcert import ensure_dev_certificate
from harness.certificates import cafile, verified
from harness.processes import ServerDied, ServerProcess, find_free_port, launch, server_env
from harness.servers import H2ServerFactory

__all__ = [
    "HOST",
    "SETTINGS",
    "dead_port",
    "log_counts",
    "redis_binary",
    "rss_kb",
    "run_redis",
    "run_server",
]

HOST = "127.0.0.1"
SETTINGS = "tests.stress.settings"
READY_PATH = "/decorated/"
READY_TIMEOUT = 90.0
WARM_UP_PAGES = ("/", "/decorated/", "/function/")
WARM_UP_FILES = ("/static/css/base.css", "/static/js/app.js")
# asyncio's default executor keeps up to min(32, CPUs + 4) threads; twice that many
# files asked for in one read are handed to it before any is done, which starts all
# the threads it will ever start.
WARM_UP_REQUESTS = 2 * min(32, (os.cpu_count() or 1) + 4)
# What the server logs when something went wrong: Django's and h2push's ERROR records
# (formatted by the settings' LOGGING), Hypercorn's ("ERROR: Error in ASGI
# Framework"), and asyncio's, which reach stderr unformatted through Python's
# last-resort handler ("Unhandled exception in client_connected_cb", ...).
ERROR_LINE = re.compile(
    r"^(?:ERROR|CRITICAL)\b|^Unhandled exception in|^Task exception was never retrieved"
    r"|^Exception in callback",
    re.MULTILINE,
)
WARNING_LINE = re.compile(r"^WARNING h2push\b", re.MULTILINE)


@contextlib.contextmanager
def run_server(
    workdir: Path, name: str, env: Mapping[str, str] | None = None
) -> Iterator[ServerProcess]:
    """``runh2server`` serving the test project until the block ends.

    ``--insecure`` serves the static files with ``DEBUG`` off; ``-v 0`` drops the
    access log (a line per request costs the server CPU the soak needs), while
    errors and tracebacks are still logged.
    """
    cert = ensure_dev_certificate(workdir / "cert")
    factory = H2ServerFactory(workdir / name)
    try:
        process = factory(
            "--insecure",
            "--verbosity",
            "0",
            host=HOST,
            env=env,
            settings=SETTINGS,
            certfile=cert.certfile,
            keyfile=cert.keyfile,
        )
        _wait_answering(process)
        _warm_up(process)
        yield process
    finally:
        factory.close()


def _wait_answering(process: ServerProcess) -> None:
    """Wait until a page gets an answer, whatever its status: the port accepts
    connections before Django is loaded, and a server whose pages fail (a dead
    store) must still be measured, not refused."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if not process.alive():
            raise ServerDied(f"runh2server exited:\n{process.tail()}")
        try:
            # An unverified certificate is raised at once, not waited out as "not yet".
            with verified(process):
                fetch(
                    process.url(READY_PATH), enable_push=False, timeout=30, cafile=cafile(process)
                )
            return
        except (OSError, ProbeError):
            if time.monotonic() > deadline:
                raise ServerDied(
                    f"runh2server did not answer within {READY_TIMEOUT:g} s:\n{process.tail()}"
                ) from None
            time.sleep(0.2)


def _warm_up(process: ServerProcess) -> None:
    """A few pages, then :data:`WARM_UP_REQUESTS` static files multiplexed on one
    connection; what they get is not judged (a dead store's server may answer the
    pages with errors)."""
    files = [WARM_UP_FILES[n % len(WARM_UP_FILES)] for n in range(WARM_UP_REQUESTS)]
    connection = H2Connection(
        process.host, process.port, enable_push=False, timeout=30, cafile=cafile(process)
    )
    # verified() inside suppress(): a certificate that fails is raised, not suppressed.
    with contextlib.suppress(OSError, ProbeError), verified(process), connection:
        connection.request_many(WARM_UP_PAGES)
        connection.request_many(files)


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                queue += [int(child) for child in (task / "children").read_text().split()]
    return found


def _own_rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0  # Gone, or a kernel thread: it holds no memory of ours.


def rss_kb(pid: int) -> int:
    """Resident kilobytes of ``pid`` and every process below it."""
    return sum(_own_rss_kb(each) for each in _descendants(pid))


def log_counts(text: str) -> tuple[int, int]:
    """Error records and h2push WARNINGs in a piece of the server's log."""
    return len(ERROR_LINE.findall(text)), len(WARNING_LINE.findall(text))


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def run_redis(workdir: Path, binary: str, timeout: float = 15.0) -> Iterator[ServerProcess]:
    """A Redis on a free loopback port that keeps nothing on disk; stopped (if it is
    still running) when the block ends. Stopping it earlier is the outage."""
    port = find_free_port(HOST)
    argv = [binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
    process = launch(
        argv, host=HOST, port=port, workdir=workdir, env=server_env(), name="redis", cwd=workdir
    )
    try:
        deadline = time.monotonic() + timeout
        while not _answers_ping(port):
            if not process.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer PING:\n{process.tail()}")
            time.sleep(0.05)
        yield process
    finally:
        process.stop(signal.SIGTERM)


def dead_port() -> int:
    """A loopback port nothing listens on (when no ``redis-server`` is installed)."""
    return find_free_port(HOST)
