"""A GOAWAY before Hypercorn closes an HTTP/2 connection itself.

Hypercorn 0.18 closes a connection that has been idle for ``keep_alive_timeout``
without a word: a client whose request crosses the close cannot tell whether it was
processed, and loses it. RFC 9113 section 6.8 asks a server to send GOAWAY first,
which tells the client exactly which streams were seen, so it can retry the rest on
a new connection. ``runh2server`` applies this to the Hypercorn it runs.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypercorn.events import Closed
from hypercorn.protocol.h2 import H2Protocol

__all__ = ["say_goaway_before_closing"]


def say_goaway_before_closing() -> None:
    """Make every HTTP/2 connection Hypercorn closes send GOAWAY first (once)."""
    original = H2Protocol.handle
    if getattr(original, "h2push_goaway", False):
        return

    async def handle(self: H2Protocol, event: Any) -> None:
        if isinstance(event, Closed) and not self.closed:
            # The peer may be gone already (it closed first): then there is no one
            # to tell, and nothing to do about it.
            with contextlib.suppress(Exception):
                self.connection.close_connection()
                await self._flush()
        await original(self, event)

    handle.h2push_goaway = True  # type: ignore[attr-defined]
    H2Protocol.handle = handle  # type: ignore[method-assign]
