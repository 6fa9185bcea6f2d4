"""How field samples are written into a shared cache, and read back.

A Django cache pickles what it is given, and unpickling a class that has since been
renamed or changed fails, or worse, half works. So what goes into the cache is plain
data: versioned tuples of strings, numbers, booleans and ``None``. Reading is strict:
a value of another version, of another route (a hash collision, another program
sharing the cache) or of the wrong shape reads as nothing stored, never as an error.

The values, each led by :data:`FORMAT`:

- a (route, viewport group)'s window: ``(FORMAT, route, regular, holdout)``, where
  ``regular`` and ``holdout`` are tuples of rows, oldest first, and a row is
  ``(client, lcp, lcp_ms, fcp_ms, had_early_hint, hints)``, with ``lcp`` either
  ``None`` or ``(url, is_image, srcset, sizes)`` and ``hints`` a tuple of
  ``(url, used, initiator, response_end_ms)``;
- a route's counts: ``(FORMAT, route, samples, clients, indexed_at)``, one number
  per viewport group in each of ``samples`` and ``clients``;
- the index of routes: ``(FORMAT, routes)``, the route seen last at the end.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from h2push.django_layer.field.sample import HintUse, LcpElement, Sample, ViewportGroup

__all__ = [
    "FORMAT",
    "MAX_SAMPLES",
    "NO_COUNTS",
    "Counts",
    "Window",
    "compact",
    "decode_counts",
    "decode_index",
    "decode_window",
    "encode_counts",
    "encode_index",
    "encode_window",
]

#: The version of what is stored; a value of any other version reads as nothing.
FORMAT = 1
#: The most samples kept per route and viewport group, for visits served as usual and,
#: apart, for holdout visits: a quorum of 5 among 24 clients, and windows short enough
#: for a changed page to be seen within a day on a route with a few visits an hour.
MAX_SAMPLES = 24

_GROUPS = len(ViewportGroup)


@dataclass(frozen=True, slots=True)
class Window:
    """A route's last samples in one viewport group, each kind oldest first.

    Holdout visits (:attr:`Sample.holdout`) are a few in a hundred: kept among the
    others, a full window would hold one or two of them, too few to compare with.
    They are kept apart, :data:`MAX_SAMPLES` of each kind.
    """

    regular: tuple[Sample, ...] = ()
    holdout: tuple[Sample, ...] = ()

    @property
    def samples(self) -> tuple[Sample, ...]:
        return self.regular + self.holdout

    def add(self, sample: Sample) -> Window:
        """This window with ``sample``, its oldest of the kind dropped if full."""
        if sample.holdout:
            return Window(self.regular, (*self.holdout, sample)[-MAX_SAMPLES:])
        return Window((*self.regular, sample)[-MAX_SAMPLES:], self.holdout)

    def clients(self) -> int:
        """How many distinct clients sent these samples."""
        return len({sample.client for sample in self.samples})


@dataclass(frozen=True, slots=True)
class Counts:
    """How many samples, and from how many distinct clients, a route holds in each
    viewport group (indexed by :class:`ViewportGroup`)."""

    samples: tuple[int, ...] = (0,) * _GROUPS
    clients: tuple[int, ...] = (0,) * _GROUPS

    def with_window(self, group: ViewportGroup, window: Window) -> Counts:
        samples, clients = list(self.samples), list(self.clients)
        samples[group] = len(window.regular) + len(window.holdout)
        clients[group] = window.clients()
        return Counts(tuple(samples), tuple(clients))


NO_COUNTS = Counts()


def compact(sample: Sample) -> Sample:
    """``sample`` with its strings shared with every other sample's equal strings.

    Each report's URLs and client hash arrive as new strings; the same few URLs kept
    a thousand times over would cost an in-process store many times their size.
    """
    lcp = sample.lcp
    if lcp is not None:
        lcp = LcpElement(sys.intern(lcp.url), lcp.is_image, lcp.srcset, lcp.sizes)
    hints = tuple(
        HintUse(sys.intern(h.url), h.used, sys.intern(h.initiator), h.response_end_ms)
        for h in sample.hints
    )
    return dataclasses.replace(
        sample,
        route=sys.intern(sample.route),
        client=sys.intern(sample.client),
        lcp=lcp,
        hints=hints,
    )


# --- writing ----------------------------------------------------------------------


def _row(sample: Sample) -> tuple[object, ...]:
    lcp = sample.lcp
    element = None if lcp is None else (lcp.url, lcp.is_image, lcp.srcset, lcp.sizes)
    hints = tuple((h.url, h.used, h.initiator, h.response_end_ms) for h in sample.hints)
    return (sample.client, element, sample.lcp_ms, sample.fcp_ms, sample.had_early_hint, hints)


def encode_window(route: str, window: Window) -> tuple[object, ...]:
    regular = tuple(_row(sample) for sample in window.regular)
    holdout = tuple(_row(sample) for sample in window.holdout)
    return (FORMAT, route, regular, holdout)


def encode_counts(route: str, counts: Counts, indexed_at: float) -> tuple[object, ...]:
    return (FORMAT, route, counts.samples, counts.clients, indexed_at)


def encode_index(routes: Iterable[str]) -> tuple[object, ...]:
    return (FORMAT, tuple(routes))


# --- reading ----------------------------------------------------------------------


class _Damaged(Exception):
    """A stored value is not what this version writes."""


def _items(value: object, length: int | None = None) -> tuple[object, ...]:
    # Tuples come back as tuples from a pickling cache; a cache that serialises to
    # JSON gives lists, which say the same.
    if not isinstance(value, (tuple, list)) or (length is not None and len(value) != length):
        raise _Damaged
    return tuple(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _Damaged
    return value


def _maybe_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Damaged
    return value


def _time(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Damaged
    return float(value)


def _element(value: object) -> LcpElement | None:
    if value is None:
        return None
    url, is_image, srcset, sizes = _items(value, 4)
    return LcpElement(_text(url), _flag(is_image), _maybe_text(srcset), _maybe_text(sizes))


def _hint(value: object) -> HintUse:
    url, used, initiator, response_end = _items(value, 4)
    return HintUse(_text(url), _flag(used), _text(initiator), _time(response_end))


def _sample(route: str, group: ViewportGroup, holdout: bool, value: object) -> Sample:
    client, element, lcp_ms, fcp_ms, had_early_hint, hints = _items(value, 6)
    return Sample(
        route=route,
        group=group,
        client=_text(client),
        lcp=_element(element),
        lcp_ms=_time(lcp_ms),
        fcp_ms=_time(fcp_ms),
        had_early_hint=_flag(had_early_hint),
        holdout=holdout,
        hints=tuple(_hint(hint) for hint in _items(hints)),
    )


def _rows(route: str, group: ViewportGroup, holdout: bool, value: object) -> tuple[Sample, ...]:
    # A window written when MAX_SAMPLES was larger keeps its newest.
    rows = _items(value)[-MAX_SAMPLES:]
    return tuple(_sample(route, group, holdout, row) for row in rows)


def _led_by_route(value: object, route: str, length: int) -> tuple[object, ...]:
    """The fields after the format and route of a value of this version and route."""
    fields = _items(value, length)
    if fields[0] != FORMAT or isinstance(fields[0], bool) or fields[1] != route:
        raise _Damaged
    return fields[2:]


def decode_window(route: str, group: ViewportGroup, value: object) -> Window:
    """The window stored as ``value``; an empty one for anything else."""
    if value is None:
        return Window()
    try:
        regular, holdout = _led_by_route(value, route, 4)
        return Window(_rows(route, group, False, regular), _rows(route, group, True, holdout))
    except (_Damaged, ValueError, TypeError):
        return Window()


def _numbers(value: object) -> tuple[int, ...]:
    numbers: list[int] = []
    for number in _items(value, _GROUPS):
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise _Damaged
        numbers.append(number)
    return tuple(numbers)


def decode_counts(route: str, value: object) -> tuple[Counts, float] | None:
    """The counts stored as ``value`` and when the route was last put in the index;
    ``None`` for anything else."""
    if value is None:
        return None
    try:
        samples, clients, indexed_at = _led_by_route(value, route, 5)
        return Counts(_numbers(samples), _numbers(clients)), _time(indexed_at) or 0.0
    except (_Damaged, ValueError, TypeError):
        return None


def decode_index(value: object) -> tuple[str, ...]:
    """The routes stored as ``value``; none for anything else."""
    if value is None:
        return ()
    try:
        version, routes = _items(value, 2)
        if version != FORMAT or isinstance(version, bool):
            return ()
        return tuple(_text(route) for route in _items(routes))
    except _Damaged:
        return ()
