"""The WSGI delivery path: one 103 through the server's ``wsgi.early_hints``.

Gunicorn (25 and later) puts a callable at ``environ["wsgi.early_hints"]`` that
writes a 103 at once, over HTTP/1.1 to the proxy in front or over its own HTTP/2.
Where a request can use one (a GET, a navigation), this middleware offers the early
channel of :mod:`h2push.core.contract` in the environ; the Django layer calls it before
the view with the links it knows then, and one 103 goes out with what of them may
travel. Where the environ has no such callable, the app is called as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from h2push.core import story as stories
from h2push.core.contract import EARLY_LINKS_SCOPE_KEY
from h2push.core.linkheader import MAX_HOST_LENGTH, parse_link
from h2push.core.story import Fate, Reason, Story
from h2push.delivery.links import hint_links
from h2push.delivery.navigation import wants_hints

__all__ = ["EarlyHintsMiddleware"]

logger = logging.getLogger("h2push")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SERVER_CALLABLE = "wsgi.early_hints"


class EarlyHintsMiddleware:
    """Wraps a WSGI app so links known before its view go out in a 103.

    ``early_hints``: offer the channel at all. ``asset_origins``: origins besides
    the request's own whose preloads the 103 may carry (the site's static and media
    origins). Both are properties, so a subclass can read them from elsewhere.
    """

    def __init__(
        self, app: WSGIApp, *, early_hints: bool = True, asset_origins: Iterable[str] = ()
    ) -> None:
        self.app = app
        self._early_hints = early_hints
        self._asset_origins = frozenset(asset_origins)

    @property
    def early_hints(self) -> bool:
        return self._early_hints

    @property
    def asset_origins(self) -> frozenset[str]:
        return self._asset_origins

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method = environ.get("REQUEST_METHOD", "")
        story = stories.begin(environ, method, environ.get("PATH_INFO", ""))
        server_hint = environ.get(SERVER_CALLABLE)
        refusal = self._refusal(environ, method, server_hint)
        if refusal is None and callable(server_hint):
            hint = _EarlyHint(environ, server_hint, story, self.asset_origins)
            environ[EARLY_LINKS_SCOPE_KEY] = hint
        elif story is not None and refusal is not None:
            story.reason(refusal)
        try:
            return self.app(environ, start_response)
        finally:
            stories.tell(story)  # the 103, if any, went out before the view returned

    def _refusal(self, environ: dict[str, Any], method: str, server_hint: Any) -> Reason | None:
        """Why this request gets no 103, if it gets none."""
        if method != "GET":
            return Reason.NOTHING_EARLY
        if not self.early_hints:
            return Reason.EARLY_HINTS_OFF
        if not callable(server_hint):
            return Reason.NO_EARLY_CHANNEL
        return None if wants_hints(_headers(environ)) else Reason.NOT_NAVIGATION


def _headers(environ: dict[str, Any]) -> Iterable[tuple[bytes, bytes]]:
    for name in ("HTTP_SEC_FETCH_MODE", "HTTP_SEC_FETCH_DEST"):
        value = environ.get(name)
        if value is not None:
            yield name[5:].lower().replace("_", "-").encode(), value.encode("latin-1")


class _EarlyHint:
    """The early channel of one request: sends its one 103, at most once."""

    def __init__(
        self,
        environ: dict[str, Any],
        server_hint: Callable[..., Any],
        story: Story | None,
        asset_origins: frozenset[str],
    ) -> None:
        self.environ = environ
        self.asset_origins = asset_origins
        self.server_hint = server_hint
        self.story = story
        self.sent = False

    def __call__(self, link_values: Sequence[str]) -> None:
        host = (self.environ.get("HTTP_HOST") or "").lower() or None
        if self.sent or (host is not None and len(host) > MAX_HOST_LENGTH):
            return
        scheme = self.environ.get("wsgi.url_scheme", "http")
        hint = hint_links(link_values, scheme, host, self.asset_origins)
        if hint is None:
            return
        self.sent = True
        try:
            self.server_hint([("Link", hint.field.decode())])
        except Exception as error:  # e.g. the server's own header checks
            logger.warning("The server refused the 103: %s: %s", type(error).__name__, error)
            return
        if self.story is not None:
            self.story.hinted()
            for link in map(parse_link, hint.values):
                if link is not None:
                    self.story.fate(link.url, Fate.EARLY_HINT)
