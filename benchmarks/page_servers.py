"""Hypercorn servers for the page benchmarks: :mod:`benchmarks.servers`' way of
starting them (TLS, HTTP/2, one worker, a socket handed over), with the settings of
:mod:`benchmarks.page_settings` and the applications of :mod:`benchmarks.page_asgi`.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.report import log
from benchmarks.servers import Server, start_hypercorn, wait_ready
from h2push.server.devcert import ensure_dev_certificate

__all__ = ["PageServer", "Site", "page_servers"]

SETTINGS = "benchmarks.page_settings"


@dataclass(frozen=True)
class PageServer:
    """One server to start: its ``H2PUSH_BENCH_VARIANT``, application, and more
    environment (``{workdir}`` in a value is the servers' temporary folder)."""

    variant: str
    app: str  # an application of benchmarks.page_asgi
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Site:
    """The running servers, and the certificate they share."""

    servers: dict[str, Server]
    workdir: Path
    certfile: Path
    keyfile: Path


def start(name: str, spec: PageServer, workdir: Path, cert: tuple[Path, Path]) -> Server:
    extra = {
        "H2PUSH_BENCH_VARIANT": spec.variant,
        **{key: value.format(workdir=workdir) for key, value in spec.env.items()},
    }
    return start_hypercorn(name, f"benchmarks.page_asgi:{spec.app}", workdir, cert, SETTINGS, extra)


@contextlib.contextmanager
def page_servers(specs: Mapping[str, PageServer], ready_path: str) -> Iterator[Site]:
    """Run a server per name with a throwaway certificate in a temporary folder;
    stop them all, by process group, on leaving."""
    with tempfile.TemporaryDirectory(prefix="h2push-bench-") as tmp:
        workdir = Path(tmp)
        info = ensure_dev_certificate(workdir / "cert")
        servers: dict[str, Server] = {}
        try:
            for name, spec in specs.items():
                servers[name] = start(name, spec, workdir, (info.certfile, info.keyfile))
            for server in servers.values():
                wait_ready(server, ready_path)
                log(f"  {server.name}: pid {server.process.pid}, {server.process.url()}")
            yield Site(servers, workdir, info.certfile, info.keyfile)
        finally:
            for server in servers.values():
                server.process.stop()
