"""What the field changes in a route's hints: the LCP image added, unused hints left out.

A route's conclusions are worked out from its samples (:func:`quorum.conclude`, one
per viewport group) and kept in the process for :data:`MEMO_SECONDS`, or until this
process adds a sample to the route: a page pays a dictionary look-up, not a store
call, and a conclusion another worker reached is seen within that time.

Which group a page request belongs to is not known before the page runs its script;
``Sec-CH-UA-Mobile`` (sent by Chromium on every request) tells a phone from a
desktop, and a request without it counts as a desktop.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from h2push.core import caches
from h2push.django_layer.conf import conf
from h2push.django_layer.field import samples as field_samples
from h2push.django_layer.field.encoding import Window
from h2push.django_layer.field.page import under_static_or_media
from h2push.django_layer.field.quorum import Conclusion, conclude
from h2push.django_layer.field.sample import LcpElement, ViewportGroup
from h2push.django_layer.origins import asset_origins, is_trusted
from h2push.django_layer.preload import Preload

__all__ = [
    "MEMO_SECONDS",
    "NOTHING",
    "FieldHints",
    "forget_route",
    "group_of_request",
    "hints_for",
    "hints_for_sync",
]

#: How long a process keeps a route's conclusions before reading its samples again.
MEMO_SECONDS = 30.0
_MAX_ROUTES = 1024

_memo: OrderedDict[str, tuple[float, tuple[Conclusion, ...]]] = OrderedDict()
_lock = threading.Lock()
caches.on_forget(_memo.clear)


@dataclass(frozen=True, slots=True)
class FieldHints:
    """What the field says of one page request's hints."""

    lcp: Preload | None  # the LCP image to hint, with fetchpriority=high
    unused: frozenset[str]  # URLs visitors never used: left out unless declared
    samples: int  # the group's distinct clients, for the story
    single_client: bool


NOTHING = FieldHints(None, frozenset(), 0, False)


def group_of_request(headers: Mapping[str, str]) -> ViewportGroup:
    return ViewportGroup.PHONE if headers.get("sec-ch-ua-mobile") == "?1" else ViewportGroup.DESKTOP


def _remembered(route: str) -> tuple[Conclusion, ...] | None:
    with _lock:
        memo = _memo.get(route)
    if memo is None or time.monotonic() - memo[0] > MEMO_SECONDS:
        return None
    return memo[1]


def _remember(route: str, windows: Sequence[Window]) -> tuple[Conclusion, ...]:
    quorum = conf.H2PUSH_FIELD_QUORUM
    conclusions = tuple(_conclusion(window, quorum) for window in windows)
    with _lock:
        _memo[route] = (time.monotonic(), conclusions)
        _memo.move_to_end(route)
        while len(_memo) > _MAX_ROUTES:
            _memo.popitem(last=False)
    return conclusions


def _conclusion(window: Window, quorum: int) -> Conclusion:
    hinted = {hint.url for sample in window.samples for hint in sample.hints}
    return conclude(window.samples, quorum, hinted)


def forget_route(route: str) -> None:
    """This process added a sample to ``route``: work its conclusions out anew."""
    with _lock:
        _memo.pop(route, None)


def hints_for_sync(route: str, group: ViewportGroup, own_origin: str) -> FieldHints:
    conclusions = _remembered(route)
    if conclusions is None:
        conclusions = _remember(route, field_samples.get_windows_sync(route))
    return _hints(conclusions, group, own_origin)


async def hints_for(route: str, group: ViewportGroup, own_origin: str) -> FieldHints:
    conclusions = _remembered(route)
    if conclusions is None:
        conclusions = _remember(route, await field_samples.get_windows(route))
    return _hints(conclusions, group, own_origin)


def _hints(conclusions: Sequence[Conclusion], group: ViewportGroup, own: str) -> FieldHints:
    if group >= len(conclusions):
        return NOTHING
    found = conclusions[group]
    image = _lcp_preload(found.lcp, own) if found.lcp is not None else None
    return FieldHints(image, found.unused, found.clients, found.single_client)


@caches.per_process(1024)
def _lcp_preload(lcp: LcpElement, own_origin: str) -> Preload | None:
    """The LCP image as a preload: only an ``<img>`` under ``STATIC_URL`` or
    ``MEDIA_URL``, on the page's own origin or a trusted asset origin."""
    if not lcp.is_image or not is_trusted(lcp.url, own_origin, asset_origins()):
        return None
    if not under_static_or_media(lcp.url, own_origin):
        return None
    try:
        return Preload(
            lcp.url,
            "image",
            fetchpriority="high",
            imagesrcset=lcp.srcset,
            imagesizes=lcp.sizes,
        )
    except ValueError:  # a srcset a header cannot carry: no hint rather than a bad one
        return None
