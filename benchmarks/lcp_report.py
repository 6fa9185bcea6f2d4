"""The ``lcp`` benchmark's tables, verdicts, JSON and plot (see :mod:`benchmarks.lcp`).

Per cell (RTT, view time) and variant: the median largest contentful paint (LCP)
with its quartiles, the first contentful paint, the HTML's and the hero's
``responseEnd``, how many loads took the hero from the 103, and when the server was
asked for the hero and sent the page. The targets, for h2push with field data,
where the view takes at least one RTT:

- LCP within 1.10 x the warm-cache limit;
- LCP at most 0.8 x plain Django's.

A bootstrap interval of each ratio of medians says how much of a difference the
noise could make. The limit's own checks are printed too: each of its loads should
open a new connection, fetch the HTML and take all three assets from the cache.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from benchmarks import warm
from benchmarks.lcp_browser import ASSETS, HeroLoad
from benchmarks.paint_report import (
    VariantLike,
    draw_against,
    grid_verdicts,
    metric_progress,
    print_cells,
    ratio_verdict,
    server_median,
    server_spreads,
    write_results,
)
from benchmarks.results import Outputs
from benchmarks.stats import Verdict, bootstrap_ratio, spread
from harness.report import log, print_table

__all__ = ["LIMIT_RATIO", "PLAIN_RATIO", "cell_verdicts", "progress", "report"]

LIMIT_RATIO = 1.10
PLAIN_RATIO = 0.8
FIELD, NO_FIELD, PLAIN, LIMIT = "field", "h2push", "plain", "limit"
Results = dict[tuple[int, int, str], list[HeroLoad]]


def _lcps(loads: Sequence[HeroLoad]) -> list[float]:
    return [load.lcp for load in loads]


def progress(results: Results, variants: Sequence[VariantLike], rtt: int, view: int) -> str:
    return metric_progress(results, variants, (rtt, view), _lcps, "LCP")


def cell_verdicts(lcp: dict[str, list[float]], rtt: int, view: int) -> list[Verdict]:
    """The two targets of h2push with field data in this cell."""
    verdicts = []
    if FIELD in lcp and LIMIT in lcp:
        target = f"field <= {LIMIT_RATIO} x limit (RTT {rtt}, view {view})"
        verdicts.append(
            ratio_verdict(
                target, lcp[FIELD], lcp[LIMIT], lambda r: r <= LIMIT_RATIO, "limit", view >= rtt
            )
        )
    if FIELD in lcp and PLAIN in lcp:
        target = f"field <= {PLAIN_RATIO} x plain Django (RTT {rtt}, view {view})"
        verdicts.append(
            ratio_verdict(
                target, lcp[FIELD], lcp[PLAIN], lambda r: r <= PLAIN_RATIO, "plain", view >= rtt
            )
        )
    return verdicts


def _row(rtt: int, view: int, key: str, loads: Sequence[HeroLoad]) -> list[str]:
    hinted = sum("hero" in load.from_hints for load in loads)
    return [
        str(rtt),
        str(view),
        key,
        spread(_lcps(loads)).text(),
        spread([load.fcp for load in loads]).text(),
        spread([load.request_start for load in loads]).text(),
        spread([load.html_end for load in loads]).text(),
        spread([load.end("hero") for load in loads]).text(),
        f"{hinted}/{len(loads)}",
        server_median(loads, "hero_request"),
        server_median(loads, "page_sent"),
    ]


def _ratio(top: Sequence[HeroLoad], bottom: Sequence[HeroLoad]) -> str:
    ratio, low, high = bootstrap_ratio(_lcps(top), _lcps(bottom))
    return f"{ratio:.3f} [{low:.2f}-{high:.2f}]"


def _ratio_rows(results: Results, rtts: Sequence[int], views: Sequence[int]) -> list[list[str]]:
    rows = []
    for rtt in rtts:
        for view in views:
            cell = {
                key: results.get((rtt, view, key), []) for key in (FIELD, NO_FIELD, PLAIN, LIMIT)
            }
            rows.append(
                [
                    str(rtt),
                    str(view),
                    _ratio(cell[FIELD], cell[LIMIT]),
                    _ratio(cell[FIELD], cell[PLAIN]),
                    _ratio(cell[NO_FIELD], cell[PLAIN]),
                    _ratio(cell[PLAIN], cell[LIMIT]),
                ]
            )
    return rows


def limit_checks(results: Results) -> dict[str, int]:
    """:func:`benchmarks.warm.limit_checks` of the hero page's loads."""
    return warm.limit_checks(results, LIMIT, ASSETS)


def _json_cell(loads: Sequence[HeroLoad]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "lcp": vars(spread(_lcps(loads))),
        "fcp": vars(spread([load.fcp for load in loads])),
        "request_start": vars(spread([load.request_start for load in loads])),
        "html_end": vars(spread([load.html_end for load in loads])),
    }
    for asset in ASSETS:
        summary[asset] = vars(spread([load.end(asset) for load in loads]))
    summary["hero_from_103"] = sum("hero" in load.from_hints for load in loads)
    summary |= server_spreads(loads, ("hint", "hero_request", "hero_sent", "page_sent"))
    summary["loads"] = [vars(load) for load in loads]
    return summary


def report(
    results: Results,
    variants: Sequence[VariantLike],
    grid: tuple[Sequence[int], Sequence[int]],
    taught: dict[str, Any],
    paths: Outputs,
    options: argparse.Namespace,
    elapsed: float,
) -> int:
    """Print the tables and verdicts, write the JSON and the plot; 1 if a target is missed."""
    rtts, views = grid
    log("")
    headers = ["RTT", "view", "", "LCP", "FCP", "request", "HTML", "hero", "hero by 103"]
    print_cells(results, variants, grid, _row, [*headers, "hero asked", "page sent"])
    log("ms from the navigation's start: median [quartiles]; 'request': when the page's")
    log("request went out (after the connection's TLS handshake); 'hero by 103': loads whose")
    log("image the browser took from the 103; 'hero asked', 'page sent': medians in ms from")
    log("the page's request, as the server recorded them (the limit's hero is never asked).")
    log("; ".join(f"{v.key}: {v.label}" for v in variants))
    log("\nRatios of median LCPs [90% bootstrap interval]:")
    print_table(
        ["RTT", "view", "field / limit", "field / plain", "h2push / plain", "plain / limit"],
        _ratio_rows(results, rtts, views),
    )
    checks = limit_checks(results)
    log(
        f"\nThe limit's loads: {checks['new_connection']}/{checks['loads']} on a new "
        f"connection, {checks['html_fetched']}/{checks['loads']} fetched the HTML; from the "
        "cache: " + ", ".join(f"{a} {checks[f'{a}_cached']}/{checks['loads']}" for a in ASSETS)
    )
    verdicts = grid_verdicts(results, variants, grid, _lcps, cell_verdicts)
    log("\nVerdicts (n/a: the view is shorter than one RTT):")
    for verdict in verdicts:
        log("  " + verdict.line())
    extra = {
        "teaching": {k: {str(kk): vv for kk, vv in v.items()} for k, v in taught.items()},
        "limit_checks": checks,
    }
    run = (paths, options, elapsed)
    status = write_results("lcp", results, variants, verdicts, _json_cell, extra, run)
    draw_against(
        results,
        variants,
        grid,
        (_lcps, LIMIT, lambda v: v.label),
        paths,
        (
            "largest contentful paint, ms (median, quartiles)",
            "Hero page LCP in headless Chromium, cold cache (dashed: warm-cache limit)",
        ),
    )
    return status
