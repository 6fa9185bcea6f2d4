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

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from h2push.core import caches
from h2push.core import story as stories
from h2push.core.story import STORY_KEY, Fate, Reason, Source, Story
from h2push.django_layer import discovery, learning, origins
from h2push.django_layer import settled as settled_routes
from h2push.django_layer.conf import conf, django_setting
from h2push.django_layer.decorators import declared_preloads
from h2push.django_layer.field import visit as field_visit
from h2push.django_layer.field.visit import FieldVisit
from h2push.django_layer.learning import Learned
from h2push.django_layer.preload import Preload
from h2push.django_layer.settled import SettledRoute

__all__ = ["Visit", "without_missing_files"]

logger = logging.getLogger("h2push")


@dataclass(slots=True)
class Visit:
    """What the middleware found before the view, for its turn after it."""

    route: str | None
    own_origin: str
    started: float
    # What the store held for the route; None when it was not read (or failed).
    learned: learning.Learned | None = None
    # The request's story if someone listens, and whether this layer tells it.
    story: Story | None = None
    tells: bool = False
    # What field learning says of this request (H2PUSH_FIELD); None when it is off.
    field: FieldVisit | None = None
    # The route's settled state when this page is not looked at (most pages of a
    # settled route): the store is not read, the page not discovered.
    settled: SettledRoute | None = None

    @classmethod
    def begin(cls, request: HttpRequest) -> Visit:
        route, own_origin = learning.route_and_origin(request)
        visit = cls(route, own_origin, started=time.perf_counter())
        if route is not None and conf.H2PUSH_LEARN:
            visit.settled = settled_routes.settled(route, own_origin)
            if visit.settled is not None:
                visit.learned = visit.settled.entry
        if stories.listening():
            carrier = getattr(request, "scope", None) or request.META
            visit.story = carrier.get(STORY_KEY)
            if visit.story is None:  # no delivery layer made one: this layer tells it
                visit.story = stories.begin(carrier, request.method or "", request.path)
                visit.tells = visit.story is not None
                if visit.story is not None:
                    # The story's clock starts where h2push met the request, here:
                    # the view then starts at 0.0 ms, not a hair before it.
                    visit.story.started = visit.started
            if visit.story is not None:
                visit.story.view_started = visit.started
                visit.story.settled = visit.settled is not None
        return visit

    def read(self, learned: learning.Learned | None) -> None:
        """Keep what the store answered (``None``: it failed)."""
        self.learned = learned
        if learned is None and self.story is not None:
            self.story.reason(Reason.STORE_FAILED)

    def note(self, reason: Reason) -> None:
        if self.story is not None:
            self.story.reason(reason)

    @property
    def reads_store(self) -> bool:
        return self.route is not None and conf.H2PUSH_LEARN and self.settled is None

    @property
    def reusable(self) -> SettledRoute | None:
        """The settled route whose earlier pages' work this page may reuse: not when
        a story is told (it wants each step) or field learning varies the links."""
        return self.settled if self.story is None and self.field is None else None

    @property
    def worth_hinting(self) -> bool:
        """False for a route known to answer too fast for an early send to gain."""
        return self.route is None or not learning.get_view_times().is_fast(
            self.route, conf.H2PUSH_EARLY_HINTS_MIN_VIEW_MS
        )

    def early_values(self, view: Callable[..., object]) -> tuple[str, ...]:
        """The ``Link`` values known before the view: declared first, then learned;
        a settled route's pages reuse its first page's (unless a story is told)."""
        settled = self.reusable
        if settled is None:
            return self._early_values(view)
        values: tuple[str, ...] | None = settled.reused(("early", view))
        if values is None:
            values = self._early_values(view)
            settled.keep(("early", view), values)
        return values

    def _early_values(self, view: Callable[..., object]) -> tuple[str, ...]:
        declared = [d.resolve() for d in declared_preloads(view)]
        values = list(dict.fromkeys(p.link_value() for p in declared))
        agreed = self.learned.agreed if self.learned is not None else ()
        if self.field is not None:
            values = field_visit.early_values(self.field, values, agreed)
        else:
            values.extend(v for v in agreed if v not in values)
        if self.story is not None:
            self._tell_early(declared, values)
        trusted = origins.trusted_values(tuple(values), self.own_origin)
        return trusted[: conf.H2PUSH_MAX_PRELOADS]

    def tell_field(self, view: Callable[..., object]) -> None:
        """Record what the field did to this page's links, if it is on."""
        if self.field is not None and self.story is not None:
            declared = [d.resolve().url for d in declared_preloads(view)]
            field_visit.tell(self.story, self.field, declared)

    def _tell_early(self, declared: list[Preload], values: list[str]) -> None:
        assert self.story is not None
        for preload in declared:
            self.story.link(preload.url, Source.DECLARED)
        for preload in self.learned_preloads():
            self.story.link(preload.url, Source.LEARNED)
        if not values:
            nothing_agreed = self.learned is not None and not self.learned.agreed
            self.story.reason(Reason.NEW_ROUTE if nothing_agreed else Reason.NOTHING_EARLY)

    def learned_preloads(self) -> tuple[Preload, ...]:
        """The route's agreed links, for the final ``Link`` header too (a CDN that
        makes its 103s from it benefits as well)."""
        learned = () if self.learned is None else self.learned.preloads()
        if self.field is not None:
            return tuple(field_visit.learned_preloads(self.field, learned))
        return learned

    def finish(
        self, response: HttpResponseBase, registered: Iterable[Preload], learnable: bool
    ) -> learning.Learned | None:
        """Time the view; the route's new entry if this page changed it (only a
        ``learnable`` one can: see :func:`h2push.django_layer.learning.is_learnable`)."""
        ended = time.perf_counter()
        if self.story is not None:
            self.story.view_ended = ended
        if self.route is None:
            return None
        elapsed_ms = (ended - self.started) * 1000
        learning.get_view_times().record(self.route, elapsed_ms)
        if self.settled is not None or not learnable:
            return None
        if self.learned is None:  # the store failed: nothing to compare with
            settled_routes.unsettle(self.route, self.own_origin)
            return None
        # A settled route's look reads a page it has not seen: a guess from what the
        # route's pages share could hide a changed name for many looks.
        look = settled_routes.is_settled(self.route, self.own_origin)
        discovered = _discovered(self.route, response, guess=not look)
        if self.story is not None:
            for preload in discovered:
                self.story.link(preload.url, Source.DISCOVERED)
        # A misspelt {% static %} name reaches the HTML as a URL of no file; learning
        # would drop it silently. In development it is told as a registered one is;
        # in production the DEBUG test is all it costs.
        if discovered and django_setting("DEBUG"):
            discovered = tuple(without_missing_files([*discovered], self.story, Source.DISCOVERED))
        used = (*registered, *discovered)
        # A look is compared with what the route settled on, not with a page seen
        # LOOK_EVERY pages before: two looks that agree are no two pages in a row.
        base = Learned(self.learned.agreed, self.learned.agreed) if look else self.learned
        new_entry = learning.next_entry(base, used, conf.H2PUSH_MAX_PRELOADS)
        sure = not discovery.reading(self.route)
        after = new_entry or base
        settled_routes.observe(self.route, self.own_origin, self.learned, after, sure)
        return new_entry


