"""The ASGI delivery path: a response's preload links become pushes and a 103.

It reads only the standard ``Link`` header of ``http.response.start`` (the same
contract nginx, h2o and CDNs read) and the scope, so it serves any ASGI app, and it
takes every option as a constructor argument. A push goes out only where the server
advertises ``http.response.push``, for a GET or HEAD answered 2xx, and before the
response's own HEADERS frame: RFC 9113 section 8.4 asks for the PUSH_PROMISE before
any frame that refers to the pushed resource, and the page's ``Link`` header does.

Links known before the app answers arrive through the early channel of
:mod:`h2push.core.contract`: the same-origin preloads among them are pushed at once, then
one 103 Early Hints response carries them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from h2push.core import story as stories
from h2push.core.contract import (
    DEFAULT_COPY_HEADERS,
    EARLY_HINT_EXTENSION,
    EARLY_LINKS_SCOPE_KEY,
    PUSH_EXTENSION,
    ASGIApp,
    Receive,
    Scope,
    Send,
)
from h2push.core.linkheader import MAX_HOST_LENGTH
from h2push.core.story import Reason, Story
from h2push.delivery.budget import PushBudget
from h2push.delivery.lifespan import answer_lifespan
from h2push.delivery.links import early_hint_links, header_names, mark_nopush, push_paths
from h2push.delivery.options import Options
from h2push.delivery.responder import INFORMATIONAL, Responder
from h2push.delivery.scope import RequestHeaders, connection_of, target_of

__all__ = [
    "DeliveryMiddleware",
    "Options",
    "early_hint_links",
    "header_names",
    "mark_nopush",
    "push_paths",
]


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

    Each request reads the options once, through :meth:`options`, so a subclass can
    take them from elsewhere (:class:`h2push.asgi.H2PushMiddleware` reads Django's
    settings).
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
        self._options = Options(
            push=push,
            early_hints=early_hints,
            copy_headers=header_names(tuple(copy_headers)),
            push_budget=push_budget,
            digest_key=digest_key,
            informational_hints=informational_hints,
        )
        self._budget: PushBudget | None = None

    def options(self) -> Options:
        return self._options

    @property
    def budget(self) -> PushBudget:
        """The connections' push budget under the options in force."""
        return self._budget_for(self.options().push_budget)

    def _budget_for(self, limit: int) -> PushBudget:
        # A new budget if the limit changed.
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
        # One coroutine for the request, not two: every resumption of the app (each
        # message, each thread hop) passes through each frame the adapter adds.
        story = stories.begin(scope, scope["method"], scope["path"])
        try:
            options = self.options()
            headers = RequestHeaders.read(scope)
            can_push, early, hint_by = _ways(scope, headers, options, story)
            host = headers.host
            if not (can_push or hint_by) or (host is not None and len(host) > MAX_HOST_LENGTH):
                await self.app(scope, receive, send)
                return
            budget = self._budget_for(options.push_budget)
            connection = connection_of(scope)
            if (
                can_push
                and budget.expects(connection)
                and budget.claim(connection, target_of(scope))
            ):
                # The promised request of one of our pushes: it holds a place in the
                # connection's budget until it has been answered.
                try:
                    await self.app(scope, receive, send)
                finally:
                    budget.release(connection)
                return
            responder = Responder(scope, send, options, budget, headers, hint_by, can_push=can_push)
            responder.story = story
            if early:
                scope = {**scope, EARLY_LINKS_SCOPE_KEY: responder.send_early_links}
            try:
                await self.app(scope, receive, responder.send)
            finally:
                if connection is None and responder.pushed:
                    budget.forget(responder.connection)
        finally:
            if story is not None:
                stories.tell(story)


def _ways(
    scope: Scope, headers: RequestHeaders, options: Options, story: Story | None
) -> tuple[bool, bool, str | None]:
    """Whether this request can be pushed to, whether its links may go out early,
    and the message that carries its 103."""
    extensions = scope.get("extensions") or {}
    no_push = _push_refusal(extensions, headers, options.push)
    early = scope["method"] == "GET" and options.early_hints
    hint_by = _hint_message(extensions, options.informational_hints) if early else None
    no_hint = _hint_refusal(scope, headers, hint_by, early)
    if story is not None:
        for reason in (no_push, no_hint):
            if reason is not None:
                story.reason(reason)
    return no_push is None, early, (hint_by if no_hint is None else None)


def _push_refusal(
    extensions: Mapping[str, object], headers: RequestHeaders, enabled: bool
) -> Reason | None:
    """Why this request gets no push, if it gets none."""
    if PUSH_EXTENSION not in extensions:
        return Reason.NO_PUSH_EXTENSION
    if not enabled:
        return Reason.PUSH_OFF
    return Reason.BROWSER if headers.from_browser else None


def _hint_refusal(
    scope: Scope, headers: RequestHeaders, hint_by: str | None, early: bool
) -> Reason | None:
    """Why this request gets no 103, if it gets none."""
    if not early:
        return Reason.EARLY_HINTS_OFF if scope["method"] == "GET" else None
    if hint_by is None:
        return Reason.NO_EARLY_CHANNEL
    return None if headers.wants_hints else Reason.NOT_NAVIGATION


def _hint_message(extensions: Mapping[str, object], informational: bool) -> str | None:
    """The message type that carries a 103 on this server, if any."""
    if EARLY_HINT_EXTENSION in extensions:
        return EARLY_HINT_EXTENSION
    return INFORMATIONAL if informational else None
