"""What the delivery layer reads off an ASGI scope: its origin, its connection, its target."""

from __future__ import annotations

from collections.abc import Hashable
from typing import NamedTuple

from h2push.core.contract import Scope
from h2push.delivery.navigation import serves_navigation

__all__ = ["RequestHeaders", "connection_of", "request_origin", "target_of"]


class RequestHeaders(NamedTuple):
    """What the adapter needs of a request's headers, read in one pass.

    ``from_browser``: every current browser sends ``Sec-Fetch-*`` headers, and
    refuses push; a push to it would be dropped by the server, yet count in the
    budget and the digest. ``wants_hints``: see
    :func:`h2push.delivery.navigation.wants_hints`.
    """

    host: str | None
    from_browser: bool
    wants_hints: bool

    @classmethod
    def read(cls, scope: Scope) -> RequestHeaders:
        # A dict is built in C: quicker than a loop in Python over a browser's
        # fifteen or so headers. Of a header sent twice, the last counts.
        fields = dict(scope.get("headers", ()))
        host = fields.get(b"host")
        mode = fields.get(b"sec-fetch-mode")
        dest = fields.get(b"sec-fetch-dest")
        # Every current browser sends all three.
        browser = mode is not None or dest is not None or b"sec-fetch-site" in fields
        return cls(
            None if host is None else host.decode("latin-1").lower(),
            browser,
            serves_navigation(mode, dest),
        )


def request_origin(scope: Scope) -> tuple[str, str | None]:
    """The request's scheme and ``Host`` (lower case), if it has one."""
    return scope.get("scheme", "http"), RequestHeaders.read(scope).host


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
