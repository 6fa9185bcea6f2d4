"""The browser benchmark's tables, verdicts, JSON and plot (see :mod:`benchmarks.paint`).

Per cell (RTT, view time) and variant: the median first contentful paint (FCP) with
its quartiles, and when the stylesheet, script and font were loaded (Resource
Timing ``responseEnd``). The targets, for h2push (a, and d behind Caddy):

- within 1.05 x the paint floor (e) where the view takes at least one RTT;
- faster than plain Django (b) in every cell.

A bootstrap interval of each ratio of medians says how much of a difference the
noise could make.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, Protocol

from benchmarks import plots
from benchmarks.chromium import ASSETS, Load
from benchmarks.results import Outputs, write_json
from benchmarks.stats import Verdict, bootstrap_ratio, spread
from harness.report import log, print_table

__all__ = ["FLOOR_LIMIT", "cell_verdicts", "progress", "report"]

FLOOR_LIMIT = 1.05
H2PUSH = ("a", "d")  # the variants the targets are about
PLAIN, FLOOR = "b", "e"
Results = dict[tuple[int, int, str], list[Load]]


class VariantLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...


def _fcps(loads: Sequence[Load]) -> list[float]:
    return [load.fcp for load in loads]


def progress(results: Results, variants: Sequence[VariantLike], rtt: int, view: int) -> str:
    medians = "  ".join(
        f"{v.key} {spread(_fcps(results.get((rtt, view, v.key), []))).median:4.0f}"
        for v in variants
    )
    return f"  RTT {rtt:3d} ms, view {view:3d} ms: median FCP (ms)  {medians}"


def cell_verdicts(fcp: dict[str, list[float]], rtt: int, view: int) -> list[Verdict]:
    """The two targets for each h2push variant measured in this cell."""
    verdicts = []
    for key in H2PUSH:
        if key not in fcp:
            continue
        if FLOOR in fcp:
            ratio, low, high = bootstrap_ratio(fcp[key], fcp[FLOOR])
            verdicts.append(
                Verdict(
                    f"{key} <= {FLOOR_LIMIT} x floor (RTT {rtt}, view {view})",
                    ratio <= FLOOR_LIMIT,
                    f"{ratio:.3f} x floor [90% {low:.2f}-{high:.2f}]",
                    applies=view >= rtt,
                )
            )
        if PLAIN in fcp:
            ratio, low, high = bootstrap_ratio(fcp[key], fcp[PLAIN])
            verdicts.append(
                Verdict(
                    f"{key} faster than plain Django (RTT {rtt}, view {view})",
                    ratio < 1.0,
                    f"{ratio:.3f} x plain [90% {low:.2f}-{high:.2f}]",
                )
            )
    return verdicts


def _row(rtt: int, view: int, key: str, loads: Sequence[Load]) -> list[str]:
    hinted = sum("stylesheet" in load.from_hints for load in loads)
    return [
        str(rtt),
        str(view),
        key,
        spread(_fcps(loads)).text(),
        spread([load.end("stylesheet") for load in loads]).text(),
        spread([load.end("script") for load in loads]).text(),
        spread([load.end("font") for load in loads]).text(),
        spread([load.html_end for load in loads]).text(),
        f"{hinted}/{len(loads)}",
        _server(loads, "stylesheet_sent"),
        _server(loads, "page_sent"),
    ]


def _server(loads: Sequence[Load], name: str) -> str:
    values = [load.server[name] for load in loads if name in load.server]
    return f"{spread(values).median:.0f}" if values else "-"


def _json_cell(loads: Sequence[Load]) -> dict[str, Any]:
    summary: dict[str, Any] = {"fcp": vars(spread(_fcps(loads)))}
    for asset in ASSETS:
        summary[asset] = vars(spread([load.end(asset) for load in loads]))
    summary["html_end"] = vars(spread([load.html_end for load in loads]))
    summary["stylesheet_from_103"] = sum("stylesheet" in load.from_hints for load in loads)
    for name in ("hint", "stylesheet_request", "stylesheet_sent", "page_sent"):
        values = [load.server[name] for load in loads if name in load.server]
        summary[f"server_{name}"] = vars(spread(values))
    summary["loads"] = [vars(load) for load in loads]
    return summary


def report(
    results: Results,
    variants: Sequence[VariantLike],
    rtts: Sequence[int],
    views: Sequence[int],
    paths: Outputs,
    options: argparse.Namespace,
    elapsed: float,
) -> int:
    """Print the tables and verdicts, write the JSON and the plot; 1 if a target is missed."""
    log("")
    rows = [
        _row(rtt, view, v.key, results[rtt, view, v.key])
        for rtt in rtts
        for view in views
        for v in variants
    ]
    headers = ["RTT", "view", "", "FCP", "stylesheet", "script", "font", "HTML", "CSS by 103"]
    print_table([*headers, "CSS sent", "page sent"], rows)
    log("ms from the navigation's start: median [quartiles]; 'CSS by 103': loads whose")
    log("stylesheet the browser took from the 103; 'CSS sent', 'page sent': medians in ms")
    log("from the page's request, as the server recorded it (not behind Caddy).")
    log(_legend(variants))
    verdicts = [
        verdict
        for rtt in rtts
        for view in views
        for verdict in cell_verdicts(
            {v.key: _fcps(results[rtt, view, v.key]) for v in variants}, rtt, view
        )
    ]
    log("\nVerdicts (n/a: the view is shorter than one RTT, no floor target there):")
    for verdict in verdicts:
        log("  " + verdict.line())
    cells = {f"{r} {w} {k}": _json_cell(loads) for (r, w, k), loads in results.items()}
    body = {
        "variants": {v.key: v.label for v in variants},
        "elapsed_s": elapsed,
        "verdicts": [vars(v) | {"word": v.word} for v in verdicts],
        "cells": cells,
    }
    write_json(paths.json_path, "browser", options, body)
    draw(results, variants, rtts, views, paths)
    missed = [v for v in verdicts if v.applies and not v.met]
    return 1 if missed else 0


def _legend(variants: Sequence[VariantLike]) -> str:
    return "; ".join(f"{v.key}: {v.label}" for v in variants)


def draw(
    results: Results,
    variants: Sequence[VariantLike],
    rtts: Sequence[int],
    views: Sequence[int],
    paths: Outputs,
) -> None:
    """Bars of FCP per cell (not the floor's: it is the dashed line)."""
    panels: dict[str, dict[str, list[plots.Bar]]] = {}
    floors: dict[str, dict[str, float]] = {}
    for rtt in rtts:
        panel = f"RTT {rtt} ms"
        for view in views:
            group = f"view {view} ms"
            bars = []
            for v in variants:
                cell = spread(_fcps(results[rtt, view, v.key]))
                if v.key == FLOOR:
                    floors.setdefault(panel, {})[group] = cell.median
                else:
                    bars.append(plots.Bar(f"{v.key}: {v.label}", cell.median, cell.q1, cell.q3))
            panels.setdefault(panel, {})[group] = bars
    plots.bars_with_floor(
        panels,
        floors,
        paths.svg_path,
        y_label="first contentful paint, ms (median, quartiles)",
        title="Headless Chromium, cold cache: FCP per cell (dashed: the paint floor)",
    )
