"""The benchmark servers: Hypercorn processes (TLS, HTTP/2, one worker) serving an
application of :mod:`benchmarks.asgi` under the settings of :mod:`benchmarks.settings`.

Processes are started, stopped and measured by :mod:`harness.processes`, the
same code the tests use; the certificate is h2push's development certificate.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from benchmarks.report import log
from h2push.probe import ProbeError, fetch
from h2push.server.devcert import ensure_dev_certificate
from harness.constants import REPO
from harness.processes import (
    ServerDied,
    ServerProcess,
    launch,
    listening_socket,
    server_env,
    write_hypercorn_config,
)

__all__ = ["HOST", "Server", "bench_servers"]

HOST = "127.0.0.1"
SETTINGS = "benchmarks.settings"
# Hypercorn ends an HTTP/2 connection after 1000 requests by default; h2load never
# reconnects, so its runs would stop short.
KEEP_ALIVE_MAX_REQUESTS = 100_000_000
READY_TIMEOUT = 90.0


@dataclass
class Server:
    """One running benchmark server."""

    name: str
    process: ServerProcess

    @property
    def port(self) -> int:
        return self.process.port

    def cpu_seconds(self) -> float:
        """CPU seconds so far of Hypercorn's supervisor and its live children (the
        worker, multiprocessing's resource tracker)."""
        return self.process.cpu_seconds()


def start(name: str, variant: str, app: str, workdir: Path, cert: tuple[Path, Path]) -> Server:
    """Hypercorn serving ``benchmarks.asgi:<app>`` with the benchmark settings."""
    extra = {"H2PUSH_BENCH_VARIANT": variant}
    return start_hypercorn(name, f"benchmarks.asgi:{app}", workdir, cert, SETTINGS, extra)


def start_hypercorn(
    name: str,
    app_path: str,
    workdir: Path,
    cert: tuple[Path, Path],
    settings: str,
    extra_env: Mapping[str, str],
) -> Server:
    """Start Hypercorn on a socket bound here and handed over (``fd://``), so no other
    process can take the port between choosing it and serving it."""
    sock = listening_socket(HOST)
    try:
        config = write_hypercorn_config(
            workdir / f"{name}.toml",
            sock,
            *cert,
            keep_alive_max_requests=KEEP_ALIVE_MAX_REQUESTS,
            workers=1,
        )
        env = server_env(settings=settings, pythonpath=[REPO], extra=dict(extra_env))
        command = [sys.executable, "-m", "hypercorn", "-c", str(config), app_path]
        process = launch(
            command,
            host=HOST,
            port=sock.getsockname()[1],
            workdir=workdir,
            env=env,
            name=name,
            merge_output=True,
            pass_fds=[sock.fileno()],
        )
    finally:
        sock.close()
    return Server(name, process)


def wait_ready(server: Server, path: str, timeout: float = READY_TIMEOUT) -> None:
    """Wait for a 200 to ``path``. The port accepts connections from the start (the
    socket listens before Hypercorn runs), so only an answer shows it is serving."""
    deadline = time.monotonic() + timeout
    while True:
        if not server.process.alive():
            raise ServerDied(f"{server.name} server exited:\n{server.process.tail()}")
        try:
            answer = fetch(server.process.url(path), enable_push=False, timeout=30)
        except (OSError, ProbeError):
            if time.monotonic() > deadline:
                raise ServerDied(
                    f"{server.name} server did not answer within {timeout:g} s:\n"
                    f"{server.process.tail()}"
                ) from None
            time.sleep(0.2)
            continue
        if answer.status != 200:
            raise RuntimeError(f"{server.name} answered {path} with {answer.status}")
        return


@contextlib.contextmanager
def bench_servers(
    specs: Mapping[str, tuple[str, str]], ready_path: str
) -> Iterator[dict[str, Server]]:
    """Run a server per ``name: (H2PUSH_BENCH_VARIANT, application)`` with a throwaway
    certificate in a temporary folder; stop them all on leaving."""
    with tempfile.TemporaryDirectory(prefix="h2push-bench-") as tmp:
        workdir = Path(tmp)
        info = ensure_dev_certificate(workdir / "cert")
        servers: dict[str, Server] = {}
        try:
            for name, (variant, app) in specs.items():
                servers[name] = start(name, variant, app, workdir, (info.certfile, info.keyfile))
            for server in servers.values():
                wait_ready(server, ready_path)
                log(f"  {server.name}: pid {server.process.pid}, {server.process.url()}")
            yield servers
        finally:
            for server in servers.values():
                server.process.stop()
