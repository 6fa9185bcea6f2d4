"""A userspace TCP proxy on loopback that delays every chunk by a fixed time.

This kernel has no ``sch_netem``, so latency between a client and a local server is
added here: each chunk read from one side is written to the other ``delay`` seconds
after it was read, in order, in both directions, so a round trip gains
``2 * delay``. It limits no bandwidth, drops nothing and passes bytes through
untouched (TLS stays end to end).

Three ways to run it:

In this process, in a thread of its own (the browser tests)::

    with DelayProxy("127.0.0.1", server_port, delay=0.008) as proxy:
        browser.goto(f"https://127.0.0.1:{proxy.port}/")

As a child process with several listeners (the benchmarks, whose client must not
share a process, and a GIL, with the proxy)::

    process, ports = spawn_proxy([(server_port, 0.010), (other_port, 0.050)], workdir)
    ...                              # ports[i] forwards to routes[i]
    process.stop()

From the command line, on sockets a parent bound and passed down::

    python -m harness.proxy FD:TARGET_PORT:DELAY_MS [FD:TARGET_PORT:DELAY_MS ...]

which serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from harness.processes import ServerProcess, launch, listening_socket, server_env

__all__ = ["DelayProxy", "Route", "serve", "spawn_proxy"]

CHUNK = 65536
_EOF = b""


@dataclass(frozen=True)
class Route:
    """Where one listener forwards to, and the delay each way in seconds."""

    upstream_port: int
    delay: float
    upstream_host: str = "127.0.0.1"
    #: The local address the upstream connection comes from (``None``: the kernel's
    #: choice). Any ``127.0.0.N`` works on loopback: the server then sees each proxy
    #: as a client of its own address.
    source_host: str | None = None


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy ``reader`` to ``writer``, each chunk ``delay`` seconds after it was read."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, chunk = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if chunk == _EOF:
                if writer.can_write_eof():
                    with contextlib.suppress(OSError):
                        writer.write_eof()
                return
            writer.write(chunk)
            await writer.drain()

    delivery = asyncio.create_task(deliver())
    try:
        while True:
            try:
                chunk = await reader.read(CHUNK)
            except OSError:
                chunk = _EOF  # a reset is passed on as the end of the stream, late too
            queue.put_nowait((loop.time() + delay, chunk))
            if chunk == _EOF:
                break
        await delivery
    finally:
        delivery.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await delivery


def _no_delay(writer: asyncio.StreamWriter) -> None:
    # Nagle's algorithm would hold small writes back on top of the chosen delay.
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def _splice(
    client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter, route: Route
) -> None:
    """Serve one accepted connection: open the upstream one and relay both ways."""
    try:
        local_addr = None if route.source_host is None else (route.source_host, 0)
        upstream_reader, upstream_writer = await asyncio.open_connection(
            route.upstream_host, route.upstream_port, local_addr=local_addr
        )
    except OSError:
        client_writer.close()
        return
    writers = (client_writer, upstream_writer)
    for writer in writers:
        _no_delay(writer)
    relays = [
        asyncio.create_task(_relay(client_reader, upstream_writer, route.delay)),
        asyncio.create_task(_relay(upstream_reader, client_writer, route.delay)),
    ]
    try:
        # Both directions end at EOF; if one breaks, the connection is over.
        await asyncio.wait(relays, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in relays:
            task.cancel()
        for writer in writers:
            writer.close()
        await asyncio.gather(*relays, return_exceptions=True)


async def serve(
    listeners: Sequence[tuple[socket.socket, Route]],
    stop: asyncio.Event,
    on_accept: Callable[[], None] | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Proxy each listening socket to its route until ``stop`` is set, then close
    every connection. ``on_accept`` runs for each accepted connection."""
    tasks: set[asyncio.Task[None]] = set()

    def handler(
        route: Route,
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            if on_accept is not None:
                on_accept()
            try:
                await _splice(reader, writer, route)
            except asyncio.CancelledError:
                # Only serve() cancels these, at shutdown. Ending normally keeps
                # Python 3.11's stream callback from logging the cancellation.
                pass
            finally:
                tasks.discard(task)

        return handle

    servers = [await asyncio.start_server(handler(route), sock=sock) for sock, route in listeners]
    if on_ready is not None:
        on_ready()
    try:
        await stop.wait()
    finally:
        for server in servers:
            server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            await server.wait_closed()


class DelayProxy:
    """Forwards ``listen_host:<port>`` to ``upstream_host:upstream_port`` with a delay,
    from an event loop in a daemon thread; ``close()`` stops it. With ``source_host``
    its upstream connections come from that local address (one proxy per simulated
    client, each with an address of its own)."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        delay: float = 0.008,
        listen_host: str = "127.0.0.1",
        source_host: str | None = None,
        start_timeout: float = 10.0,
    ) -> None:
        if delay < 0:
            raise ValueError("delay must be >= 0")
        self.route = Route(upstream_port, delay, upstream_host, source_host)
        self.start_timeout = start_timeout
        self._sock = socket.create_server((listen_host, 0))
        self.port: int = self._sock.getsockname()[1]
        #: ``time.monotonic()`` of each connection accepted, in order: a check that the
        #: traffic went through the proxy, and when the client opened connections.
        self.accepted_at: list[float] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def connections(self) -> int:
        """How many connections the proxy accepted so far."""
        return len(self.accepted_at)

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="delay-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(self.start_timeout):
            raise TimeoutError(f"the delay proxy did not start within {self.start_timeout} s")
        if self._error is not None:
            raise RuntimeError(f"the delay proxy failed to start: {self._error!r}")
        return self

    def close(self, timeout: float = 5.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to start() if it happens early
            self._error = error
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await serve(
            [(self._sock, self.route)],
            self._stop,
            on_accept=lambda: self.accepted_at.append(time.monotonic()),
            on_ready=self._ready.set,
        )


def spawn_proxy(
    routes: Sequence[tuple[int, float]],
    workdir: Path,
    env: Mapping[str, str] | None = None,
) -> tuple[ServerProcess, list[int]]:
    """Start ``python -m harness.proxy`` with one listener per
    ``(upstream port on 127.0.0.1, delay in seconds)``.

    Returns the process (its output in ``workdir/proxy.log``; ``stop()`` it) and the
    listeners' ports, in the order of ``routes``. The sockets are bound here and
    passed down, so each port accepts connections as soon as this returns.
    """
    sockets = [listening_socket() for _ in routes]
    specs = [
        f"{sock.fileno()}:{port}:{delay * 1000:g}"
        for sock, (port, delay) in zip(sockets, routes, strict=True)
    ]
    try:
        process = launch(
            [sys.executable, "-m", "harness.proxy", *specs],
            host="127.0.0.1",
            port=sockets[0].getsockname()[1] if sockets else 0,
            workdir=workdir,
            env=server_env(extra=env),
            name="proxy",
            merge_output=True,
            pass_fds=[sock.fileno() for sock in sockets],
        )
        return process, [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


async def _serve_until_signal(listeners: list[tuple[socket.socket, Route]]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve(listeners, stop)


def main(argv: Sequence[str]) -> None:
    """``FD:TARGET_PORT:DELAY_MS`` arguments: inherited listening sockets."""
    listeners = []
    for arg in argv:
        fd, target_port, delay_ms = arg.split(":")
        sock = socket.socket(fileno=int(fd))
        listeners.append((sock, Route(int(target_port), float(delay_ms) / 1000.0)))
    asyncio.run(_serve_until_signal(listeners))


if __name__ == "__main__":
    main(sys.argv[1:])
