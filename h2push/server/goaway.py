"""A GOAWAY before Hypercorn closes an idle HTTP/2 connection itself.

Hypercorn 0.18 closes a connection that has been idle for ``keep_alive_timeout``
(and every idle connection when it shuts down) without a word: a client whose
request crosses the close cannot tell whether it was processed, and loses it.
RFC 9113 section 6.8 asks a server to send GOAWAY first, which tells the client
exactly which streams were seen, so it can retry the rest on a new connection.
``runh2server`` applies this to the Hypercorn it runs.

Where the patch sits matters. Hypercorn's asyncio ``TCPServer`` reports a failed
write by handling ``Closed()`` while it still holds its send lock; anything that
writes from inside that handling waits for the lock forever, and the connection's
cleanup never runs (its streams, tasks, threads and open files stay). So the GOAWAY
is sent only where the server itself decides to close, in
``TCPServer._initiate_server_close``, which runs in the idle timer's own task and
holds no lock. Peer closes and failed writes take Hypercorn's path untouched: there
is no one left to tell there anyway.
"""

from __future__ import annotations

import asyncio
import contextlib

from h2.connection import ConnectionState
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.protocol.h2 import H2Protocol

__all__ = ["GOAWAY_TIMEOUT", "say_goaway_before_closing"]

# Seconds the GOAWAY may take to reach the socket. Writing it normally takes no time;
# only a peer that stopped reading (full buffers, or the send lock held by a write
# stuck on it) makes it wait, and such a peer must not delay the close further.
GOAWAY_TIMEOUT = 1.0


def say_goaway_before_closing() -> None:
    """Make Hypercorn's asyncio server send GOAWAY before it closes an idle HTTP/2
    connection (applied once; later calls do nothing)."""
    original = TCPServer._initiate_server_close
    if getattr(original, "h2push_goaway", False):
        return

    async def _initiate_server_close(self: TCPServer) -> None:
        try:
            await _say_goaway(self)
        finally:
            # Whatever happened to the GOAWAY, Hypercorn's own close runs.
            await original(self)

    _initiate_server_close.h2push_goaway = True  # type: ignore[attr-defined]
    TCPServer._initiate_server_close = _initiate_server_close  # type: ignore[method-assign]


async def _say_goaway(server: TCPServer) -> None:
    """Queue a GOAWAY on ``server``'s HTTP/2 connection and write it, for at most
    :data:`GOAWAY_TIMEOUT` seconds. HTTP/1.1 connections have no GOAWAY, and one
    that was already sent or received (``keep_alive_max_requests``, a client that
    left) is not repeated."""
    # TCPServer.protocol is a ProtocolWrapper; the HTTP/2 or HTTP/1.1 one is inside.
    protocol = getattr(getattr(server, "protocol", None), "protocol", None)
    if not isinstance(protocol, H2Protocol) or protocol.closed:
        return
    if protocol.connection.state_machine.state is ConnectionState.CLOSED:
        return
    # A courtesy, never a reason to fail the close: the peer may be gone, or the
    # write may fail in ways Hypercorn's own close deals with anyway.
    with contextlib.suppress(Exception):
        protocol.connection.close_connection()
        await asyncio.wait_for(protocol._flush(), GOAWAY_TIMEOUT)
