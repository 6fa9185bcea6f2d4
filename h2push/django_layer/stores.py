"""Where h2push keeps what it learned per route, and how long each route's view takes.

Two stores for learned links: :class:`MemoryStore` in each process (the default),
and :class:`CacheStore` on a Django cache, so workers and machines share one. Both
hold plain tuples of ``Link`` values; what the values mean is :mod:`h2push.django_layer.learning`'s
business.

Page requests reach the store through :func:`read_links` and :func:`write_links`
(``_sync`` for WSGI): a page waits on a shared store no longer than
``H2PUSH_LEARN_TIMEOUT_MS``, whatever the cache client's own timeouts say
(:class:`~h2push.django_layer.storecalls.BoundedCalls`), and a store that fails or hangs costs
the page its learned hints, never the page.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Protocol, TypeVar

from django.core.cache import caches

from h2push.core.caches import per_process
from h2push.django_layer.conf import conf
from h2push.django_layer.storecalls import HUNG_PAUSE_SECONDS, BoundedCalls, StoreHung, StoreTimeout

__all__ = [
    "CacheStore",
    "LearnedStore",
    "Links",
    "MemoryStore",
    "ViewTimes",
    "get_store",
    "get_view_times",
    "open_store",
    "read_links",
    "read_links_sync",
    "write_links",
    "write_links_sync",
]

logger = logging.getLogger("h2push")

Links = tuple[str, ...]
T = TypeVar("T")


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
    """A Django cache, so every worker and machine sharing it shares what is learned.

    ``get``/``set`` and ``get_sync``/``set_sync`` call the cache as they are; page
    requests go through :attr:`calls`, which bounds the wait.
    """

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.calls = BoundedCalls()

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
            await caches[self.alias].aset(self._key(route), links, LEARNED_LIFETIME_SECONDS)
        else:
            await caches[self.alias].adelete(self._key(route))

    def set_sync(self, route: str, links: Links) -> None:
        if links:
            caches[self.alias].set(self._key(route), links, LEARNED_LIFETIME_SECONDS)
        else:
            caches[self.alias].delete(self._key(route))


# An entry is written only when the route's links change, so the cache's own TIMEOUT
# (Django's default: 300 s) would make a settled route forget its links every few
# minutes. A week keeps them; a route that went away is forgotten after a week, and a
# route that stayed relearns in two pages.
LEARNED_LIFETIME_SECONDS = 7 * 24 * 3600


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


def _store_settings(setting: str) -> bool:
    return setting.startswith("H2PUSH_") or setting == "CACHES"


@per_process(None, when=_store_settings)
def get_view_times() -> ViewTimes:
    return ViewTimes(conf.H2PUSH_LEARNED_ROUTES)


@per_process(None, when=_store_settings)
def get_store() -> MemoryStore | CacheStore:
    """The store the settings name; built once, again after a settings change."""
    alias = conf.H2PUSH_LEARN_CACHE
    return CacheStore(alias) if alias else MemoryStore(conf.H2PUSH_LEARNED_ROUTES)


# A forked worker (Gunicorn's preload_app) builds its own store: its parent's may
# count calls overdue in threads the worker does not have.
os.register_at_fork(after_in_child=get_store.cache_clear)


# --- a page request's way in ------------------------------------------------------


async def read_links(route: str) -> Links | None:
    """The route's links; ``None`` if the shared store failed, did not answer in
    time, or is left alone while it hangs."""
    store = get_store()
    if isinstance(store, MemoryStore):
        return store.get_sync(route)  # nothing to wait for
    return await _bounded(store, partial(store.get_sync, route))


async def write_links(route: str, links: Links) -> None:
    store = get_store()
    if isinstance(store, MemoryStore):
        store.set_sync(route, links)
    else:
        await _bounded(store, partial(store.set_sync, route, links))


def read_links_sync(route: str) -> Links | None:
    """:func:`read_links` for sync code (WSGI), with the same bound on the wait."""
    store = get_store()
    if isinstance(store, MemoryStore):
        return store.get_sync(route)
    return _bounded_sync(store, partial(store.get_sync, route))


def write_links_sync(route: str, links: Links) -> None:
    store = get_store()
    if isinstance(store, MemoryStore):
        store.set_sync(route, links)
    else:
        _bounded_sync(store, partial(store.set_sync, route, links))


# How long start-up waits for a shared store's first answers.
OPEN_SECONDS = 5.0


def open_store() -> None:
    """Make a shared store's first calls now, at start-up: importing a cache client
    and connecting can take longer than a page may wait. Django keeps a cache
    connection per thread, so each of h2push's store threads opens its own."""
    store = get_store()
    if not conf.H2PUSH_LEARN or isinstance(store, MemoryStore):
        return
    try:
        store.calls.open(partial(store.get_sync, "h2push:open"), OPEN_SECONDS)
    except StoreHung:
        return
    except Exception as error:
        _failed(store, error)
    else:
        _answered(store)


def _deadline() -> float:
    return conf.H2PUSH_LEARN_TIMEOUT_MS / 1000


async def _bounded(store: CacheStore, call: Callable[[], T]) -> T | None:
    """``call()``'s result; ``None`` if it failed, did not answer in time, or was
    not made because the store hangs."""
    try:
        result = await store.calls.run(call, _deadline())
    except StoreHung:
        return None  # the call that timed out said so
    except Exception as error:
        _failed(store, error)
        return None
    _answered(store)
    return result


def _bounded_sync(store: CacheStore, call: Callable[[], T]) -> T | None:
    try:
        result = store.calls.run_sync(call, _deadline())
    except StoreHung:
        return None
    except Exception as error:
        _failed(store, error)
        return None
    _answered(store)
    return result


# The store in an outage, if any: one warning per outage, and a store built anew
# (after a settings change) starts with a clean slate.
_failing_store: CacheStore | None = None


def _failed(store: CacheStore, error: Exception) -> None:
    global _failing_store
    if _failing_store is store:
        return
    _failing_store = store
    if isinstance(error, StoreTimeout):
        logger.warning(
            "The learned store (cache %r) did not answer in time (H2PUSH_LEARN_TIMEOUT_MS "
            "is %g ms). Pages are served without learned hints until it answers again, "
            "and while its calls keep going unanswered it is not asked for %g s at a "
            "time. Give the cache client socket timeouts of its own (check h2push.W003).",
            store.alias,
            conf.H2PUSH_LEARN_TIMEOUT_MS,
            HUNG_PAUSE_SECONDS,
        )
        return
    logger.warning(
        "The learned store (cache %r) failed: %s: %s. Pages are served without "
        "learned hints until it answers again.",
        store.alias,
        type(error).__name__,
        str(error) or "no reason given",
    )


def _answered(store: CacheStore) -> None:
    global _failing_store
    if _failing_store is store:
        _failing_store = None
        logger.info("The learned store answers again; learned hints resume.")
