"""Gunicorn behind Caddy, started from the files in ``deploy/`` exactly as shipped.

The Deploying page's first two recipes are these two processes, and the tests behind
Caddy (end-to-end and browser) start them here::

    stack = start_stack(tmp, certfile, keyfile)            # Gunicorn under WSGI
    stack = start_stack(tmp, certfile, keyfile, worker=ASGI_WORKER)
    stack.url("/slow/declared/?ms=800")                   # https://127.0.0.1:PORT/...
    stack.access_log()                                    # Caddy's JSON lines so far
    stack.stop()

    gunicorn = start_gunicorn(workdir, env, workers=3)     # Gunicorn alone

What differs from a site is only what ``deploy/`` reads from the environment: the site
is ``https://127.0.0.1:PORT`` with a certificate the test made, both servers listen on
loopback ports of their own, static files are collected into the test's folder,
Gunicorn runs one worker (the in-process learned store is then the same for every
request, so "learned after two pages" is deterministic) and each process gets a
private ``HOME`` (Caddy's data and config folders; the shipped Gunicorn configuration
opens no control socket).

Debian's ``caddy`` package is needed (``scripts/test.sh`` installs it); it is run
directly, never as a system service.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from h2push.probe import ProbeError, fetch
from harness.certificates import cafile, verified
from harness.constants import MANAGE, REPO, START_TIMEOUT
from harness.processes import ServerDied, ServerProcess, find_free_port, launch, server_env

CADDY = "/usr/bin/caddy"
CADDYFILE = REPO / "deploy" / "Caddyfile"
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"
SETTINGS = "tests.support.apps.caddy_settings"


@dataclass(frozen=True)
class Worker:
    """How one Gunicorn recipe runs: extra arguments, the application, and whether
    the settings opt in to ``H2PUSH_EARLY_HINTS_AS_INFORMATIONAL``."""

    args: tuple[str, ...]
    application: str
    informational: bool


WSGI_WORKER = Worker((), "testproject.wsgi", informational=False)
# --threads 1: the ASGI worker warns about the config file's threads otherwise.
ASGI_WORKER = Worker(
    ("-k", "asgi", "--threads", "1"), "tests.support.apps.caddy_asgi:application", True
)

_ATTEMPTS = 3  # a port chosen free can be taken before the server binds it


@dataclass
class CaddyStack:
    """Caddy on ``https://127.0.0.1:<port>`` proxying to Gunicorn."""

    caddy: ServerProcess
    gunicorn: ServerProcess
    static_root: Path
    certfile: Path

    @property
    def host(self) -> str:
        return self.caddy.host

    @property
    def port(self) -> int:
        return self.caddy.port

    def url(self, path: str) -> str:
        return self.caddy.url(path)

    def access_log(self) -> list[dict[str, Any]]:
        """Caddy's access log so far: one dict per request it handled, in order."""
        entries = []
        for line in self.caddy.output().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if str(entry.get("logger", "")).startswith("http.log.access"):
                    entries.append(entry)
        return entries

    def tail(self) -> str:
        return f"--- gunicorn\n{self.gunicorn.tail()}\n--- caddy\n{self.caddy.tail(5)}"

    def stop(self) -> None:
        self.caddy.stop()
        self.gunicorn.stop()


def require_caddy() -> None:
    assert shutil.which(CADDY), f"{CADDY} is missing: scripts/test.sh installs Debian's caddy"


