"""The ASGI layer: turns a response's preload links into pushes and Early Hints.

It reads only the standard ``Link`` header of ``http.response.start`` (the same
contract nginx, h2o and CDNs read) and the scope, so it serves any ASGI app. A push
goes out only where the server advertises ``http.response.push``, for a GET or HEAD
answered 2xx, and before the response's own HEADERS frame: RFC 9113 section 8.4
asks for the PUSH_PROMISE before any frame that refers to the pushed resource, and
the page's ``Link`` header does.

Links known before the app answers reach this layer through the scope: the adapter
offers an async callable at ``scope["h2push.early_links"]`` that takes ``Link``
header values. It pushes the same-origin preloads among them at once, then sends
one 103 Early Hints response with them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from h2push import digest
from h2push.budget import PushBudget
from h2push.conf import conf
from h2push.linkheader import join_links, parse_link, split_links

__all__ = [
    "EARLY_LINKS_SCOPE_KEY",
    "H2PushMiddleware",
    "early_hint_links",
    "get_asgi_application",
    "push_paths",
]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PUSH_EXTENSION = "http.response.push"
EARLY_HINT_EXTENSION = "http.response.early_hint"
EARLY_LINKS_SCOPE_KEY = "h2push.early_links"


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
        for path in _header_push_paths(header, scheme, host):
            if path not in seen:
                seen.add(path)
                yield path


# A site's pages send the same few Link headers over and over: parse each once.
@lru_cache(maxsize=1024)
def _header_push_paths(header: bytes, scheme: str, host: bytes | None) -> tuple[str, ...]:
    try:
        text = header.decode("ascii")
    except UnicodeDecodeError:
        return ()
    paths = []
    for value in split_links(text):
        link = parse_link(value)
        if link is None or not link.is_preload or link.nopush:
            continue
        path = _same_origin_path(link.url, scheme, host)
        if path is not None:
            paths.append(path)
    return tuple(paths)


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


def early_hint_links(link_values: Iterable[str], scope: Scope) -> list[bytes]:
    """The values fit for a 103: same-origin preloads and preconnects, once each."""
    scheme, host = _request_origin(scope)
    return list(_early_hint_links(tuple(link_values), scheme, host))


@lru_cache(maxsize=1024)
def _early_hint_links(
    link_values: tuple[str, ...], scheme: str, host: bytes | None
) -> tuple[bytes, ...]:
    links: dict[bytes, None] = {}
    for value in link_values:
        link = parse_link(value)
        if link is None or not value.isascii() or not value.isprintable():
            continue
        if link.is_preload and _same_origin_path(link.url, scheme, host) is None:
            continue
        if link.is_preload or "preconnect" in link.rels:
            links.setdefault(value.encode(), None)
    return tuple(links)


def mark_nopush(link_headers: list[bytes], paths: set[str], scope: Scope) -> list[bytes]:
    """``link_headers`` with the preloads of ``paths`` marked ``nopush``."""
    scheme, host = _request_origin(scope)
    marked = []
    for header in link_headers:
        values = []
        for value in split_links(header.decode("latin-1")):
            link = parse_link(value)
            if (
                link is not None
                and link.is_preload
                and not link.nopush
                and _same_origin_path(link.url, scheme, host) in paths
            ):
                value += "; nopush"
            values.append(value)
        marked.append(join_links(values).encode("latin-1"))
    return marked


@lru_cache(maxsize=8)
def _header_names(names: tuple[str, ...]) -> frozenset[bytes]:
    return frozenset(name.lower().encode() for name in names)


class H2PushMiddleware:
    """Wraps an ASGI app so its preload links become HTTP/2 pushes and 103 hints.

    ``copy_headers``: request headers each promised request copies (default: the
    ``H2PUSH_COPY_HEADERS`` setting). ``push``: turn pushing on or off (default:
    ``H2PUSH_ENABLED``). ``lifespan``: answer the ASGI lifespan protocol here, for
    apps such as Django's handler that reject it; pass ``False`` to forward it.
    The other settings (Early Hints, push digest, push budget) are read from
    Django's settings through :mod:`h2push.conf`.
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
        self._copy_headers = None if copy_headers is None else _header_names(tuple(copy_headers))
        self.answers_lifespan = lifespan
        self._budget: PushBudget | None = None

    @property
    def push_enabled(self) -> bool:
        if self._push is not None:
            return self._push
        return conf.H2PUSH_ENABLED

    @property
    def copy_headers(self) -> frozenset[bytes]:
        if self._copy_headers is not None:
            return self._copy_headers
        return _header_names(conf.H2PUSH_COPY_HEADERS)

    @property
    def budget(self) -> PushBudget:
        limit = conf.H2PUSH_PUSH_BUDGET
        if self._budget is None or self._budget.limit != limit:
            self._budget = PushBudget(limit)
        return self._budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        if scope_type == "lifespan" and self.answers_lifespan:
            await answer_lifespan(receive, send)
            return
        if scope_type != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        extensions = scope.get("extensions") or {}
        can_push = PUSH_EXTENSION in extensions and self.push_enabled
        can_hint = (
            EARLY_HINT_EXTENSION in extensions
            and scope["method"] == "GET"
            and conf.H2PUSH_EARLY_HINTS
        )
        if not (can_push or can_hint):
            await self.app(scope, receive, send)
            return
        if can_push and self.budget.claim(_connection(scope), _target(scope)):
            # The promised request of one of our pushes: it holds a place in the
            # connection's budget until it has been answered.
            try:
                await self.app(scope, receive, send)
            finally:
                self.budget.release(_connection(scope))
            return
        exchange = _Exchange(self, scope, send, can_push=can_push, can_hint=can_hint)
        scope = {**scope, EARLY_LINKS_SCOPE_KEY: exchange.send_early_links}
        await self.app(scope, receive, exchange.send)


