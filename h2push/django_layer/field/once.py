"""One sample per client, route and hour, for every worker that shares the store.

With the in-process store a process's own memory decides; with a shared cache the
cache's ``add`` (set if absent, atomic in Redis and memcached) decides, so a client
cannot add one sample per worker. A store that fails lets the report through: its
sample is lost with the store anyway, and the beacon still answers 204.
"""

from __future__ import annotations

import hashlib

from django.core.cache import caches

from h2push.core import caches as memory
from h2push.django_layer.field.clients import OncePerWindow
from h2push.django_layer.field.samples import CacheSamples, FieldStore, bounded, bounded_sync
from h2push.django_layer.field.token import WINDOW_SECONDS

__all__ = ["first_of_window", "first_of_window_sync"]

_in_process = OncePerWindow()
memory.on_forget(_in_process.clear)


def _first(store: FieldStore, route: str, client: str, window: int) -> bool:
    if not isinstance(store, CacheSamples):
        return _in_process.allow(route, client, window)
    digest = hashlib.sha256(f"{route}\n{client}\n{window}".encode()).hexdigest()[:32]
    # Two windows: a key must outlive the hour it was added in.
    added = caches[store.alias].add(f"h2push:field:once:{digest}", 1, 2 * WINDOW_SECONDS)
    return bool(added)


def first_of_window_sync(route: str, client: str, window: int) -> bool:
    """Whether ``client`` has not yet added a sample to ``route`` in ``window``
    (and now has)."""
    return bounded_sync(lambda store: _first(store, route, client, window), True)


async def first_of_window(route: str, client: str, window: int) -> bool:
    return await bounded(lambda store: _first(store, route, client, window), True)
