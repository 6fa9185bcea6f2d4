"""Hypercorn with several workers serving the Early Hints test app, for the tests of
what those workers share (the learned store).

``tests.support.apps.early_asgi`` names the worker that answered each response in
``x-worker-pid``; :func:`running_worker_pids` reads which workers are serving from
Hypercorn's own log, so a test can tell when it has reached every one of them.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from harness.constants import EARLY_ASGI_APP, REPO, START_TIMEOUT
from harness.processes import ServerProcess, find_free_port, launch, server_env

__all__ = ["running_worker_pids", "start_workers", "wait_for_workers"]

# Hypercorn logs this line once per worker that accepts connections.
_RUNNING = re.compile(r"\[(\d+)\] \[INFO\] Running on")


def start_workers(
    tmp: Path,
    cert_pair: tuple[Path, Path],
    *,
    settings: str,
    extra_env: Mapping[str, str] | None = None,
    workers: int = 2,
) -> ServerProcess:
    """Start ``python -m hypercorn --workers N`` over TLS on a free loopback port with
    ``settings``; ``extra_env`` adds variables. Wait with :func:`wait_for_workers`."""
    certfile, keyfile = cert_pair
    port = find_free_port()
    # The workers import the test app by name: the repository must be on their path.
    extra = {"PYTHONPATH": str(REPO), **(extra_env or {})}
    argv = [
        *(sys.executable, "-m", "hypercorn", "--workers", str(workers)),
        *("--certfile", str(certfile), "--keyfile", str(keyfile)),
        *("-b", f"127.0.0.1:{port}", EARLY_ASGI_APP),
    ]
    env = server_env(settings=settings, home=tmp / "home", extra=extra)
    server = launch(argv, host="127.0.0.1", port=port, workdir=tmp, env=env)
    # What a client trusts for it (harness.certificates.cafile).
    server.certfile, server.keyfile = certfile, keyfile
    return server


def running_worker_pids(server: ServerProcess) -> set[int]:
    """The PIDs of the workers that logged "Running on": those accept connections."""
    return {int(pid) for pid in _RUNNING.findall(server.errors() + server.output())}


def wait_for_workers(server: ServerProcess, count: int = 2, timeout: float = START_TIMEOUT) -> None:
    """Return once ``count`` workers serve; fail with Hypercorn's errors otherwise."""
    deadline = time.monotonic() + timeout
    while len(running_worker_pids(server)) < count:
        if not server.alive():
            raise AssertionError(f"hypercorn exited:\n{server.errors()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"hypercorn did not start {count} workers:\n{server.errors()}")
        time.sleep(0.05)
