"""The ASGI delivery path: a response's preload links become pushes and a 103.

It reads only the standard ``Link`` header of ``http.response.start`` (the same
contract nginx, h2o and CDNs read) and the scope, so it serves any ASGI app, and it
takes every option as a constructor argument. A push goes out only where the server
advertises ``http.response.push``, for a GET or HEAD answered 2xx, and before the
response's own HEADERS frame: RFC 9113 section 8.4 asks for the PUSH_PROMISE before
any frame that refers to the pushed resource, and the page's ``Link`` header does.

Links known before the app answers arrive through the early channel of
:mod:`h2push.contract`: the same-origin preloads among them are pushed at once, then
one 103 Early Hints response carries them.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache

from h2push import story as stories
from h2push.contract import (
    DEFAULT_COPY_HEADERS,
    EARLY_HINT_EXTENSION,
    EARLY_LINKS_SCOPE_KEY,
    PUSH_EXTENSION,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
)
from h2push.delivery import digest
from h2push.delivery.budget import PushBudget
from h2push.delivery.navigation import wants_hints
from h2push.lifespan import answer_lifespan
from h2push.linkheader import (
    MAX_HOST_LENGTH,
    early_hint_values,
    join_links,
    parse_link,
    same_origin_path,
    split_links,
)
from h2push.story import Fate, Reason, Story

__all__ = ["DeliveryMiddleware", "early_hint_links", "mark_nopush", "push_paths"]

logger = logging.getLogger("h2push")

# Gunicorn's ASGI worker takes a 103 as this message, before the response starts.
INFORMATIONAL = "http.response.informational"


_refusal_logged = False


def _log_refused_hint(error: Exception) -> None:
    global _refusal_logged
    if _refusal_logged:
        return  # once per process: the server will refuse it every time
    _refusal_logged = True
    logger.warning(
        "The server refused an http.response.informational 103 (%s: %s); turn "
        "H2PUSH_EARLY_HINTS_AS_INFORMATIONAL off for this server.",
        type(error).__name__,
        error,
    )


def _request_origin(scope: Scope) -> tuple[str, str | None]:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return scope.get("scheme", "http"), value.decode("latin-1").lower()
    return scope.get("scheme", "http"), None


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
def _header_push_paths(header: bytes, scheme: str, host: str | None) -> tuple[str, ...]:
    try:
        text = header.decode("ascii")
    except UnicodeDecodeError:
        return ()
    paths = []
    for value in split_links(text):
        link = parse_link(value)
        if link is None or not link.is_preload or link.nopush:
            continue
        path = same_origin_path(link.url, scheme, host)
        if path is not None:
            paths.append(path)
    return tuple(paths)


def early_hint_links(link_values: Iterable[str], scope: Scope) -> list[bytes]:
    """The values fit for this request's 103, encoded (see
    :func:`h2push.linkheader.early_hint_values`)."""
    scheme, host = _request_origin(scope)
    return [value.encode() for value in early_hint_values(link_values, scheme, host)]


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
                and same_origin_path(link.url, scheme, host) in paths
            ):
                value += "; nopush"
            values.append(value)
        marked.append(join_links(values).encode("latin-1"))
    return marked


# A promise carrying these would hand one request's credentials to another response.
NEVER_COPIED = frozenset({b"cookie", b"authorization", b"proxy-authorization"})
# What the copied headers of one promise may add up to: with the path and the host
# they must fit one HTTP/2 frame (16 KB unless the client allows more).
MAX_COPIED_BYTES = 4096


@lru_cache(maxsize=8)
def header_names(names: tuple[str, ...]) -> frozenset[bytes]:
    """Header names to copy as they appear in an ASGI scope (lower-case bytes),
    credentials left out whatever the caller asked."""
    return frozenset(name.lower().encode() for name in names) - NEVER_COPIED


def _from_browser(scope: Scope) -> bool:
    """Every current browser sends ``Sec-Fetch-*`` headers, and refuses push: a
    push to it would be dropped by the server, yet count in the budget and digest."""
    return any(name.startswith(b"sec-fetch-") for name, _ in scope.get("headers", ()))


class DeliveryMiddleware:
    """Wraps an ASGI app so its preload links become HTTP/2 pushes and 103 hints.

    - ``push``: push where the server can (the links stay in the header either way).
    - ``early_hints``: offer the early channel, so links known before the response
      are pushed and sent in a 103 while the app works.
    - ``copy_headers``: request headers each promised request copies.
    - ``push_budget``: pushes in flight per connection at most.
    - ``digest_key``: keep a signed cookie of what was pushed and skip those
      pushes next time; ``None`` turns the digest off.
    - ``informational_hints``: where the server advertises no early-hint
      extension, send the 103 as an ``http.response.informational`` message, which
      Gunicorn's ASGI worker accepts without advertising it. A server that refuses
      the message costs the request its hint, never its page.
    - ``lifespan``: answer the ASGI lifespan protocol here, for apps such as
      Django's handler that reject it; ``False`` forwards it.

    The options are read through properties, so a subclass can take them from
    elsewhere (:class:`h2push.asgi.H2PushMiddleware` reads Django's settings).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        push: bool = True,
        early_hints: bool = True,
        copy_headers: Iterable[str] = DEFAULT_COPY_HEADERS,
        push_budget: int = 32,
        digest_key: bytes | None = None,
        informational_hints: bool = False,
        lifespan: bool = True,
    ) -> None:
        self.app = app
        self.answers_lifespan = lifespan
        self._informational_hints = informational_hints
        self._push = push
        self._early_hints = early_hints
        self._copy_headers = header_names(tuple(copy_headers))
        self._push_budget = push_budget
        self._digest_key = digest_key
        self._budget: PushBudget | None = None

    @property
    def push_enabled(self) -> bool:
        return self._push

    @property
    def early_hints(self) -> bool:
        return self._early_hints

    @property
    def informational_hints(self) -> bool:
        return self._informational_hints

    @property
    def copy_headers(self) -> frozenset[bytes]:
        return self._copy_headers

    @property
    def digest_key(self) -> bytes | None:
        return self._digest_key

    @property
    def push_budget(self) -> int:
        return self._push_budget

    def _ways(self, scope: Scope, story: Story | None) -> tuple[bool, str | None]:
        """Whether this request can be pushed to, and the message that carries its 103."""
        extensions = scope.get("extensions") or {}
        no_push = _push_refusal(scope, extensions, self.push_enabled)
        early = scope["method"] == "GET" and self.early_hints
        hint_by = _hint_message(extensions, self.informational_hints) if early else None
        no_hint = _hint_refusal(scope, hint_by, early)
        if story is not None:
            for reason in (no_push, no_hint):
                if reason is not None:
                    story.reason(reason)
        return no_push is None, (hint_by if no_hint is None else None)

    @property
    def budget(self) -> PushBudget:
        """The connections' push budget; a new one if the limit changed."""
        limit = self.push_budget
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
        story = stories.begin(scope, scope["method"], scope["path"])
        try:
            await self._serve(scope, receive, send, story)
        finally:
            stories.tell(story)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, story: Story | None) -> None:
        can_push, hint_by = self._ways(scope, story)
        early = scope["method"] == "GET" and self.early_hints
        host = _request_origin(scope)[1]
        if not (can_push or hint_by) or (host is not None and len(host) > MAX_HOST_LENGTH):
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
        responder = _Responder(self, scope, send, can_push=can_push, hint_by=hint_by)
        responder.story = story
        if early:
            scope = {**scope, EARLY_LINKS_SCOPE_KEY: responder.send_early_links}
        try:
            await self.app(scope, receive, responder.send)
        finally:
            if scope.get("client") is None and responder.pushed:
                self.budget.forget(responder.connection)


