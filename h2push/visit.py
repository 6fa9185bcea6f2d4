"""One page request's part in what h2push learns of a route, and what it sends early.

A :class:`Visit` is made before the view (its route, its origin, what the store
holds for the route) and finished after it (the view's time, what the page used).
:class:`~h2push.middleware.PreloadMiddleware` keeps one per request; everything
here is the same for ASGI and WSGI, which differ only in how the store is read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from h2push import discovery, learning
from h2push.conf import conf
from h2push.decorators import declared_preloads
from h2push.preload import Preload, preload_from_link

__all__ = ["Visit", "without_missing_files"]

logger = logging.getLogger("h2push")


@dataclass
class Visit:
    """What the middleware found before the view, for its turn after it."""

    route: str | None
    own_origin: str
    started: float
    # What the store held for the route; None when it was not read (or failed).
    learned: learning.Learned | None = None

    @classmethod
    def begin(cls, request: HttpRequest) -> Visit:
        host = request.get_host()
        return cls(
            learning.route_key(request, host),
            learning.request_origin(request, host),
            started=time.perf_counter(),
        )

    @property
    def reads_store(self) -> bool:
        return self.route is not None and conf.H2PUSH_LEARN

    @property
    def worth_hinting(self) -> bool:
        """False for a route known to answer too fast for an early send to gain."""
        return self.route is None or not learning.get_view_times().is_fast(
            self.route, conf.H2PUSH_EARLY_HINTS_MIN_VIEW_MS
        )

    def early_values(self, view: Callable[..., object]) -> list[str]:
        """The ``Link`` values known before the view: declared first, then learned."""
        values = list(dict.fromkeys(d.resolve().link_value() for d in declared_preloads(view)))
        if self.learned is not None:
            values.extend(v for v in self.learned.agreed if v not in values)
        return values[: conf.H2PUSH_MAX_PRELOADS]

    def learned_preloads(self) -> list[Preload]:
        """The route's agreed links, for the final ``Link`` header too (a CDN that
        makes its 103s from it benefits as well)."""
        if self.learned is None:
            return []
        return [p for p in map(preload_from_link, self.learned.agreed) if p is not None]

    def finish(
        self, request: HttpRequest, response: HttpResponseBase, registered: Iterable[Preload]
    ) -> learning.Learned | None:
        """Time the view; the route's new entry if this page changed it."""
        if self.route is None:
            return None
        elapsed_ms = (time.perf_counter() - self.started) * 1000
        learning.get_view_times().record(self.route, elapsed_ms)
        if self.learned is None or not learning.is_learnable(request, response):
            return None
        used = [*registered, *_discovered(self.route, response)]
        learned = self.learned.observe(learning.learnable_links(used)[: conf.H2PUSH_MAX_PRELOADS])
        return learned if learned != self.learned else None


def _discovered(route: str, response: HttpResponseBase) -> tuple[Preload, ...]:
    if not conf.H2PUSH_DISCOVER or not isinstance(response, HttpResponse):
        return ()  # a streaming response is never held back to be read
    return discovery.discover(route, response.content, response.charset, settings.STATIC_URL or "")


_reported: set[str] = set()


def without_missing_files(preloads: list[Preload]) -> list[Preload]:
    """``preloads`` less the static URLs that name no file, each logged once.

    Only with ``DEBUG``: a typo in an asset name would otherwise be hinted and
    pushed as a 404; in production ``ManifestStaticFilesStorage`` already refuses
    names it does not know.
    """
    if not settings.DEBUG:
        return preloads
    kept = []
    for preload in preloads:
        if learning.names_missing_static_file(preload):
            if preload.url not in _reported and len(_reported) < 1000:
                _reported.add(preload.url)
                logger.warning(
                    "%s is registered for preload but no static file has that name; "
                    "it is left out of the Link header.",
                    preload.url,
                )
            continue
        kept.append(preload)
    return kept
