"""Where h2push keeps what it learned per route, and how long each route's view takes.

Two stores for learned links: :class:`MemoryStore` in each process (the default),
and :class:`CacheStore` on a Django cache, so workers and machines share one. Both
hold plain tuples of ``Link`` values; what the values mean is :mod:`h2push.learning`'s
business.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import cache
from typing import Protocol

from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver

from h2push.conf import conf

__all__ = [
    "CacheStore",
    "LearnedStore",
    "Links",
    "MemoryStore",
    "ViewTimes",
    "get_store",
    "get_view_times",
]

Links = tuple[str, ...]


class LearnedStore(Protocol):
    """Both ways in: ``get``/``set`` for async code (ASGI), ``get_sync``/``set_sync``
    for sync code (WSGI, where a thread hop would cost more than the call)."""

    async def get(self, route: str) -> Links: ...
    async def set(self, route: str, links: Links) -> None: ...
    def get_sync(self, route: str) -> Links: ...
    def set_sync(self, route: str, links: Links) -> None: ...


class MemoryStore:
    """The default: a bounded, least-recently-used map in this process."""

    def __init__(self, max_routes: int) -> None:
        self.max_routes = max_routes
        self._routes: OrderedDict[str, Links] = OrderedDict()

    async def get(self, route: str) -> Links:
        return self.get_sync(route)

    async def set(self, route: str, links: Links) -> None:
        self.set_sync(route, links)

    def get_sync(self, route: str) -> Links:
        links = self._routes.get(route, ())
        if links:
            self._routes.move_to_end(route)
        return links

    def set_sync(self, route: str, links: Links) -> None:
        if not links:
            self._routes.pop(route, None)
            return
        self._routes[route] = links
        self._routes.move_to_end(route)
        while len(self._routes) > self.max_routes:
            self._routes.popitem(last=False)

    def __len__(self) -> int:
        return len(self._routes)


class CacheStore:
    """A Django cache, so every worker and machine sharing it shares what is learned."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    @staticmethod
    def _key(route: str) -> str:
        # Routes hold characters some cache backends refuse in keys.
        return "h2push:learned:" + hashlib.sha256(route.encode()).hexdigest()[:32]

    async def get(self, route: str) -> Links:
        return _links(await caches[self.alias].aget(self._key(route)))

    def get_sync(self, route: str) -> Links:
        return _links(caches[self.alias].get(self._key(route)))

    async def set(self, route: str, links: Links) -> None:
        if links:
            await caches[self.alias].aset(self._key(route), links)
        else:
            await caches[self.alias].adelete(self._key(route))

    def set_sync(self, route: str, links: Links) -> None:
        if links:
            caches[self.alias].set(self._key(route), links)
        else:
            caches[self.alias].delete(self._key(route))


def _links(value: object) -> Links:
    """A stored value as links; anything else (a foreign or damaged entry) as none."""
    return tuple(value) if isinstance(value, (list, tuple)) else ()


class ViewTimes:
    """How long each route's view takes to answer, smoothed, in milliseconds.

    Kept in each process (it describes this worker's own answers) and bounded like
    the in-process store. A 103 gives the browser a head start as long as the
    view's work; for a route that answers in a few milliseconds it costs more than
    it gains.
    """

    # Weight of the newest answer: a route that turns slow (a cold cache) is seen
    # within a request or two.
    SMOOTHING = 0.5

    def __init__(self, max_routes: int) -> None:
        self.max_routes = max_routes
        self._routes: OrderedDict[str, float] = OrderedDict()

    def record(self, route: str, milliseconds: float) -> None:
        previous = self._routes.get(route)
        if previous is not None:
            milliseconds = previous + self.SMOOTHING * (milliseconds - previous)
        self._routes[route] = milliseconds
        self._routes.move_to_end(route)
        while len(self._routes) > self.max_routes:
            self._routes.popitem(last=False)

    def typical(self, route: str) -> float | None:
        """The smoothed time of the route's recent answers; None before its first."""
        return self._routes.get(route)

    def is_fast(self, route: str, threshold_ms: float) -> bool:
        typical = self._routes.get(route)
        return typical is not None and typical < threshold_ms


@cache
def get_view_times() -> ViewTimes:
    return ViewTimes(conf.H2PUSH_LEARNED_ROUTES)


@cache
def get_store() -> LearnedStore:
    """The store the settings name; built once, again after a settings change."""
    alias = conf.H2PUSH_LEARN_CACHE
    return CacheStore(alias) if alias else MemoryStore(conf.H2PUSH_LEARNED_ROUTES)


@receiver(setting_changed)
def _forget_store(setting: str, **kwargs: object) -> None:
    if setting.startswith("H2PUSH_") or setting == "CACHES":
        get_store.cache_clear()
        get_view_times.cache_clear()
