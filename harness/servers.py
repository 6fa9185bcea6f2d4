"""The servers the fixtures start: ``manage.py runh2server`` and Daphne, over TLS.

:class:`H2ServerFactory` and :class:`DaphneFactory` start them through
:mod:`harness.processes` with a private ``HOME`` under their temporary folder
(so no certificate lands in the user's), keep what they started, and stop it all
with ``close()``. :func:`run_manage` runs a management command to completion.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.constants import MANAGE, REPO, SETTINGS, START_TIMEOUT
from harness.processes import ServerDied, ServerProcess, find_free_port, launch, server_env


def project_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A server subprocess's environment: the test project's settings (unless
    ``extra`` names others) and ``home`` as its home folder."""
    return server_env(settings=SETTINGS, home=home, extra=extra)


class _ServerStarter:
    """What both factories do alike: launch a server with a private ``HOME`` under
    ``tmp`` and its logs in ``tmp/logs``, keep it, and stop them all in ``close()``."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.servers: list[ServerProcess] = []

    def _launch(
        self,
        argv: Sequence[str],
        *,
        host: str,
        port: int,
        env: Mapping[str, str] | None,
        popen_kwargs: Mapping[str, Any] | None = None,
    ) -> ServerProcess:
        server = launch(
            argv,
            host=host,
            port=port,
            workdir=self.tmp / "logs",
            env=project_env(self.tmp / "home", env),
            popen_kwargs=popen_kwargs,
        )
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()


class H2ServerFactory(_ServerStarter):
    """Starts ``manage.py runh2server`` subprocesses; ``close()`` stops them all.

    ``factory(*extra_args, host=, port=, reload=False, env=, settings=, cert_dir=,
    certfile=, keyfile=, wait=True, popen_kwargs=)``: without ``certfile`` the
    development certificate is made in ``cert_dir`` (a temporary folder by default).
    With ``wait`` it returns once the port accepts connections; if the port turned
    out to be taken (a race with another process), it retries on another one.
    """

    def __call__(
        self,
        *extra_args: str,
        host: str = "127.0.0.1",
        port: int | None = None,
        reload: bool = False,
        env: Mapping[str, str] | None = None,
        settings: str | None = None,
        cert_dir: Path | None = None,
        certfile: Path | None = None,
        keyfile: Path | None = None,
        wait: bool = True,
        timeout: float = START_TIMEOUT,
        popen_kwargs: Mapping[str, Any] | None = None,
    ) -> ServerProcess:
        attempts = 3 if port is None else 1
        for attempt in range(attempts):
            server = self._start(
                extra_args,
                host=host,
                port=port if port is not None else find_free_port(host),
                reload=reload,
                env=env,
                settings=settings,
                cert_dir=cert_dir,
                certfile=certfile,
                keyfile=keyfile,
                popen_kwargs=popen_kwargs,
            )
            if not wait:
                return server
            try:
                server.wait_until_ready(timeout)
                return server
            except ServerDied:
                if "already in use" in server.errors() and attempt + 1 < attempts:
                    continue
                raise
        raise AssertionError("unreachable")

    def _start(
        self,
        extra_args: Sequence[str],
        *,
        host: str,
        port: int,
        reload: bool,
        env: Mapping[str, str] | None,
        settings: str | None,
        cert_dir: Path | None,
        certfile: Path | None,
        keyfile: Path | None,
        popen_kwargs: Mapping[str, Any] | None,
    ) -> ServerProcess:
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        argv = [sys.executable, str(MANAGE), "runh2server", netloc]
        if not reload:
            argv.append("--noreload")
        if certfile is not None or keyfile is not None:
            if certfile is not None:
                argv += ["--certfile", str(certfile)]
            if keyfile is not None:
                argv += ["--keyfile", str(keyfile)]
        else:
            cert_dir = cert_dir or self.tmp / "devcert"
            argv += ["--cert-dir", str(cert_dir)]
        argv += list(extra_args)
        extra_env = dict(env or {})
        if settings is not None:
            extra_env["DJANGO_SETTINGS_MODULE"] = settings
        server = self._launch(argv, host=host, port=port, env=extra_env, popen_kwargs=popen_kwargs)
        if certfile is None and keyfile is None:
            assert cert_dir is not None
            server.cert_dir = cert_dir
            server.certfile = cert_dir / "localhost.pem"
            server.keyfile = cert_dir / "localhost-key.pem"
        else:
            server.certfile, server.keyfile = certfile, keyfile
        return server


class DaphneFactory(_ServerStarter):
    """Starts Daphne over TLS with the test project's ASGI application."""

    def __call__(
        self,
        certfile: Path,
        keyfile: Path,
        *,
        application: str = "testproject.asgi:application",
        host: str = "127.0.0.1",
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = START_TIMEOUT,
    ) -> ServerProcess:
        port = port if port is not None else find_free_port(host)

        def escape(value: object) -> str:
            return str(value).replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=")

        endpoint = (
            f"ssl:port={port}:interface={escape(host)}"
            f":privateKey={escape(keyfile)}:certKey={escape(certfile)}"
        )
        argv = [sys.executable, "-m", "daphne", "-e", endpoint, application]
        server = self._launch(argv, host=host, port=port, env=env)
        server.certfile, server.keyfile = certfile, keyfile
        server.wait_until_ready(timeout)
        return server


def run_manage(
    home: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    settings: str | None = None,
    launcher: Sequence[str] | None = None,
    timeout: float = 60.0,
    **popen_kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    """Run ``python manage.py *args`` to completion, output captured as text.

    ``launcher`` replaces ``[python, manage.py]`` (e.g. to run it under ``setpriv``).
    """
    extra = dict(env or {})
    if settings is not None:
        extra["DJANGO_SETTINGS_MODULE"] = settings
    popen_kwargs.setdefault("cwd", REPO)
    argv = list(launcher) if launcher is not None else [sys.executable, str(MANAGE)]
    return subprocess.run(
        [*argv, *args],
        env=project_env(home, extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
        **popen_kwargs,
    )
