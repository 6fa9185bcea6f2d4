"""Where field samples are kept: the last few per route and viewport group, in the
learned store h2push already uses.

With the in-process store (the default) each process keeps its own samples in
:class:`MemorySamples`; with ``H2PUSH_LEARN_CACHE`` they are in that Django cache,
shared by every worker (:class:`CacheSamples`), under keys of their own:

- ``h2push:field:<route hash>:<group>``: the (route, group)'s :class:`Window`;
- ``h2push:field:<route hash>:counts``: how many samples and distinct clients each of
  the route's groups holds, one small value for a page to read;
- ``h2push:field:routes``: the routes that have samples (a bounded index, for
  ``manage.py h2push_field``).

Values are versioned tuples (:mod:`~h2push.django_layer.field.encoding`). A sample is
added by reading the window and writing it back: two workers adding to one window at
the same instant may lose one of the two samples, which a sample can afford.

The calls below never raise. A page or a beacon waits on a shared store no longer
than ``H2PUSH_LEARN_TIMEOUT_MS`` (the learned store's own bound, its threads and its
hung-store pause); a store that fails or is late costs the samples, never the
answer, and is warned about once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches

from h2push.core.caches import per_process, warn_once
from h2push.django_layer.conf import conf
from h2push.django_layer.field.encoding import (
    MAX_SAMPLES,
    NO_COUNTS,
    Counts,
    Window,
    compact,
    decode_counts,
    decode_index,
    decode_window,
    encode_counts,
    encode_index,
    encode_window,
)
from h2push.django_layer.field.quorum import is_single_client
from h2push.django_layer.field.sample import Sample, ViewportGroup
from h2push.django_layer.storecalls import BoundedCalls, StoreHung, StoreTimeout
from h2push.django_layer.stores import LEARNED_LIFETIME_SECONDS, CacheStore, get_store

__all__ = [
    "INDEX_KEY",
    "MAX_FIELD_ROUTES",
    "MAX_SAMPLES",
    "NO_COUNTS",
    "CacheSamples",
    "Counts",
    "MemorySamples",
    "Window",
    "add_sample",
    "add_sample_sync",
    "bounded",
    "bounded_sync",
    "counts_key",
    "field_store",
    "get_samples",
    "get_samples_sync",
    "get_windows",
    "get_windows_sync",
    "sample_counts",
    "sample_counts_sync",
    "window_key",
]

logger = logging.getLogger("h2push.field")

T = TypeVar("T")

#: The most routes whose samples one process keeps, and the most the shared index
#: lists (fewer if ``H2PUSH_LEARNED_ROUTES`` is lower). A full window of one group
#: is a few tens of kilobytes in memory; four groups of this many routes stay within
#: tens of megabytes, whatever the site's number of routes.
MAX_FIELD_ROUTES = 100
INDEX_KEY = "h2push:field:routes"
#: How often a route with samples is put at the end of the shared index again, so
#: that a busy route is never the one the full index drops.
INDEX_REFRESH_SECONDS = 3600
#: How long a process trusts the counts it read from a shared store: the counts only
#: decide whether a page asks its visitor for a report, and a minute-old answer asks
#: a few visitors more or fewer, for one read a minute instead of one a page.
COUNTS_MEMO_SECONDS = 60.0

_GROUPS = tuple(ViewportGroup)


def _route_prefix(route: str) -> str:
    # Routes hold characters some cache backends refuse in keys.
    return "h2push:field:" + hashlib.sha256(route.encode()).hexdigest()[:32]


def window_key(route: str, group: ViewportGroup) -> str:
    return f"{_route_prefix(route)}:{int(group)}"


def counts_key(route: str) -> str:
    return f"{_route_prefix(route)}:counts"


def _max_routes() -> int:
    return max(1, min(conf.H2PUSH_LEARNED_ROUTES, MAX_FIELD_ROUTES))


class MemorySamples:
    """The samples of the in-process store: each process its own, least recently
    sampled routes dropped first. Beacons of a WSGI server arrive on several threads."""

    def __init__(self, max_routes: int) -> None:
        self.max_routes = max_routes
        self._lock = threading.Lock()
        self._routes: OrderedDict[str, list[Window]] = OrderedDict()

    def add(self, sample: Sample) -> Window:
        with self._lock:
            windows = self._routes.get(sample.route)
            if windows is None:
                windows = self._routes[sample.route] = [Window()] * len(_GROUPS)
            self._routes.move_to_end(sample.route)
            window = windows[sample.group] = windows[sample.group].add(compact(sample))
            while len(self._routes) > self.max_routes:
                self._routes.popitem(last=False)
        return window

    def windows(self, route: str) -> tuple[Window, ...]:
        """The route's windows, one per viewport group (indexed by it)."""
        with self._lock:
            return tuple(self._routes.get(route, [Window()] * len(_GROUPS)))

    def counts(self, route: str) -> Counts:
        counts = NO_COUNTS
        for group, window in zip(_GROUPS, self.windows(route), strict=True):
            counts = counts.with_window(group, window)
        return counts

    def routes(self) -> tuple[str, ...]:
        """The routes with samples, the one sampled last at the end."""
        with self._lock:
            return tuple(self._routes)


