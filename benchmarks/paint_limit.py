"""The ``browser`` benchmark's warm-cache limit in its report (see :mod:`benchmarks.paint`).

Variant w loads a's page with the stylesheet, the font and both scripts already in
Chromium's cache, the HTML fetched anew over a new connection: what hints can reach
at best. The target, for h2push (a, and d behind Caddy), where the view takes at
least one RTT: within 1.05 x the limit, for the first contentful paint and for when
the stylesheet, the font and the scripts became available to the page. That is
their Resource Timing ``responseEnd``: for an asset taken from a 103's preload or
from the cache, Chromium dates it when the document takes it, so it says when the
page had it, not when its bytes arrived (the server's record says that). "Scripts"
is the later of the two.

Per cell: the ratios a/w and d/w of the medians with bootstrap intervals, one
verdict per h2push variant, and how long after the HTML arrived each asset and the
paint came in a, d and w. The limit's own checks: each of its loads on a new
connection, its HTML fetched, no asset asked of the server, every asset from the
cache.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from benchmarks import warm
from benchmarks.chromium import ASSETS, Load
from benchmarks.stats import Verdict, bootstrap_ratio, spread
from harness.report import log, print_table

__all__ = [
    "LIMIT",
    "LIMIT_RATIO",
    "PARTS",
    "limit_checks",
    "limit_json",
    "limit_verdicts",
    "part_times",
    "print_limit",
]

LIMIT_RATIO = 1.05
LIMIT = "w"
H2PUSH = ("a", "d")
#: What the target is about: the paint and when each kind of asset was the page's.
PARTS = ("fcp", "stylesheet", "font", "scripts")
Results = dict[tuple[int, int, str], list[Load]]
Grid = tuple[Sequence[int], Sequence[int]]  # (RTTs, views)
Ratio = tuple[float, float, float]  # ratio of medians, 90 % interval low and high


def _time(load: Load, part: str) -> float:
    if part == "fcp":
        return load.fcp
    if part == "scripts":
        ends = [load.end("script"), load.end("module")]
        return math.nan if any(math.isnan(end) for end in ends) else max(ends)
    return load.end(part)


def part_times(loads: Sequence[Load], part: str, since_html: bool = False) -> list[float]:
    """Each load's time of ``part`` (of :data:`PARTS`), in ms from the navigation's
    start or, with ``since_html``, from the HTML's arrival (its ``responseEnd``)."""
    times = [_time(load, part) - (load.html_end if since_html else 0.0) for load in loads]
    return [time for time in times if not math.isnan(time)]


def _ratios(results: Results, rtt: int, view: int, key: str) -> dict[str, Ratio] | None:
    top, bottom = results.get((rtt, view, key)), results.get((rtt, view, LIMIT))
    if not top or not bottom:
        return None
    return {p: bootstrap_ratio(part_times(top, p), part_times(bottom, p)) for p in PARTS}


def _cells(results: Results, grid: Grid) -> list[tuple[int, int, str, dict[str, Ratio]]]:
    """Every (RTT, view, h2push variant) measured beside the limit, with its ratios."""
    rtts, views = grid
    found = []
    for rtt in rtts:
        for view in views:
            for key in H2PUSH:
                ratios = _ratios(results, rtt, view, key)
                if ratios is not None:
                    found.append((rtt, view, key, ratios))
    return found


def limit_verdicts(results: Results, grid: Grid) -> list[Verdict]:
    """Per cell and h2push variant: the paint and every asset within 1.05 x the limit."""
    verdicts = []
    for rtt, view, key, ratios in _cells(results, grid):
        met = all(ratios[part][0] <= LIMIT_RATIO for part in PARTS)
        _, low, high = ratios["fcp"]
        measured = ", ".join(f"{part} {ratios[part][0]:.3f}" for part in PARTS)
        measured += f" x limit [FCP 90% {low:.2f}-{high:.2f}]"
        target = (
            f"{key} <= {LIMIT_RATIO} x warm-cache limit, FCP and assets (RTT {rtt}, view {view})"
        )
        verdicts.append(Verdict(target, met, measured, applies=view >= rtt))
    return verdicts


def limit_checks(results: Results) -> dict[str, int]:
    """:func:`benchmarks.warm.limit_checks`, and that no load asked the server for
    an asset."""
    return warm.limit_checks(results, LIMIT, ASSETS, no_asset_asked=lambda load: not load.asked)


def _after_html(loads: Sequence[Load]) -> dict[str, float]:
    return {part: spread(part_times(loads, part, since_html=True)).median for part in PARTS}


def print_limit(results: Results, grid: Grid) -> None:
    """The ratios to the limit, the times after the HTML, and the limit's checks."""
    log("\nAgainst the warm-cache limit w: ratios of medians [90% bootstrap interval]")
    rows = [
        [str(rtt), str(view), key]
        + [f"{ratios[p][0]:.3f} [{ratios[p][1]:.2f}-{ratios[p][2]:.2f}]" for p in PARTS]
        for rtt, view, key, ratios in _cells(results, grid)
    ]
    print_table(["RTT", "view", "", *(f"{p} / w" for p in PARTS)], rows)
    log("\nAfter the HTML arrived (its responseEnd), median ms to each:")
    rtts, views = grid
    rows = []
    for rtt in rtts:
        for view in views:
            for key in (*H2PUSH, LIMIT):
                if results.get((rtt, view, key)):
                    after = _after_html(results[rtt, view, key])
                    rows.append([str(rtt), str(view), key, *(f"{after[p]:.0f}" for p in PARTS)])
    print_table(["RTT", "view", "", *PARTS], rows)
    checks = limit_checks(results)
    total = checks["loads"]
    log(
        f"The limit's loads: {checks['new_connection']}/{total} on a new connection, "
        f"{checks['html_fetched']}/{total} fetched the HTML, {checks['no_asset_asked']}/{total} "
        "asked the server for no asset; delivered from the cache: "
        + ", ".join(f"{a} {checks[f'{a}_cached']}/{total}" for a in ASSETS)
    )


def limit_json(results: Results, grid: Grid) -> dict[str, Any]:
    """The ratios to the limit per cell and variant, the times after the HTML, and
    the limit's checks, for the result's JSON."""
    ratios = {
        f"{rtt} {view} {key}": {part: list(ratio) for part, ratio in cell.items()}
        for rtt, view, key, cell in _cells(results, grid)
    }
    after = {
        f"{rtt} {view} {key}": _after_html(loads)
        for (rtt, view, key), loads in results.items()
        if key in (*H2PUSH, LIMIT)
    }
    return {"limit_ratios": ratios, "after_html": after, "limit_checks": limit_checks(results)}
