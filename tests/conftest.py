"""Shared fixtures: real servers on loopback ports, started as subprocesses.

- ``h2server``: one ``manage.py runh2server 127.0.0.1:PORT --noreload`` for the whole
  session (per xdist worker), with its development certificate in a temporary
  folder. It yields a :class:`ServerProcess`: ``host``, ``port``, ``base_url``
  (``https://127.0.0.1:PORT``), ``url(path)``, ``certfile``, ``keyfile``, ``pid``,
  ``output()`` (stdout so far) and ``errors()`` (stderr so far).
- ``h2server_rsa``: another session server, given ``rsa_cert_pair`` as
  ``--certfile``/``--keyfile``.
- ``h2server_factory``: starts more of them (extra arguments, environment, settings,
  the autoreloader); each is stopped when the test ends.
- ``daphne_server`` / ``daphne_factory``: Daphne serving the test project over TLS
  (HTTP/2 by ALPN), for comparisons.
- ``rsa_cert_pair``: an RSA certificate and key for ``localhost``/``127.0.0.1``/``::1``
  (TLS tests need RSA to show non-ECDHE suites refused; Daphne can use it too).
- ``manage``: runs a management command to completion (``subprocess.CompletedProcess``).
- ``free_port``: a TCP port nothing listens on right now.

Every process starts in its own session (so a Ctrl-C in the terminal does not reach
it) and is stopped through its process group id: SIGINT, then SIGTERM, then SIGKILL.
No certificate is ever written into the repository or the user's home: ``HOME`` and
``XDG_DATA_HOME`` point into pytest's temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
MANAGE = REPO / "manage.py"
SETTINGS = "testproject.settings"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def find_free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at this moment (the kernel's choice)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def base_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a server subprocess: the test settings, unbuffered output,
    and a home folder of its own so nothing lands in the user's."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "PYTHONUNBUFFERED": "1",
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "DJANGO_RUNSERVER_HIDE_WARNING": "true",
        }
    )
    # pytest's own PYTHONPATH tweaks do not matter; the repo is the working directory.
    env.update(extra or {})
    return env


def wait_for_port(
    host: str, port: int, proc: subprocess.Popen[bytes] | None, timeout: float, describe: str = ""
) -> None:
    """Wait until ``host:port`` accepts TCP connections; fail early if ``proc`` died."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise ServerDied(f"{describe or 'server'} exited with status {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{describe or 'server'} did not listen on {host}:{port}")
        time.sleep(0.05)


class ServerDied(RuntimeError):
    pass


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> int:
    """Stop a process started with ``start_new_session=True`` and its children, by
    process group id: ``sig`` first, then SIGTERM, then SIGKILL. Returns its status."""
    for signum, wait in ((sig, STOP_TIMEOUT), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)
    # Children of a reloader (its server process) share the group: make sure none stays.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait()


@dataclass
class ServerProcess:
    """A server subprocess: where it listens and what it printed."""

    proc: subprocess.Popen[bytes]
    host: str
    port: int
    stdout_path: Path
    stderr_path: Path
    certfile: Path | None = None
    keyfile: Path | None = None
    cert_dir: Path | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def netloc(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:PORT`` (no trailing slash)."""
        return f"https://{self.netloc}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def output(self) -> str:
        """Everything it wrote to stdout so far (banner, access log)."""
        return self.stdout_path.read_text(errors="replace")

    def errors(self) -> str:
        """Everything it wrote to stderr so far."""
        return self.stderr_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Stop it (the whole process group) and return its exit status."""
        return stop_process(self.proc, sig)

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> None:
        try:
            wait_for_port(self.host, self.port, self.proc, timeout, " ".join(self.args))
        except (ServerDied, TimeoutError) as error:
            self.stop()
            raise ServerDied(
                f"{error}\n--- stdout\n{self.output()}\n--- stderr\n{self.errors()}"
            ) from None


def launch(
    argv: Sequence[str],
    *,
    host: str,
    port: int,
    workdir: Path,
    env: dict[str, str],
    popen_kwargs: Mapping[str, Any] | None = None,
) -> ServerProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    stamp = f"{port}-{time.monotonic_ns()}"
    stdout_path = workdir / f"stdout-{stamp}.txt"
    stderr_path = workdir / f"stderr-{stamp}.txt"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        proc = subprocess.Popen(
            list(argv),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
            **dict(popen_kwargs or {}),
        )
    return ServerProcess(proc, host, port, stdout_path, stderr_path, args=list(argv), env=dict(env))


class H2ServerFactory:
    """Starts ``manage.py runh2server`` subprocesses; ``close()`` stops them all.

    ``factory(*extra_args, host=, port=, reload=False, env=, settings=, cert_dir=,
    certfile=, keyfile=, wait=True, popen_kwargs=)``: without ``certfile`` the
    development certificate is made in ``cert_dir`` (a temporary folder by default).
    With ``wait`` it returns once the port accepts connections; if the port turned
    out to be taken (a race with another process), it retries on another one.
    """

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.servers: list[ServerProcess] = []

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
        server = launch(
            argv,
            host=host,
            port=port,
            workdir=self.tmp / "logs",
            env=base_env(self.tmp / "home", extra_env),
            popen_kwargs=popen_kwargs,
        )
        if certfile is None and keyfile is None:
            assert cert_dir is not None
            server.cert_dir = cert_dir
            server.certfile = cert_dir / "localhost.pem"
            server.keyfile = cert_dir / "localhost-key.pem"
        else:
            server.certfile, server.keyfile = certfile, keyfile
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()


class DaphneFactory:
    """Starts Daphne over TLS with the test project's ASGI application."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.servers: list[ServerProcess] = []

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
        server = launch(
            argv,
            host=host,
            port=port,
            workdir=self.tmp / "logs",
            env=base_env(self.tmp / "home", env),
        )
        server.certfile, server.keyfile = certfile, keyfile
        self.servers.append(server)
        server.wait_until_ready(timeout)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture
def free_port() -> int:
    return find_free_port()


@pytest.fixture(scope="session")
def rsa_cert_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(certfile, keyfile)``: a self-signed RSA 2048 pair for the loopback names."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from h2push.devcert import build_certificate, write_certificate, write_private_key

    folder = tmp_path_factory.mktemp("rsa")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certfile, keyfile = folder / "rsa-cert.pem", folder / "rsa-key.pem"
    write_private_key(keyfile, key)
    write_certificate(certfile, build_certificate(key))
    return certfile, keyfile


@pytest.fixture(scope="session")
def _session_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[H2ServerFactory]:
    factory = H2ServerFactory(tmp_path_factory.mktemp("h2server"))
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def h2server(_session_factory: H2ServerFactory) -> ServerProcess:
    """The session's ``runh2server 127.0.0.1:PORT --noreload`` with a fresh
    development certificate (made by this very start, in a folder of its own)."""
    return _session_factory(cert_dir=_session_factory.tmp / "h2server-devcert")


@pytest.fixture(scope="session")
def h2server_rsa(
    _session_factory: H2ServerFactory, rsa_cert_pair: tuple[Path, Path]
) -> ServerProcess:
    """A session runh2server serving the RSA pair given as ``--certfile``/``--keyfile``."""
    certfile, keyfile = rsa_cert_pair
    return _session_factory(certfile=certfile, keyfile=keyfile)


@pytest.fixture(scope="session")
def h2server_session_factory(_session_factory: H2ServerFactory) -> H2ServerFactory:
    """Like ``h2server_factory``, but its servers live until the session ends
    (for session-scoped fixtures of other modules)."""
    return _session_factory


@pytest.fixture
def h2server_factory(tmp_path: Path) -> Iterator[H2ServerFactory]:
    """Starts runh2server subprocesses that are stopped when the test ends."""
    factory = H2ServerFactory(tmp_path)
    yield factory
    factory.close()


@pytest.fixture
def daphne_factory(tmp_path: Path) -> Iterator[DaphneFactory]:
    factory = DaphneFactory(tmp_path)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def daphne_server(
    tmp_path_factory: pytest.TempPathFactory, rsa_cert_pair: tuple[Path, Path]
) -> Iterator[ServerProcess]:
    """Daphne serving ``testproject.asgi:application`` over TLS with the RSA pair."""
    factory = DaphneFactory(tmp_path_factory.mktemp("daphne"))
    server = factory(*rsa_cert_pair)
    yield server
    factory.close()


@pytest.fixture
def manage(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``manage(*args, env=None, settings=None, launcher=None, timeout=60, **popen_kwargs)``:
    run ``python manage.py *args`` to completion, output captured as text.

    ``launcher`` replaces ``[python, manage.py]`` (e.g. to run it under ``setpriv``).
    """

    def run(
        *args: str,
        env: Mapping[str, str] | None = None,
        settings: str | None = None,
        launcher: Sequence[str] | None = None,
        timeout: float = 60.0,
        **popen_kwargs: Any,
    ) -> subprocess.CompletedProcess[str]:
        extra = dict(env or {})
        if settings is not None:
            extra["DJANGO_SETTINGS_MODULE"] = settings
        popen_kwargs.setdefault("cwd", REPO)
        argv = list(launcher) if launcher is not None else [sys.executable, str(MANAGE)]
        return subprocess.run(
            [*argv, *args],
            env=base_env(tmp_path / "home", extra),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
            **popen_kwargs,
        )

    return run
