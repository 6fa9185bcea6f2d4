"""The ASGI layer: turns a response's preload links into HTTP/2 server pushes.

It reads only the standard ``Link`` header of ``http.response.start`` (the same
contract nginx, h2o and CDNs read) and the scope, so it serves any ASGI app. A push
goes out only where the server advertises ``http.response.push``, for a GET or HEAD
answered 2xx, and before the response's own HEADERS frame: RFC 9113 section 8.4
asks for the PUSH_PROMISE before any frame that refers to the pushed resource, and
the page's ``Link`` header does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable

from h2push.linkheader import parse_link, split_links

__all__ = ["H2PushMiddleware", "get_asgi_application", "push_paths"]

Scope = dict[str, Any]
Message = dict[str, Any]

PUSH_EXTENSION = "http.response.push"


def _request_origin(scope: Scope) -> tuple[str, bytes | None]:
    host = None
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.lower()
            break
    return scope.get("scheme", "http"), host


def push_paths(link_headers: Iterable[bytes], scope: Scope) -> Iterator[str]:
    """The paths to push for a response with these ``link`` header values.

    Yields, once each and in order, the same-origin ``rel=preload`` targets not
    marked ``nopush``, as percent-encoded path plus query.
    """
    scheme, host = _request_origin(scope)
    seen: set[str] = set()
    for header in link_headers:
        try:
            text = header.decode("ascii")
        except UnicodeDecodeError:
            continue
        for value in split_links(text):
            link = parse_link(value)
            if link is None or not link.is_preload or link.nopush:
                continue
            path = _same_origin_path(link.url, scheme, host)
            if path is not None and path not in seen:
                seen.add(path)
                yield path


def _same_origin_path(url: str, scheme: str, host: bytes | None) -> str | None:
    # Anything but printable ASCII could not travel in the promise's :path anyway.
    if not url.isascii() or not url.isprintable() or " " in url:
        return None
    parts = urlsplit(url)
    if parts.scheme and parts.scheme.lower() != scheme:
        return None
    if parts.netloc and (host is None or parts.netloc.lower().encode() != host):
        return None
    if not parts.path.startswith("/"):
        # A relative reference would need the page's URL to resolve; such links
        # stay preload-only rather than risk pushing the wrong resource.
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class H2PushMiddleware:
    """Wraps an ASGI app so its preload links become HTTP/2 server pushes.

    ``copy_headers``: request headers each promised request copies (default: the
    ``H2PUSH_COPY_HEADERS`` setting). ``push``: turn pushing on or off (default:
    ``H2PUSH_ENABLED``). ``lifespan``: answer the ASGI lifespan protocol here, for
    apps such as Django's handler that reject it; pass ``False`` to forward it.
    """

    def __init__(
        self,
        app: Any,
        *,
        push: bool | None = None,
        copy_headers: Iterable[str] | None = None,
        lifespan: bool = True,
    ) -> None:
        self.app = app
        self._push = push
        self._copy_headers = (
            None if copy_headers is None else frozenset(n.lower().encode() for n in copy_headers)
        )
        self.answers_lifespan = lifespan

    @property
    def push_enabled(self) -> bool:
        if self._push is not None:
            return self._push
        from h2push.conf import conf

        return conf.H2PUSH_ENABLED

    @property
    def copy_headers(self) -> frozenset[bytes]:
        if self._copy_headers is not None:
            return self._copy_headers
        from h2push.conf import conf

        return frozenset(name.lower().encode() for name in conf.H2PUSH_COPY_HEADERS)

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        scope_type = scope["type"]
        if scope_type == "lifespan" and self.answers_lifespan:
            await answer_lifespan(receive, send)
            return
        if (
            scope_type != "http"
            or scope["method"] not in ("GET", "HEAD")
            or PUSH_EXTENSION not in (scope.get("extensions") or {})
            or not self.push_enabled
        ):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._pushing_send(scope, send))

    def _pushing_send(self, scope: Scope, send: ASGISendCallable) -> ASGISendCallable:
        copy_headers = self.copy_headers
        copied = [(n, v) for n, v in scope.get("headers", ()) if n in copy_headers]

        async def send_with_pushes(message: Any) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                links = [v for n, v in message.get("headers", ()) if n.lower() == b"link"]
                for path in push_paths(links, scope):
                    await send({"type": PUSH_EXTENSION, "path": path, "headers": copied})  # type: ignore[typeddict-item]
            await send(message)

        return send_with_pushes


async def answer_lifespan(receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    """Complete startup and shutdown at once: Django has nothing to run there."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def get_asgi_application() -> H2PushMiddleware:
    """Django's ASGI application wrapped in :class:`H2PushMiddleware`.

    A drop-in for ``django.core.asgi.get_asgi_application`` in ``asgi.py``.
    """
    from django.core.asgi import get_asgi_application as get_django_application

    return H2PushMiddleware(get_django_application())