class CacheSamples:
    """The samples of a shared store: a Django cache every worker uses.

    The methods call the cache as they are and raise what it raises; the module's
    functions bound and catch them. :attr:`calls` is the learned store's own, so a
    cache that hangs is left alone by both at once.
    """

    def __init__(self, alias: str, calls: BoundedCalls, max_routes: int) -> None:
        self.alias = alias
        self.calls = calls
        self.max_routes = max_routes
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, tuple[float, Counts]] = OrderedDict()

    def add(self, sample: Sample) -> Window:
        cache = caches[self.alias]
        route, group = sample.route, sample.group
        found = cache.get_many([window_key(route, group), counts_key(route)])
        window = decode_window(route, group, found.get(window_key(route, group))).add(sample)
        counts, indexed_at = decode_counts(route, found.get(counts_key(route))) or (NO_COUNTS, 0)
        counts = counts.with_window(group, window)
        now = time.time()
        if not 0 <= now - indexed_at < INDEX_REFRESH_SECONDS:
            self._index(route)
            indexed_at = now
        values = {
            window_key(route, group): encode_window(route, window),
            counts_key(route): encode_counts(route, counts, indexed_at),
        }
        cache.set_many(values, LEARNED_LIFETIME_SECONDS)
        self._remember(route, counts)
        return window

    def _index(self, route: str) -> None:
        cache = caches[self.alias]
        routes = [known for known in decode_index(cache.get(INDEX_KEY)) if known != route]
        routes.append(route)
        cache.set(INDEX_KEY, encode_index(routes[-self.max_routes :]), LEARNED_LIFETIME_SECONDS)

    def windows(self, route: str) -> tuple[Window, ...]:
        keys = [window_key(route, group) for group in _GROUPS]
        found = caches[self.alias].get_many(keys)
        return tuple(
            decode_window(route, group, found.get(key))
            for group, key in zip(_GROUPS, keys, strict=True)
        )

    def window(self, route: str, group: ViewportGroup) -> Window:
        return decode_window(route, group, caches[self.alias].get(window_key(route, group)))

    def counts(self, route: str) -> Counts:
        known = decode_counts(route, caches[self.alias].get(counts_key(route)))
        counts = NO_COUNTS if known is None else known[0]
        self._remember(route, counts)
        return counts

    def routes(self) -> tuple[str, ...]:
        return decode_index(caches[self.alias].get(INDEX_KEY))

    def remembered_counts(self, route: str) -> Counts | None:
        """The route's counts as this process last read or wrote them, if recently."""
        with self._lock:
            memo = self._memo.get(route)
        if memo is None or time.monotonic() - memo[0] > COUNTS_MEMO_SECONDS:
            return None
        return memo[1]

    def _remember(self, route: str, counts: Counts) -> None:
        with self._lock:
            self._memo[route] = (time.monotonic(), counts)
            self._memo.move_to_end(route)
            while len(self._memo) > self.max_routes:
                self._memo.popitem(last=False)


FieldStore = MemorySamples | CacheSamples


@per_process(1)
def _field_store_of(store: object) -> FieldStore:
    if isinstance(store, CacheStore):
        return CacheSamples(store.alias, store.calls, _max_routes())
    return MemorySamples(_max_routes())


def field_store() -> FieldStore:
    """The samples' side of the learned store the settings name: built anew whenever
    that store is (a settings change, a forked worker), as its samples go with it."""
    return _field_store_of(get_store())


# --- the calls of pages and beacons: bounded, never raising ---------------------------


def _deadline() -> float:
    return conf.H2PUSH_LEARN_TIMEOUT_MS / 1000


