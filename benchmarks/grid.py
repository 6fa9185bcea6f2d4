"""The grid of the browser benchmarks (``browser``, ``lcp``): their shared options,
round-trip times by view times, and reading them."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from typing import TypeVar

from benchmarks.results import add_output_arguments
from benchmarks.urls import VIEW_MS

__all__ = ["add_grid_arguments", "read_grid", "turns"]


def add_grid_arguments(parser: argparse.ArgumentParser, loads: int, views: str, quick: str) -> None:
    """``--loads``, ``--rtts``, ``--views``, ``--quick`` (its help: ``quick``) and the
    output options, with ``loads`` and ``views`` as the defaults."""
    add = parser.add_argument
    add("--loads", type=int, default=loads, help=f"loads per cell and variant (default {loads})")
    add("--rtts", default="20,50,100", help="round-trip times in ms (default 20,50,100)")
    add("--views", default=views, help=f"view times in ms, of {VIEW_MS} (default {views})")
    add("--quick", action="store_true", help=quick)
    add_output_arguments(parser)


def _numbers(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def read_grid(options: argparse.Namespace, quick_views: str) -> tuple[list[int], list[int]]:
    """The RTTs and views asked for; with ``--quick``, 2 loads at RTT 50 and
    ``quick_views``. Exits on a view not served or an RTT not positive."""
    if options.quick:
        options.loads, options.rtts, options.views = 2, "50", quick_views
    rtts, views = _numbers(options.rtts), _numbers(options.views)
    if any(ms not in VIEW_MS for ms in views) or any(rtt <= 0 for rtt in rtts):
        raise SystemExit(f"views must be among {VIEW_MS}, round-trip times positive")
    return rtts, views


V = TypeVar("V")


def turns(variants: Sequence[V], loads: int) -> Iterator[V]:
    """The variants' loads in one cell: ``loads`` rounds, each starting one variant
    further on, so that none always loads first."""
    for number in range(loads):
        shift = number % len(variants)
        yield from [*variants[shift:], *variants[:shift]]