def _connection(scope: Scope) -> tuple[Any, ...] | None:
    """The connection a request came on: its client address (any two-item iterable
    in ASGI; Daphne sends a list)."""
    client = scope.get("client")
    return tuple(client) if client is not None else None


def _target(scope: Scope) -> str:
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    target: bytes = raw_path + b"?" + query if query else raw_path
    return target.decode("latin-1")


class _Exchange:
    """One request's pushes and hint: what was pushed, whether the 103 went out."""

    def __init__(
        self,
        middleware: H2PushMiddleware,
        scope: Scope,
        send: Send,
        *,
        can_push: bool,
        can_hint: bool,
    ) -> None:
        self.scope = scope
        self._send = send
        self.can_push = can_push
        self.can_hint = can_hint
        self.budget = middleware.budget
        self.copy_headers = middleware.copy_headers
        self._copied: list[tuple[bytes, bytes]] | None = None
        self.pushed: set[str] = set()
        self.started = self.hinted = False
        self.digest: list[int] | None = None
        self.digest_changed = False
        if can_push and conf.H2PUSH_PUSH_DIGEST:
            # HTTP/2 and HTTP/3 may split cookies over several headers.
            cookie = b"; ".join(v for n, v in scope.get("headers", ()) if n == b"cookie")
            self.digest = digest.decode(digest.read_cookie(cookie), _digest_key())

    @property
    def copied(self) -> list[tuple[bytes, bytes]]:
        """The request headers each promise carries; found at the first push only."""
        if self._copied is None:
            names = self.copy_headers
            self._copied = [(n, v) for n, v in self.scope.get("headers", ()) if n in names]
        return self._copied

    async def send_early_links(self, link_values: list[str]) -> None:
        """Push, then hint, links known before the response: once, before it starts."""
        if self.started or self.hinted:
            return
        if self.can_push:
            await self._push(push_paths([join_links(link_values).encode()], self.scope))
        if self.can_hint:
            links = early_hint_links(link_values, self.scope)
            if links:
                self.hinted = True
                await self._send({"type": EARLY_HINT_EXTENSION, "links": links})

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if self.can_push and 200 <= message["status"] < 300:
                message = await self._push_for_start(message)
        await self._send(message)

    async def _push_for_start(self, message: Message) -> Message:
        links = [v for n, v in message.get("headers", ()) if n.lower() == b"link"]
        if not links:
            return message
        skipped = await self._push(push_paths(links, self.scope))
        if not skipped and not self.digest_changed:
            return message
        headers = list(message.get("headers", ()))
        if skipped:
            others = [(n, v) for n, v in headers if n.lower() != b"link"]
            headers = others + [(b"link", v) for v in mark_nopush(links, skipped, self.scope)]
        if self.digest_changed and self.digest is not None:
            value = digest.encode(self.digest, _digest_key())
            headers.append((b"set-cookie", digest.set_cookie_value(value)))
        return {**message, "headers": headers}

    async def _push(self, paths: Iterable[str]) -> set[str]:
        """Push each path not pushed yet; returns those the digest says the client has."""
        skipped: set[str] = set()
        client = _connection(self.scope)
        for path in paths:
            if path in self.pushed:
                continue
            if self.digest is not None:
                entry = digest.path_hash(path)
                if entry in self.digest:
                    skipped.add(path)
                    continue
            if not self.budget.acquire(client, path):
                continue
            self.pushed.add(path)
            await self._send({"type": PUSH_EXTENSION, "path": path, "headers": self.copied})
            if self.digest is not None:
                self.digest.append(entry)
                self.digest_changed = True
        return skipped


def _digest_key() -> bytes:
    from django.conf import settings

    return _derived_key(settings.SECRET_KEY)


@lru_cache(maxsize=2)
def _derived_key(secret_key: str) -> bytes:
    from django.utils.crypto import salted_hmac

    return salted_hmac("h2push.digest", "key", secret=secret_key).digest()


async def answer_lifespan(receive: Receive, send: Send) -> None:
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
