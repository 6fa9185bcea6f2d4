"""A throwaway Redis for the tests: Debian's ``redis-server`` on a loopback port.

No pytest and no Django here (the fixture is in ``tests/e2e/conftest.py``)::

    redis = RedisServer(tmp_path / "redis")
    redis.start()                  # returns once it answers PING
    redis.url                      # "redis://127.0.0.1:PORT/0", for a Django cache
    redis.stop()                   # an outage: the port refuses connections
    redis.start()                  # back on the same port, empty
    redis.stop()

It keeps nothing on disk (``--save ""``, ``--appendonly no``), so every start is
empty, and runs through :func:`harness.processes.launch` like every other
server the tests start: its own session, output in files, stopped by process group.
"""

from __future__ import annotations

import shutil
import signal
import socket
import time
from pathlib import Path

from harness.constants import START_TIMEOUT
from harness.processes import (
    ServerDied,
    ServerProcess,
    find_free_port,
    launch,
    server_env,
)

__all__ = ["RedisServer", "redis_server_binary"]

HOST = "127.0.0.1"
# A free port can be taken by someone else between choosing and binding it.
FIRST_START_ATTEMPTS = 3


def redis_server_binary() -> str:
    """The path of ``redis-server``, or an error that says how to install it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed: run "
            "`bash scripts/setup.sh chromium nghttp2-client redis-server` "
            "(scripts/test.sh does)"
        )
    return binary


def answers_ping(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """Whether a Redis on ``host:port`` answers ``PING`` (an inline command)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` that can be stopped and started again on the same port."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or find_free_port(HOST)
        self.process: ServerProcess | None = None
        self._starts = 0

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def running(self) -> bool:
        return self.process is not None and self.process.alive()

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start it (on its port) and return once it answers PING."""
        if self.running():
            raise RuntimeError(f"redis-server is already running on port {self.port}")
        # Only the very first start may move to another port: a restart must come
        # back where the clients that survived the outage will look for it.
        attempts = FIRST_START_ATTEMPTS if self._starts == 0 else 1
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
                return
            except ServerDied:
                if attempt + 1 == attempts:
                    raise
                self.port = find_free_port(HOST)

    def stop(self) -> None:
        """Stop it; its port then refuses connections. Does nothing if it is stopped."""
        if self.process is not None:
            # SIGTERM is redis-server's own shutdown; with --save "" it writes nothing.
            self.process.stop(signal.SIGTERM)
            self.process = None

    def log(self) -> str:
        """What the last start printed (its log goes to stdout)."""
        return "" if self.process is None else self.process.tail(50)

    def _argv(self) -> list[str]:
        return [
            redis_server_binary(),
            "--save",
            "",
            "--appendonly",
            "no",
            "--bind",
            HOST,
            "--port",
            str(self.port),
            "--dir",
            str(self.workdir),
            "--daemonize",
            "no",
        ]

    def _start_once(self, timeout: float) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._starts += 1
        self.process = launch(
            self._argv(),
            host=HOST,
            port=self.port,
            workdir=self.workdir,
            env=server_env(),
            cwd=self.workdir,
            name=f"redis-{self.port}-{self._starts}",
        )
        try:
            self.process.wait_until_ready(timeout)
            self._wait_for_pong(timeout)
        except ServerDied:
            self.stop()
            raise

    def _wait_for_pong(self, timeout: float) -> None:
        # Accepting TCP is not yet serving: a Redis loading its data answers LOADING.
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while not answers_ping(self.port):
            if not self.process.alive():
                raise ServerDied(f"redis-server exited:\n{self.process.tail()}")
            if time.monotonic() > deadline:
                raise ServerDied(f"redis-server never answered PING:\n{self.process.tail()}")
            time.sleep(0.05)