def _push_refusal(scope: Scope, extensions: Mapping[str, object], enabled: bool) -> Reason | None:
    """Why this request gets no push, if it gets none."""
    if PUSH_EXTENSION not in extensions:
        return Reason.NO_PUSH_EXTENSION
    if not enabled:
        return Reason.PUSH_OFF
    return Reason.BROWSER if _from_browser(scope) else None


def _hint_refusal(scope: Scope, hint_by: str | None, early: bool) -> Reason | None:
    """Why this request gets no 103, if it gets none."""
    if not early:
        return Reason.EARLY_HINTS_OFF if scope["method"] == "GET" else None
    if hint_by is None:
        return Reason.NO_EARLY_CHANNEL
    return None if wants_hints(scope.get("headers", ())) else Reason.NOT_NAVIGATION


def _hint_message(extensions: Mapping[str, object], informational: bool) -> str | None:
    """The message type that carries a 103 on this server, if any."""
    if EARLY_HINT_EXTENSION in extensions:
        return EARLY_HINT_EXTENSION
    return INFORMATIONAL if informational else None


def _connection(scope: Scope) -> Hashable:
    """The connection a request came on: its client address (any two-item iterable
    in ASGI; Daphne sends a list), or None where the server gives none."""
    client = scope.get("client")
    return tuple(client) if client is not None else None


def _target(scope: Scope) -> str:
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    target: bytes = raw_path + b"?" + query if query else raw_path
    return target.decode("latin-1")