def _failed(store: CacheSamples, error: Exception) -> None:
    if isinstance(error, StoreTimeout):
        reason = f"it did not answer within H2PUSH_LEARN_TIMEOUT_MS ({_deadline() * 1000:g} ms)"
    else:
        reason = f"{type(error).__name__}: {error or 'no reason given'}"
    warn_once(
        logger,
        ("h2push.field.store", store.alias),
        "The field samples' store (cache %r) failed: %s. Beacons are still answered, "
        "but their samples are lost until it works again.",
        store.alias,
        reason,
    )


def bounded_sync(call: Callable[[FieldStore], T], fallback: T) -> T:
    """``call`` on the field store, bounded by the learned store's deadline; ``fallback``
    if the store fails, hangs or is late (warned about once)."""
    store = field_store()
    if isinstance(store, MemorySamples):
        return call(store)  # nothing to wait for
    try:
        return store.calls.run_sync(lambda: call(store), _deadline())
    except StoreHung:
        return fallback  # the call that found it hung warned
    except Exception as error:
        _failed(store, error)
        return fallback


async def bounded(call: Callable[[FieldStore], T], fallback: T) -> T:
    """:func:`bounded_sync` for async code: the event loop never waits on the store."""
    store = field_store()
    if isinstance(store, MemorySamples):
        return call(store)
    try:
        return await store.calls.run(lambda: call(store), _deadline())
    except StoreHung:
        return fallback
    except Exception as error:
        _failed(store, error)
        return fallback


def _added(window: Window | None, sample: Sample) -> Window | None:
    if window is not None and is_single_client(window.samples):
        warn_once(
            logger,
            "h2push.field.single_client",
            "Every one of the last %d field samples of route %r (%s) came from one "
            "client. If the site is behind a proxy, h2push sees the proxy's address for "
            "every visitor: name the header it writes the client's address in with "
            "H2PUSH_FIELD_CLIENT_HEADER. Until then no quorum of distinct clients can "
            "form, and nothing is learned from the field.",
            len(window.samples),
            sample.route,
            sample.group.name.lower(),
        )
    return window


def add_sample_sync(sample: Sample) -> Window | None:
    """Keep ``sample`` (a checked report) in its route and group's window; the window
    after it, or ``None`` if the store failed or was late."""
    return _added(bounded_sync(lambda store: store.add(sample), None), sample)


async def add_sample(sample: Sample) -> Window | None:
    """:func:`add_sample_sync` for async code (ASGI)."""
    return _added(await bounded(lambda store: store.add(sample), None), sample)


def _one(route: str, group: ViewportGroup) -> Callable[[FieldStore], tuple[Sample, ...]]:
    def read(store: FieldStore) -> tuple[Sample, ...]:
        if isinstance(store, CacheSamples):
            return store.window(route, group).samples
        return store.windows(route)[group].samples

    return read


def get_samples_sync(route: str, group: ViewportGroup) -> tuple[Sample, ...]:
    """The route's last samples in ``group``, regular visits then holdout visits;
    none if the store failed or was late."""
    return bounded_sync(_one(route, group), ())


async def get_samples(route: str, group: ViewportGroup) -> tuple[Sample, ...]:
    return await bounded(_one(route, group), ())


_NO_WINDOWS = (Window(),) * len(_GROUPS)


def get_windows_sync(route: str) -> tuple[Window, ...]:
    """The route's windows, one per viewport group, in one call to the store."""
    return bounded_sync(lambda store: store.windows(route), _NO_WINDOWS)


async def get_windows(route: str) -> tuple[Window, ...]:
    return await bounded(lambda store: store.windows(route), _NO_WINDOWS)


def _remembered_counts(route: str) -> Counts | None:
    store = field_store()
    return store.remembered_counts(route) if isinstance(store, CacheSamples) else None


def sample_counts_sync(route: str) -> Counts:
    """How many samples and distinct clients the route has per group: for deciding
    whether a page asks its visitor for a report. In process, or remembered for
    :data:`COUNTS_MEMO_SECONDS`, it costs no call to a shared store. No samples if
    the store failed or was late."""
    known = _remembered_counts(route)
    if known is not None:
        return known
    return bounded_sync(lambda store: store.counts(route), NO_COUNTS)


async def sample_counts(route: str) -> Counts:
    known = _remembered_counts(route)
    if known is not None:
        return known
    return await bounded(lambda store: store.counts(route), NO_COUNTS)
