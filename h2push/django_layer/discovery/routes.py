"""What each route's recent pages were found to load, and when to parse again.

A route remembers the results of its last :data:`PAGES_PER_ROUTE` parsed pages, each
under the page's fingerprint. A page seen before (same fingerprint) gets its own
result back. A page not seen before, between two of the route's parses, gets only
what *all* the remembered pages had: a route whose pages differ (one pattern, many
templates) must never hand one page's assets to another, while a page that differs
only in a token or a date has the same assets as its siblings and loses nothing.
That needs two pages to compare, so a route's second distinct page is always parsed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from h2push.django_layer.preload import Preload

__all__ = ["PAGES_PER_ROUTE", "Fingerprint", "RouteMemory"]

#: Parsed pages remembered per route.
PAGES_PER_ROUTE = 4

Fingerprint = tuple[int, int]
Found = tuple[Preload, ...]


@dataclass(slots=True)
class _Route:
    static_url: str
    pages: OrderedDict[Fingerprint, Found] = field(default_factory=OrderedDict)
    shared: Found = ()
    since_parse: int = 0

    def remember(self, fingerprint: Fingerprint, found: Found) -> None:
        self.pages[fingerprint] = found
        self.pages.move_to_end(fingerprint)
        while len(self.pages) > PAGES_PER_ROUTE:
            self.pages.popitem(last=False)
        others = list(self.pages.values())
        self.shared = tuple(hint for hint in found if all(hint in page for page in others))
        self.since_parse = 0


class RouteMemory:
    """Bounded, least recently used routes first out; safe to share between threads."""

    def __init__(self, max_routes: int, min_between_parses: int, sample_every: int) -> None:
        self._routes: OrderedDict[str, _Route] = OrderedDict()
        self._lock = threading.Lock()
        self.max_routes = max_routes
        self.min_between_parses = min_between_parses
        self.sample_every = sample_every

    def __len__(self) -> int:
        return len(self._routes)

    def clear(self) -> None:
        with self._lock:
            self._routes.clear()

    def answer(
        self, route: str, static_url: str, fingerprint: Fingerprint, guess: bool = True
    ) -> Found | None:
        """What to return for this response without parsing it; ``None``: parse it.
        ``guess``: a page not seen before may be answered with what the route's
        pages share, between two of its parses."""
        with self._lock:
            known = self._routes.get(route)
            if known is None or known.static_url != static_url:
                return None
            self._routes.move_to_end(route)
            known.since_parse += 1
            if known.since_parse >= self.sample_every:
                return None
            found = known.pages.get(fingerprint)
            if found is not None:
                return found
            # What a route's pages share is known from two of them at the least.
            if not guess or len(known.pages) < 2 or known.since_parse >= self.min_between_parses:
                return None
            return known.shared

    def meanwhile(self, route: str, static_url: str, fingerprint: Fingerprint) -> Found:
        """What to return for a page that needs a parse not made yet: its own
        result if it was parsed before, else what all the route's remembered pages
        had (two at the least, as :meth:`answer` asks), else nothing."""
        with self._lock:
            known = self._routes.get(route)
            if known is None or known.static_url != static_url:
                return ()
            found = known.pages.get(fingerprint)
            if found is not None:
                return found
            return known.shared if len(known.pages) >= 2 else ()

    def store(self, route: str, static_url: str, fingerprint: Fingerprint, found: Found) -> None:
        """Remember what a parse of this route's page found."""
        with self._lock:
            known = self._routes.get(route)
            if known is None or known.static_url != static_url:
                known = self._routes[route] = _Route(static_url)
            known.remember(fingerprint, found)
            self._routes.move_to_end(route)
            while len(self._routes) > self.max_routes:
                self._routes.popitem(last=False)
