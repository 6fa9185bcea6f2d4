"""Which requests a 103 Early Hints response can serve, whatever the server."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["serves_navigation", "wants_hints"]


def wants_hints(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a 103 can serve a request with these (lower-case) headers.

    A browser acts on one only for a top-level navigation (``Sec-Fetch-Mode:
    navigate``, ``Sec-Fetch-Dest: document``); a client that sends neither (a tool,
    another HTTP/2 client) gets it too. A ``fetch()`` or an iframe would only waste
    it.
    """
    fields = dict(headers)
    return serves_navigation(fields.get(b"sec-fetch-mode"), fields.get(b"sec-fetch-dest"))


def serves_navigation(mode: bytes | None, dest: bytes | None) -> bool:
    """:func:`wants_hints` for a request's ``Sec-Fetch-Mode`` and ``Sec-Fetch-Dest``."""
    return mode in (None, b"navigate") and dest in (None, b"document")
