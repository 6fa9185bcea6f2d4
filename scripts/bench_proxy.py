"""A userspace TCP delay proxy for ``scripts/benchmark.py early-hints``.

This kernel has no ``sch_netem``, so latency is added here: every chunk read from
one side is held ``delay`` milliseconds before it is written to the other side, in
both directions and in order, which adds ``2 * delay`` to the round trip. It limits
no bandwidth and drops nothing; TLS passes through untouched.

Run by the benchmark as a child process, on listening sockets the parent bound::

    python scripts/bench_proxy.py FD:TARGET_PORT:DELAY_MS [FD:TARGET_PORT:DELAY_MS ...]

It serves until it receives SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys

CHUNK = 65536


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def forward() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(forward())
    try:
        while True:
            data = await reader.read(CHUNK)
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                break
        await sender
    finally:
        sender.cancel()


async def _handle(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    target_port: int,
    delay: float,
) -> None:
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        client_writer.close()
        return
    for writer in (client_writer, server_writer):
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pumps = [
        asyncio.create_task(_pump(client_reader, server_writer, delay)),
        asyncio.create_task(_pump(server_reader, client_writer, delay)),
    ]
    try:
        # Both directions end at EOF; if one breaks, the connection is over.
        await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for pump in pumps:
            pump.cancel()
        for writer in (client_writer, server_writer):
            writer.close()
        await asyncio.gather(*pumps, return_exceptions=True)


async def serve(specs: list[tuple[socket.socket, int, float]]) -> None:
    """Serve each ``(listening socket, target port, delay in seconds)`` until a signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    servers = []
    for sock, target_port, delay in specs:

        async def handle(
            reader: asyncio.StreamReader,
            writer: asyncio.StreamWriter,
            target_port: int = target_port,
            delay: float = delay,
        ) -> None:
            await _handle(reader, writer, target_port, delay)

        servers.append(await asyncio.start_server(handle, sock=sock))
    await stop.wait()
    for server in servers:
        server.close()


def main(argv: list[str]) -> None:
    specs = []
    for arg in argv:
        fd, target_port, delay_ms = arg.split(":")
        sock = socket.socket(fileno=int(fd))
        specs.append((sock, int(target_port), float(delay_ms) / 1000.0))
    asyncio.run(serve(specs))


if __name__ == "__main__":
    main(sys.argv[1:])
