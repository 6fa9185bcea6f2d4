"""The benchmark servers: Hypercorn processes (TLS, HTTP/2, one worker) serving an
application of :mod:`benchmarks.asgi` under :mod:`benchmarks.settings`.

Every benchmark that runs Hypercorn starts it here, through :mod:`harness.processes`
(the same code the tests use), on a socket bound here and handed over, with h2push's
development certificate made in a temporary folder. Gunicorn behind Caddy (the
browser benchmark's variant d) comes from :mod:`harness.caddy_stack`.
:func:`delayed` puts a round-trip time between a client and any of them.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

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
from harness.proxy import spawn_proxy
from harness.report import log

__all__ = ["HOST", "Server", "ServerSpec", "Site", "bench_servers", "delayed", "run_servers"]

Key = TypeVar("Key", bound=Hashable)
Spec = TypeVar("Spec")

HOST = "127.0.0.1"
SETTINGS = "benchmarks.settings"
# Hypercorn ends an HTTP/2 connection after 1000 requests by default; h2load never
# reconnects, so its runs would stop short.
KEEP_ALIVE_MAX_REQUESTS = 100_000_000
READY_TIMEOUT = 90.0


@dataclass(frozen=True)
class ServerSpec:
    """One server to start: its ``H2PUSH_BENCH_VARIANT``, application, more
    environment (``{workdir}`` in a value is the servers' temporary folder) and more
    Hypercorn settings (``keep_alive_timeout``, say)."""

    variant: str
    app: str  # an application of benchmarks.asgi
    env: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, object] = field(default_factory=dict)


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


@dataclass
class Site:
    """The running servers, their folder, and the certificate they share."""

    servers: dict[str, Server]
    workdir: Path
    certfile: Path
    keyfile: Path


def start(name: str, spec: ServerSpec, workdir: Path, cert: tuple[Path, Path]) -> Server:
    """Start Hypercorn on a socket bound here and handed over (``fd://``), so no other
    process can take the port between choosing it and serving it."""
    extra = {
        "H2PUSH_BENCH_VARIANT": spec.variant,
        **{key: value.format(workdir=workdir) for key, value in spec.env.items()},
    }
    app = f"benchmarks.asgi:{spec.app}"
    return launch_hypercorn(name, app, SETTINGS, workdir, cert, extra, **spec.config)


def launch_hypercorn(
    name: str,
    app: str,
    settings: str,
    workdir: Path,
    cert: tuple[Path, Path],
    extra: dict[str, str],
    **config: object,
) -> Server:
    """Hypercorn serving ``app`` (``module:attribute``) with Django ``settings``, on a
    socket bound here and handed over; ``config`` adds to its TOML settings."""
    sock = listening_socket(HOST)
    try:
        certfile, keyfile = cert
        settings_toml = {"keep_alive_max_requests": KEEP_ALIVE_MAX_REQUESTS, "workers": 1}
        config_file = write_hypercorn_config(
            workdir / f"{name}.toml", sock, certfile, keyfile, **settings_toml, **config
        )
        process = launch(
            [sys.executable, "-m", "hypercorn", "-c", str(config_file), app],
            host=HOST,
            port=sock.getsockname()[1],
            workdir=workdir,
            env=server_env(settings=settings, pythonpath=[REPO], extra=extra),
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
def bench_servers(specs: Mapping[str, ServerSpec], ready_path: str) -> Iterator[Site]:
    """Run a server per name with a throwaway certificate in a temporary folder;
    stop them all, by process group, on leaving."""
    with run_servers(specs, ready_path, start) as site:
        yield site


@contextlib.contextmanager
def run_servers(
    specs: Mapping[str, Spec],
    ready_path: str,
    starter: Callable[[str, Spec, Path, tuple[Path, Path]], Server],
    prefix: str = "h2push-bench-",
    prepare: Callable[[Path], object] | None = None,
) -> Iterator[Site]:
    """Run ``starter(name, spec, workdir, (certfile, keyfile))`` per name in a
    temporary folder (first given to ``prepare``) with a throwaway certificate; wait
    for each to answer ``ready_path``; stop them all, by process group, on leaving."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        if prepare is not None:
            prepare(workdir)
        info = ensure_dev_certificate(workdir / "cert")
        servers: dict[str, Server] = {}
        try:
            for name, spec in specs.items():
                servers[name] = starter(name, spec, workdir, (info.certfile, info.keyfile))
            for server in servers.values():
                wait_ready(server, ready_path)
                log(f"  {server.name}: pid {server.process.pid}, {server.process.url()}")
            yield Site(servers, workdir, info.certfile, info.keyfile)
        finally:
            for server in servers.values():
                server.process.stop()


@contextlib.contextmanager
def delayed(routes: Mapping[Key, tuple[int, float]], workdir: Path) -> Iterator[dict[Key, int]]:
    """The port to reach each ``key: (server port, round-trip ms)`` through: one delay
    proxy process with a listener per route (half the RTT each way), or the server's
    own port for an RTT of 0. The proxy is a child process, so that it shares no GIL
    with the client whose timings it would otherwise disturb."""
    slow = [key for key, (_, rtt) in routes.items() if rtt > 0]
    ports = {key: port for key, (port, rtt) in routes.items() if rtt <= 0}
    if not slow:
        yield ports
        return
    proxy, listening = spawn_proxy([(routes[k][0], routes[k][1] / 2000) for k in slow], workdir)
    log(f"  delay proxy: pid {proxy.pid}, {len(slow)} listeners")
    try:
        ports.update(zip(slow, listening, strict=True))
        yield {key: ports[key] for key in routes}
    finally:
        proxy.stop()
