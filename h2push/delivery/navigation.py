"""Which requests a 103 Early Hints response can serve, whatever the server."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["wants_hints"]


def wants_hints(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a 103 can serve a request with these (lower-case) headers.

    A browser acts on one only for a top-level navigation (``Sec-Fetch-Mode:
    navigate``, ``Sec-Fetch-Dest: document``); a client that sends neither (a tool,
    another HTTP/2 client) gets it too. A ``fetch()`` or an iframe would only waste
    it.
    """
    mode = dest = None
    for name, value in headers:
        if name == b"sec-fetch-mode":
            mode = value
        elif name == b"sec-fetch-dest":
            dest = value
    return mode in (None, b"navigate") and dest in (None, b"document")