def _discovered(route: str, response: HttpResponseBase, guess: bool) -> tuple[Preload, ...]:
    if not conf.H2PUSH_DISCOVER or not isinstance(response, HttpResponse):
        return ()  # a streaming response is never held back to be read

    # Most pages are answered from discovery's memory: the charset, which Django
    # works out from the Content-Type each time, is only asked for when one is parsed.
    def charset() -> str | None:
        return response.charset

    static_url = django_setting("STATIC_URL") or ""
    return discovery.discover(route, response.content, charset, static_url, guess=guess)


# How each source puts a URL in the page, for the one warning a missing file gets.
_HOW = {
    Source.REGISTERED: "is registered for preload",
    Source.DISCOVERED: "is loaded by the page",
}


def without_missing_files(
    preloads: list[Preload], story: Story | None = None, source: Source = Source.REGISTERED
) -> list[Preload]:
    """``preloads`` less the static URLs that name no file, each logged once.

    Only with ``DEBUG``: a typo in an asset's name would otherwise be hinted and
    pushed as a 404 if registered, or never hinted with nobody told why if found in
    the page's HTML. ``source`` says which, for the warning's wording. In production
    ``ManifestStaticFilesStorage`` already refuses names it does not know.
    """
    if not preloads or not django_setting("DEBUG"):
        return preloads
    kept = []
    for preload in preloads:
        if learning.names_missing_static_file(preload):
            if story is not None:
                story.fate(preload.url, Fate.MISSING_FILE)
            caches.warn_once(
                logger,
                ("missing static file", preload.url),
                "%s %s but no static file has that name; it is left out of the Link header.",
                preload.url,
                _HOW.get(source, _HOW[Source.REGISTERED]),
            )
            continue
        kept.append(preload)
    return kept
