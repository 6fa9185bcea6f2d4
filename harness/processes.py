"""Server subprocesses for the tests and the benchmarks: start, wait, read, stop.

No pytest and no Django here, so scripts can use it as well as fixtures::

    from harness.processes import launch, server_env

    server = launch(
        [sys.executable, "-m", "hypercorn", "-b", f"127.0.0.1:{port}", "app:app"],
        host="127.0.0.1", port=port, workdir=tmp, env=server_env(settings="mysettings"),
    )
    server.wait_until_ready()          # its port accepts TCP connections
    ...
    server.stop()                      # SIGINT, SIGTERM, SIGKILL to its process group

What the pieces do:

- :func:`launch` starts a command in a session of its own (a Ctrl-C in the terminal
  does not reach it, and its children share its process group), with stdout and
  stderr written to files in ``workdir`` (or both to one file with ``merge_output``).
  It returns a :class:`ServerProcess`: ``output()``, ``errors()``, ``tail()``,
  ``alive()``, ``stop()``, ``wait_until_ready()``, ``cpu_seconds()``.
- :func:`listening_socket` binds and listens on a free port and lets a child inherit
  the descriptor (``pass_fds=[sock.fileno()]``, e.g. Hypercorn's ``fd://N``): no
  other process can take the port between choosing and serving it.
  :func:`write_hypercorn_config` writes the TOML file that serves such a socket.
- :func:`find_free_port` names a port that is free now (a race, but simpler).
- :func:`wait_for_port`, :func:`stop_process`, :func:`process_cpu_seconds` work on
  any ``subprocess.Popen``.
- :func:`server_env` is the environment of a child: a settings module, unbuffered
  output, optionally a private ``HOME`` and extra ``PYTHONPATH`` entries.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.constants import REPO, START_TIMEOUT, STOP_TIMEOUT

__all__ = [
    "ServerDied",
    "ServerProcess",
    "find_free_port",
    "launch",
    "listening_socket",
    "process_cpu_seconds",
    "server_env",
    "stop_process",
    "wait_for_port",
    "write_hypercorn_config",
]


class ServerDied(RuntimeError):
    """A server subprocess exited, or never listened, before it was ready."""


def find_free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at this moment (the kernel's choice)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def listening_socket(host: str = "127.0.0.1", backlog: int = 1024) -> socket.socket:
    """A socket listening on a free port, inheritable by a child process.

    Connections queue in the backlog until the child serves them. Close it in the
    parent once the child started, so a child that died refuses connections.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def write_hypercorn_config(
    path: Path, sock: socket.socket, certfile: Path, keyfile: Path, **settings: object
) -> Path:
    """Write a Hypercorn TOML config serving ``sock`` (``fd://``) over TLS.

    ``settings`` become more keys, e.g. ``workers=1`` or ``graceful_timeout=1``.
    """
    lines = [
        f'bind = ["fd://{sock.fileno()}"]',
        f'certfile = "{certfile}"',
        f'keyfile = "{keyfile}"',
    ]
    for key, value in settings.items():
        lines.append(f"{key} = {_toml_value(value)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_env(
    *,
    settings: str | None = None,
    home: Path | None = None,
    pythonpath: Iterable[Path | str] = (),
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """This process's environment for a child, with unbuffered output.

    ``settings`` sets ``DJANGO_SETTINGS_MODULE``; ``home`` (created) becomes ``HOME``
    and the root of ``XDG_DATA_HOME``, so nothing lands in the user's own folders;
    ``pythonpath`` entries go before any inherited ``PYTHONPATH``; ``extra`` last.
    """
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["DJANGO_RUNSERVER_HIDE_WARNING"] = "true"
    if settings is not None:
        env["DJANGO_SETTINGS_MODULE"] = settings
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        env["HOME"] = str(home)
        env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    paths = [str(path) for path in pythonpath]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join([*paths, *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra or {})
    return env


def wait_for_port(
    host: str,
    port: int,
    proc: subprocess.Popen[bytes] | None = None,
    timeout: float = START_TIMEOUT,
    describe: str = "",
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


def stop_process(
    proc: subprocess.Popen[bytes], first: int = signal.SIGINT, grace: float = STOP_TIMEOUT
) -> int:
    """Stop a process started in a session of its own, and its children, by process
    group: ``first``, then SIGTERM, then SIGKILL. Returns its exit status.

    ``grace`` is how long it gets after ``first``; the later signals get 5 seconds.
    """
    for signum, wait in ((first, grace), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)
    # A reloader's or supervisor's children share the group and may outlive it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait()


def process_cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of a process (Linux ``/proc``), 0 if it is gone.

    With ``children``, its live direct children are added (a Hypercorn supervisor's
    workers): ``/proc`` counts a child's time in its parent only once it was reaped.
    """
    total = _own_cpu_seconds(pid)
    if children:
        with contextlib.suppress(OSError):
            listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            total += sum(_own_cpu_seconds(int(child)) for child in listed)
    return total


def _own_cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name may hold spaces and parentheses: count fields after the last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        """Everything it wrote to stderr so far (stdout too if output was merged)."""
        return self.stderr_path.read_text(errors="replace")

    def tail(self, lines: int = 20) -> str:
        """The last ``lines`` of its output and errors, for a failure message."""
        texts = [self.output()]
        if self.stderr_path != self.stdout_path:
            texts.append(self.errors())
        return "\n".join("\n".join(t.splitlines()[-lines:]) for t in texts if t)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGINT, grace: float = STOP_TIMEOUT) -> int:
        """Stop it (the whole process group) and return its exit status."""
        return stop_process(self.proc, sig, grace)

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by it and its live direct children."""
        return process_cpu_seconds(self.proc.pid, children=True)

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Return once its port accepts connections; else stop it and raise
        :class:`ServerDied` with what it printed."""
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
    env: Mapping[str, str],
    cwd: Path = REPO,
    name: str | None = None,
    merge_output: bool = False,
    pass_fds: Sequence[int] = (),
    popen_kwargs: Mapping[str, Any] | None = None,
) -> ServerProcess:
    """Start ``argv`` in a session of its own, output to files in ``workdir``.

    The files are ``<name>.out``/``<name>.err`` (``<name>.log`` with
    ``merge_output``); without ``name``, one unique to this start. It does not
    wait: call ``wait_until_ready()`` or check readiness your own way.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    stem = name or f"server-{port}-{time.monotonic_ns()}"
    stdout_path = workdir / (f"{stem}.log" if merge_output else f"{stem}.out")
    stderr_path = stdout_path if merge_output else workdir / f"{stem}.err"
    with contextlib.ExitStack() as files:
        out = files.enter_context(stdout_path.open("wb"))
        err = subprocess.STDOUT if merge_output else files.enter_context(stderr_path.open("wb"))
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
            **dict(popen_kwargs or {}),
        )
    return ServerProcess(proc, host, port, stdout_path, stderr_path, args=list(argv), env=dict(env))
