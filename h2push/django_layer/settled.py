"""Routes whose learned links have stopped changing: most of their pages skip learning.

A route's pages usually load the same assets, page after page. Once
:data:`LOOKS_TO_SETTLE` pages in a row have left the route's entry as it was, the
route is *settled* in this process: its entry is kept here, and what its pages send
(the early links, the merged ``Link`` value) is worked out once and reused. Only one
of its pages in :data:`LOOK_EVERY` is still *looked at*: the store is read, discovery
reads the HTML and the route's entry is updated, as on any unsettled route. A looked-at
page that disagrees (new links, or a store entry another process changed) unsettles
the route at once, so a settled route hints nothing stale for more than
:data:`LOOK_EVERY` of its pages.

A settings change forgets every settled route (:mod:`h2push.core.caches`), and so does
a new deploy: a static files storage whose manifest changed (Django's
``manifest_hash``) is a new set of file names, and the next page of every route is
looked at.

Kept per process and per route and origin, bounded like the other per-process memory;
threads share it without locks: a race costs at most a page counted twice or a look
taken early, never a wrong link.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from h2push.core import caches
from h2push.django_layer import staticnames
from h2push.django_layer.learning import Learned

__all__ = [
    "LOOKS_TO_SETTLE",
    "LOOK_EVERY",
    "SettledRoute",
    "forget",
    "is_settled",
    "observe",
    "settled",
    "unsettle",
]

#: One page in this many of a settled route is looked at: the bound, in pages, on how
#: long a changed asset name can go unnoticed (learning then needs its two pages).
LOOK_EVERY = 32
#: Looked-at pages in a row that must leave the route's entry as it was.
LOOKS_TO_SETTLE = 3
# Distinct (route, origin) pairs kept; past it all are forgotten, as the route and
# origin memory does: Host values an attacker varies cost looks, never memory.
_MAX_ROUTES = 1024
# What a settled route keeps (per view, per view Link header): a handful in use.
_MAX_KEPT = 16


@dataclass(slots=True, eq=False)
class SettledRoute:
    """A settled route's entry, and what its pages reuse."""

    entry: Learned
    generation: object
    pages: int = 0  # since the last look
    kept: dict[Hashable, object] = field(default_factory=dict)

    def reused(self, key: Hashable) -> Any:
        """What an earlier page of the route kept under ``key``, if anything."""
        return self.kept.get(key)

    def keep(self, key: Hashable, value: object) -> None:
        if len(self.kept) < _MAX_KEPT:
            self.kept[key] = value


@dataclass(slots=True)
class _Watch:
    """A route not settled yet: the entry its last looks agreed on, and how often."""

    entry: Learned
    unchanged: int


_routes: dict[tuple[str, str], SettledRoute | _Watch] = {}


def forget() -> None:
    """Forget every route's settling (a settings change does it too)."""
    _routes.clear()


caches.on_forget(forget)


def settled(route: str, origin: str) -> SettledRoute | None:
    """The route's settled state if this page need not be looked at; counts the page."""
    known = _routes.get((route, origin))
    if not isinstance(known, SettledRoute):
        return None
    if known.generation != _generation():
        # A new manifest: what the names and sizes of static files were is forgotten,
        # with every settled route.
        caches.forget("STORAGES")
        return None
    known.pages += 1
    # Due a look until a page that can teach (a 200 HTML page) has been read: a
    # redirect or an error in the look's place must not put the next look off.
    return None if known.pages >= LOOK_EVERY else known


def is_settled(route: str, origin: str) -> bool:
    """Whether the route is settled (this page, then, is one of its looks)."""
    return isinstance(_routes.get((route, origin)), SettledRoute)


def unsettle(route: str, origin: str) -> None:
    """Read the route's pages again, from the next one on (its store failed, or a
    page changed what it agreed on)."""
    _routes.pop((route, origin), None)


def observe(route: str, origin: str, read: Learned, after: Learned, sure: bool) -> None:
    """A looked-at page's outcome: the entry the store held, the entry after the
    page, and whether the page's links were its own (``sure``: not a guess while
    discovery reads it in the background). What counts is what the route's pages
    agree on: a page that changes only the links it saw itself changes no hint."""
    key = (route, origin)
    if after.agreed != read.agreed:
        unsettle(route, origin)
        return
    known = _routes.get(key)
    if isinstance(known, SettledRoute):
        # A look unsettles the route if another process changed the shared entry, or
        # if its page had links beyond the settled ones: the pages after it are read
        # then, and two of them in a row must agree before such a link is hinted.
        if known.entry.agreed != read.agreed or after.seen != after.agreed:
            unsettle(route, origin)
        else:
            known.pages = 0
        return
    if not sure:
        return  # neither settles nor unsettles: the page's own links are not known yet
    unchanged = (
        known.unchanged + 1 if known is not None and known.entry.agreed == read.agreed else 1
    )
    if len(_routes) >= _MAX_ROUTES:
        _routes.clear()
    if unchanged >= LOOKS_TO_SETTLE:
        _routes[key] = SettledRoute(after, _generation())
    else:
        _routes[key] = _Watch(after, unchanged)


def _generation() -> object:
    """What names this deploy's static files: the manifest's hash, if the storage
    keeps one (``ManifestStaticFilesStorage`` and its kin)."""
    return getattr(staticnames.built_storage(), "manifest_hash", None)