def start_stack(
    workdir: Path,
    certfile: Path,
    keyfile: Path,
    *,
    worker: Worker = WSGI_WORKER,
    settings: str = SETTINGS,
    env: Mapping[str, str] | None = None,
) -> CaddyStack:
    """Collect the static files, start Gunicorn, then Caddy in front of it; return once
    both accept connections. ``settings`` names the site's settings module (one that
    reads ``H2PUSH_TEST_STATIC_ROOT`` as :data:`SETTINGS` does) and ``env`` adds to
    the environment of Gunicorn and ``collectstatic``."""
    require_caddy()
    home = workdir / "home"
    static_root = collect_static(workdir / "static", home, settings, env)
    gunicorn = _start_gunicorn(workdir, home, static_root, worker, settings, env)
    try:
        caddy = _start_caddy(workdir, home, static_root, gunicorn.port, certfile, keyfile)
    except BaseException:
        gunicorn.stop()
        raise
    stack = CaddyStack(caddy, gunicorn, static_root, certfile)
    try:
        _wait_for_django(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def _wait_for_django(stack: CaddyStack, timeout: float = START_TIMEOUT) -> None:
    """Return once a page comes back through Caddy. Gunicorn listens before its
    worker has loaded Django; a timing test must not measure that load. The client
    verifies the certificate Caddy was given: one that fails is raised at once
    (:class:`harness.certificates.UntrustedCertificate`), not waited out."""
    deadline = time.monotonic() + timeout
    while True:
        for server in (stack.gunicorn, stack.caddy):
            # A worker that cannot import the site makes Gunicorn exit: say why now.
            if not server.alive():
                raise AssertionError(f"{server.stdout_path.stem} exited:\n{server.tail(40)}")
        try:
            with verified(stack):
                page = fetch(stack.url("/api/menu.json"), cafile=cafile(stack), timeout=5)
            if page.status == 200:
                return
        except ProbeError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no page through Caddy within {timeout} s\n{stack.tail()}")
        time.sleep(0.1)


def collect_static(
    static_root: Path,
    home: Path,
    settings: str = SETTINGS,
    env: Mapping[str, str] | None = None,
) -> Path:
    """``manage.py collectstatic`` into ``static_root``: what Caddy serves."""
    subprocess.run(
        [sys.executable, str(MANAGE), "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=REPO,
        env=_env(home, static_root, env, settings),
        stdin=subprocess.DEVNULL,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return static_root


def _env(
    home: Path,
    static_root: Path,
    extra: Mapping[str, str] | None = None,
    settings: str = SETTINGS,
) -> dict[str, str]:
    env = server_env(settings=settings, home=home, extra=extra)
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["H2PUSH_TEST_STATIC_ROOT"] = str(static_root)
    return env


def _start_gunicorn(
    workdir: Path,
    home: Path,
    static_root: Path,
    worker: Worker,
    settings: str = SETTINGS,
    extra: Mapping[str, str] | None = None,
) -> ServerProcess:
    informational = {"H2PUSH_TEST_INFORMATIONAL": "1" if worker.informational else "0"}
    env = _env(home, static_root, {**informational, **(extra or {})}, settings)
    return start_gunicorn(workdir, env, worker=worker)


def start_gunicorn(
    workdir: Path, env: Mapping[str, str], *, worker: Worker = WSGI_WORKER, workers: int = 1
) -> ServerProcess:
    """Gunicorn from ``deploy/gunicorn.conf.py`` as shipped, with ``workers`` worker
    processes, on a free loopback port, in the environment ``env`` (which names the
    settings); output in ``workdir/logs``. Returns once it listens: its workers may
    still be loading Django."""

    def prepare() -> tuple[int, list[str], dict[str, str]]:
        port = find_free_port()
        full_env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
        }
        argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), *worker.args]
        return port, [*argv, worker.application], full_env

    return _start_retrying("gunicorn", workdir, prepare)


def _start_caddy(
    workdir: Path, home: Path, static_root: Path, upstream: int, certfile: Path, keyfile: Path
) -> ServerProcess:
    def prepare() -> tuple[int, list[str], dict[str, str]]:
        port, http_port = find_free_port(), find_free_port()
        env = _env(
            home,
            static_root,
            {
                "SITE_ADDRESS": f"https://127.0.0.1:{port}",
                "CADDY_TLS": "files",
                "TLS_CERT": str(certfile),
                "TLS_KEY": str(keyfile),
                "STATIC_ROOT": str(static_root),
                "GUNICORN_BIND": f"127.0.0.1:{upstream}",
                "CADDY_BIND": "127.0.0.1",
                # The HTTP to HTTPS redirect listens too: on loopback, on a free port.
                "CADDY_HTTP_PORT": str(http_port),
            },
        )
        return port, [CADDY, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"], env

    return _start_retrying("caddy", workdir, prepare, cwd=workdir)


def _start_retrying(
    name: str,
    workdir: Path,
    prepare: Callable[[], tuple[int, list[str], dict[str, str]]],
    cwd: Path = REPO,
) -> ServerProcess:
    """Start what ``prepare()`` gives (its port, argv and environment) on loopback,
    output merged into ``workdir/logs``; with fresh ports from ``prepare()`` again when
    it lost the race for its port, up to ``_ATTEMPTS`` times."""
    for attempt in range(_ATTEMPTS):
        port, argv, env = prepare()
        server = launch(
            argv,
            host="127.0.0.1",
            port=port,
            workdir=workdir / "logs",
            env=env,
            cwd=cwd,
            name=f"{name}-{port}",
            merge_output=True,
        )
        if _ready(server, attempt):
            return server
    raise AssertionError("unreachable")


def _ready(server: ServerProcess, attempt: int) -> bool:
    """Whether ``server`` listens; False if it lost a race for its port (retry)."""
    try:
        server.wait_until_ready()
    except ServerDied:
        if "in use" in server.output() and attempt + 1 < _ATTEMPTS:
            return False
        raise
    return True
