"""What the delivery layer reads off an ASGI scope: its origin, its connection, its target."""

from __future__ import annotations

from collections.abc import Hashable
from typing import NamedTuple

from h2push.contract import Scope
from h2push.delivery.navigation import wants_hints

__all__ = ["RequestHeaders", "connection_of", "from_browser", "request_origin", "target_of"]


class RequestHeaders(NamedTuple):
    """What the adapter needs of a request's headers, read in one pass."""

    host: str | None
    from_browser: bool
    wants_hints: bool

    @classmethod
    def read(cls, scope: Scope) -> RequestHeaders:
        headers = scope.get("headers", ())
        host = None
        browser = False
        for name, value in headers:
            if name == b"host":
                if host is None:  # the first, as request_origin() takes it
                    host = value.decode("latin-1").lower()
            elif name.startswith(b"sec-fetch-"):
                browser = True
        # Only a browser's request can be anything but a navigation.
        return cls(host, browser, not browser or wants_hints(headers))


def request_origin(scope: Scope) -> tuple[str, str | None]:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return scope.get("scheme", "http"), value.decode("latin-1").lower()
    return scope.get("scheme", "http"), None


def from_browser(scope: Scope) -> bool:
    """Every current browser sends ``Sec-Fetch-*`` headers, and refuses push: a
    push to it would be dropped by the server, yet count in the budget and digest."""
    return any(name.startswith(b"sec-fetch-") for name, _ in scope.get("headers", ()))


def connection_of(scope: Scope) -> Hashable:
    """The connection a request came on: its client address (any two-item iterable
    in ASGI; Daphne sends a list), or None where the server gives none."""
    client = scope.get("client")
    return tuple(client) if client is not None else None


def target_of(scope: Scope) -> str:
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    target: bytes = raw_path + b"?" + query if query else raw_path
    return target.decode("latin-1")