class _Responder:
    """One request's pushes and hint: what was pushed, whether the 103 went out."""

    def __init__(
        self,
        middleware: DeliveryMiddleware,
        scope: Scope,
        send: Send,
        *,
        can_push: bool,
        hint_by: str | None,
    ) -> None:
        self.scope = scope
        self._send = send
        # Without a client address connections cannot be told apart: the request
        # gets a budget of its own rather than one shared by all such connections.
        self.connection = _connection(scope) or ("request", id(self))
        self.can_push = can_push
        self.can_hint = hint_by is not None
        self.hint_by = hint_by
        self.story: Story | None = None
        self.budget = middleware.budget
        self.copy_headers = middleware.copy_headers
        self._copied: list[tuple[bytes, bytes]] | None = None
        self.pushed: set[str] = set()
        # Made before the app runs: the context the request arrived with.
        self.entry_context = contextvars.copy_context()
        self.started = self.hinted = False
        self.digest_key = middleware.digest_key if can_push else None
        self.digest: list[int] | None = None
        self.digest_changed = False
        if self.digest_key is not None:
            # HTTP/2 and HTTP/3 may split cookies over several headers.
            cookie = b"; ".join(v for n, v in scope.get("headers", ()) if n == b"cookie")
            self.digest = digest.decode(digest.read_cookie(cookie), self.digest_key)

    @property
    def copied(self) -> list[tuple[bytes, bytes]]:
        """The request headers each promise carries; found at the first push only."""
        if self._copied is None:
            names = self.copy_headers
            self._copied = [(n, v) for n, v in self.scope.get("headers", ()) if n in names]
            if sum(len(n) + len(v) for n, v in self._copied) > MAX_COPIED_BYTES:
                self.can_push = False  # its promises could not fit a frame
        return self._copied

    async def send_early_links(self, link_values: Sequence[str]) -> None:
        """Push, then hint, links known before the response: once, before it starts."""
        if self.started or self.hinted:
            return
        if self.can_push:
            await self._push(push_paths([join_links(link_values).encode()], self.scope))
        if self.can_hint:
            links = early_hint_links(link_values, self.scope)
            if links:
                self.hinted = True
                await self._send_hint(links)
                if self.story is not None:
                    _record_hint(self.story, link_values, links)

    async def _send_push(self, message: Message) -> None:
        # Hypercorn starts the promised request's task inside this send, so the task
        # copies the context send runs in. Sent from the app's context, it would take
        # the app's per-request state along (Django's ThreadSensitiveContext: the
        # page's one sync thread, busy with a sync view); sent from the context the
        # request arrived with, it starts as a request read from the client does.
        async def send() -> None:
            await self._send(message)

        await asyncio.create_task(send(), context=self.entry_context.copy())

    async def _send_hint(self, links: list[bytes]) -> None:
        if self.hint_by == EARLY_HINT_EXTENSION:
            await self._send({"type": EARLY_HINT_EXTENSION, "links": links})
            return
        headers = [(b"link", link) for link in links]
        try:
            await self._send({"type": INFORMATIONAL, "status": 103, "headers": headers})
        except Exception as error:  # a server that does not take the message after all
            _log_refused_hint(error)

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
        if self.digest_changed and self.digest is not None and self.digest_key is not None:
            value = digest.encode(self.digest, self.digest_key)
            secure = self.scope.get("scheme") == "https"
            headers.append((b"set-cookie", digest.set_cookie_value(value, secure=secure)))
        return {**message, "headers": headers}

    def _record(self, path: str, fate: Fate) -> None:
        if self.story is not None:
            self.story.fate(path, fate)

    async def _push(self, paths: Iterable[str]) -> set[str]:
        """Push each path not pushed yet; returns those the digest says the client has."""
        skipped: set[str] = set()
        copied = self.copied
        for path in paths:
            if not self.can_push:
                break
            if path in self.pushed:
                continue
            if self.digest is not None:
                entry = digest.path_hash(path)
                if entry in self.digest:
                    skipped.add(path)
                    self._record(path, Fate.DIGEST_SKIP)
                    continue
            if not self.budget.acquire(self.connection, path):
                self._record(path, Fate.OVER_BUDGET)
                continue
            self.pushed.add(path)
            await self._send_push({"type": PUSH_EXTENSION, "path": path, "headers": copied})
            self._record(path, Fate.PUSHED)
            if self.digest is not None:
                self.digest.append(entry)
                self.digest_changed = True
        return skipped


def _record_hint(story: Story, values: Sequence[str], links: list[bytes]) -> None:
    story.hinted()
    sent = {link.decode() for link in links}
    for value in values:
        link = parse_link(value)
        if link is not None:
            story.fate(link.url, Fate.EARLY_HINT if value in sent else Fate.PRECONNECT)
