"""A userspace TCP proxy on loopback that delays every chunk by a fixed time.

This kernel has no ``sch_netem``, so latency between a browser and a local server
has to be added in userspace. Each chunk read from one side is written to the other
``delay`` seconds after it was read, in order, in both directions: a round trip
gains ``2 * delay``. Bytes are passed through untouched (TLS stays end to end).

Why the browser tests need it: on bare loopback a 103 Early Hints response that
arrives within about a millisecond of the request can be dropped by Chromium, which
is not reading the stream yet. A few milliseconds each way is still far less than a
real network adds.

Usage::

    with DelayProxy("127.0.0.1", server_port, delay=0.008) as proxy:
        browser.goto(f"https://127.0.0.1:{proxy.port}/")

The proxy runs its own event loop in a daemon thread; ``close()`` (or leaving the
``with`` block) stops it and closes every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from types import TracebackType
from typing import Self

__all__ = ["DelayProxy"]

_CHUNK = 65536
_EOF = b""


class DelayProxy:
    """Forwards ``127.0.0.1:<port>`` to ``upstream_host:upstream_port`` with a delay."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        delay: float = 0.008,
        listen_host: str = "127.0.0.1",
        start_timeout: float = 10.0,
    ) -> None:
        if delay < 0:
            raise ValueError("delay must be >= 0")
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.delay = delay
        self.listen_host = listen_host
        self.start_timeout = start_timeout
        self.port = 0
        #: ``time.monotonic()`` of each connection accepted, in order: a check that the
        #: traffic went through the proxy, and when the browser opened connections.
        self.accepted_at: list[float] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._error: BaseException | None = None

    @property
    def connections(self) -> int:
        """How many connections the proxy accepted so far."""
        return len(self.accepted_at)

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="browser-delay-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(self.start_timeout):
            raise TimeoutError(f"the delay proxy did not start within {self.start_timeout} s")
        if self._error is not None:
            raise RuntimeError(f"the delay proxy failed to start: {self._error!r}")
        return self

    def close(self, timeout: float = 5.0) -> None:
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopped.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- event loop ------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to start() if it happens early
            self._error = error
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._server = await asyncio.start_server(self._accept, self.listen_host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stopped.wait()
        finally:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()

    async def _accept(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.accepted_at.append(time.monotonic())
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
            await asyncio.gather(
                self._pipe(client_reader, upstream_writer),
                self._pipe(upstream_reader, client_writer),
            )
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    writer.close()
            self._tasks.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy ``reader`` to ``writer``, each chunk ``delay`` after it was read."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                wait = due - time.monotonic()
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
                    chunk = await reader.read(_CHUNK)
                except OSError:
                    chunk = _EOF
                await queue.put((time.monotonic() + self.delay, chunk))
                if chunk == _EOF:
                    break
            await delivery
        finally:
            delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await delivery
