"""One request's pushes and 103, as the ASGI adapter sends them."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Iterable, Sequence

from h2push.core import caches
from h2push.core.contract import EARLY_HINT_EXTENSION, PUSH_EXTENSION, Message, Scope, Send
from h2push.core.linkheader import parse_link
from h2push.core.story import Fate, Story
from h2push.delivery import digest
from h2push.delivery.budget import PushBudget
from h2push.delivery.links import (
    MAX_COPIED_BYTES,
    early_push_paths,
    hint_links,
    mark_nopush,
    paths_to_push,
)
from h2push.delivery.options import Options
from h2push.delivery.scope import RequestHeaders, connection_of

__all__ = ["INFORMATIONAL", "Responder"]

logger = logging.getLogger("h2push")

# Gunicorn's ASGI worker takes a 103 as this message, before the response starts.
INFORMATIONAL = "http.response.informational"


def _log_refused_hint(error: Exception) -> None:
    # Once per process: the server will refuse it every time.
    caches.warn_once(
        logger,
        INFORMATIONAL,
        "The server refused an http.response.informational 103 (%s: %s); turn "
        "H2PUSH_EARLY_HINTS_AS_INFORMATIONAL off for this server.",
        type(error).__name__,
        error,
    )


class Responder:
    """One request's pushes and hint: what was pushed, whether the 103 went out."""

    __slots__ = (
        "_copied",
        "_send",
        "asset_origins",
        "budget",
        "can_hint",
        "can_push",
        "connection",
        "copy_headers",
        "digest",
        "digest_changed",
        "digest_key",
        "entry_context",
        "hint_by",
        "hinted",
        "host",
        "pushed",
        "scheme",
        "scope",
        "started",
        "story",
    )

    def __init__(
        self,
        scope: Scope,
        send: Send,
        options: Options,
        budget: PushBudget,
        headers: RequestHeaders,
        hint_by: str | None,
        *,
        can_push: bool,
    ) -> None:
        self.scope = scope
        self._send = send
        # Without a client address connections cannot be told apart: the request
        # gets a budget of its own rather than one shared by all such connections.
        self.connection = connection_of(scope) or ("request", id(self))
        self.scheme: str = scope.get("scheme", "http")
        self.host = headers.host
        self.can_push = can_push
        self.can_hint = hint_by is not None
        self.hint_by = hint_by
        self.story: Story | None = None
        self.budget = budget
        self.copy_headers = options.copy_headers
        self.asset_origins = options.asset_origins
        self._copied: list[tuple[bytes, bytes]] | None = None
        self.pushed: set[str] = set()
        # Made before the app runs: the context the request arrived with.
        self.entry_context = contextvars.copy_context() if can_push else None
        self.started = self.hinted = False
        self.digest_key = options.digest_key if can_push else None
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
        if self.can_push and self._may_push():
            await self._push(early_push_paths(link_values, self.scheme, self.host))
        if self.can_hint:
            hint = hint_links(link_values, self.scheme, self.host, self.asset_origins)
            if hint is not None:
                self.hinted = True
                await self._send_hint(hint.field)
                if self.story is not None:
                    _record_hint(self.story, link_values, hint.values)

    async def _send_pushes(self, messages: list[Message]) -> None:
        # Hypercorn starts each promised request's task inside its send, so the task
        # copies the context send runs in. Sent from the app's context, it would take
        # the app's per-request state along (Django's ThreadSensitiveContext: the
        # page's one sync thread, busy with a sync view); sent from the context the
        # request arrived with, it starts as a request read from the client does.
        # One task sends the page's promises, in order.
        async def send() -> None:
            for message in messages:
                await self._send(message)

        assert self.entry_context is not None  # made for a request that can be pushed to
        await asyncio.create_task(send(), context=self.entry_context.copy())

    async def _send_hint(self, field: bytes) -> None:
        if self.hint_by == EARLY_HINT_EXTENSION:
            await self._send({"type": EARLY_HINT_EXTENSION, "links": [field]})
            return
        headers = [(b"link", field)]
        try:
            await self._send({"type": INFORMATIONAL, "status": 103, "headers": headers})
        except Exception as error:  # a server that does not take the message after all
            _log_refused_hint(error)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if self.can_push and 200 <= message["status"] < 300 and self._may_push():
                message = await self._push_for_start(message)
        await self._send(message)

    def _may_push(self) -> bool:
        # With the connection's budget spent, nothing would go out: the links are
        # not even read, unless the digest or a story needs to know of each.
        return not (
            self.digest is None and self.story is None and self.budget.is_full(self.connection)
        )

    async def _push_for_start(self, message: Message) -> Message:
        links = [v for n, v in message.get("headers", ()) if n.lower() == b"link"]
        if not links:
            return message
        skipped = await self._push(paths_to_push(links, self.scheme, self.host))
        if not skipped and not self.digest_changed:
            return message
        headers = list(message.get("headers", ()))
        if skipped:
            others = [(n, v) for n, v in headers if n.lower() != b"link"]
            headers = others + [
                (b"link", v) for v in mark_nopush(links, skipped, self.scheme, self.host)
            ]
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
        promised: list[str] = []
        copied = self.copied  # may find the promises too large to send: no push then
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
            promised.append(path)
            if self.digest is not None:
                self.digest.append(entry)
                self.digest_changed = True
        if promised:
            await self._send_pushes(
                [{"type": PUSH_EXTENSION, "path": path, "headers": copied} for path in promised]
            )
            for path in promised:
                self._record(path, Fate.PUSHED)
        return skipped


def _record_hint(story: Story, values: Sequence[str], sent: tuple[str, ...]) -> None:
    story.hinted()
    for value in values:
        link = parse_link(value)
        if link is not None:
            story.fate(link.url, Fate.EARLY_HINT if value in sent else Fate.PRECONNECT)
