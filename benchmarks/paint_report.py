"""The browser benchmark's tables, verdicts, JSON and plot (see :mod:`benchmarks.paint`).

Per cell (RTT, view time) and variant: the median first contentful paint (FCP) with
its quartiles, and when the stylesheet, script and font were loaded (Resource
Timing ``responseEnd``). The targets, for h2push (a, and d behind Caddy):

- within 1.05 x the paint floor (e) where the view takes at least one RTT;
- faster than plain Django (b) in every cell;
- within 1.05 x the warm-cache limit (w) where the view takes at least one RTT, for
  the paint and for the stylesheet, the font and the scripts
  (:mod:`benchmarks.paint_limit`).

A bootstrap interval of each ratio of medians says how much of a difference the
noise could make.

The pieces that do not depend on the metric (progress line, a ratio's verdict, the
server's timings, the verdicts of the grid, the JSON, the plot against a reference
variant) take the metric and the reference as parameters; :mod:`benchmarks.lcp_report`
uses them too.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from benchmarks import plots
from benchmarks.chromium import ASSETS, Load
from benchmarks.paint_limit import LIMIT, limit_json, limit_verdicts, part_times, print_limit
from benchmarks.results import Outputs, write_json
from benchmarks.stats import Verdict, bootstrap_ratio, spread
from harness.report import log, print_table

__all__ = [
    "FLOOR_LIMIT",
    "cell_verdicts",
    "draw_against",
    "grid_verdicts",
    "metric_progress",
    "print_cells",
    "progress",
    "ratio_verdict",
    "report",
    "server_median",
    "server_spreads",
    "write_results",
]

FLOOR_LIMIT = 1.05
H2PUSH = ("a", "d")  # the variants the targets are about
PLAIN, FLOOR = "b", "e"
Results = dict[tuple[int, int, str], list[Load]]
Grid = tuple[Sequence[int], Sequence[int]]  # (RTTs, views)


class VariantLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...


class ServerTimed(Protocol):
    server: dict[str, float]


AnyLoad = TypeVar("AnyLoad")
Timed = TypeVar("Timed", bound=ServerTimed)
Cells = Mapping[tuple[int, int, str], Sequence[AnyLoad]]
CellVerdicts = Callable[[dict[str, list[float]], int, int], list[Verdict]]


def _fcps(loads: Sequence[Load]) -> list[float]:
    return [load.fcp for load in loads]


def progress(results: Results, variants: Sequence[VariantLike], rtt: int, view: int) -> str:
    return metric_progress(results, variants, (rtt, view), _fcps, "FCP")


def metric_progress(
    results: Cells[AnyLoad],
    variants: Sequence[VariantLike],
    cell: tuple[int, int],
    metric: Callable[[Sequence[AnyLoad]], list[float]],
    name: str,
) -> str:
    """A cell's median ``metric`` per variant, one line."""
    rtt, view = cell
    medians = "  ".join(
        f"{v.key} {spread(metric(results.get((rtt, view, v.key), []))).median:4.0f}"
        for v in variants
    )
    return f"  RTT {rtt:3d} ms, view {view:3d} ms: median {name} (ms)  {medians}"


def ratio_verdict(
    target: str,
    top: Sequence[float],
    bottom: Sequence[float],
    met: Callable[[float], bool],
    reference: str,
    applies: bool = True,
) -> Verdict:
    """Whether the ratio of medians ``top / bottom`` meets ``met``, with its interval."""
    ratio, low, high = bootstrap_ratio(top, bottom)
    measured = f"{ratio:.3f} x {reference} [90% {low:.2f}-{high:.2f}]"
    return Verdict(target, met(ratio), measured, applies=applies)


def cell_verdicts(fcp: dict[str, list[float]], rtt: int, view: int) -> list[Verdict]:
    """The two targets for each h2push variant measured in this cell."""
    verdicts = []
    for key in H2PUSH:
        if key not in fcp:
            continue
        if FLOOR in fcp:
            target = f"{key} <= {FLOOR_LIMIT} x floor (RTT {rtt}, view {view})"
            verdicts.append(
                ratio_verdict(
                    target, fcp[key], fcp[FLOOR], lambda r: r <= FLOOR_LIMIT, "floor", view >= rtt
                )
            )
        if PLAIN in fcp:
            target = f"{key} faster than plain Django (RTT {rtt}, view {view})"
            verdicts.append(ratio_verdict(target, fcp[key], fcp[PLAIN], lambda r: r < 1.0, "plain"))
    return verdicts


def grid_verdicts(
    results: Cells[AnyLoad],
    variants: Sequence[VariantLike],
    grid: Grid,
    metric: Callable[[Sequence[AnyLoad]], list[float]],
    verdicts: CellVerdicts,
) -> list[Verdict]:
    """``verdicts`` of each cell's ``metric`` per variant, cell by cell."""
    rtts, views = grid
    return [
        verdict
        for rtt in rtts
        for view in views
        for verdict in verdicts(
            {v.key: metric(results[rtt, view, v.key]) for v in variants}, rtt, view
        )
    ]


def print_cells(
    results: Cells[AnyLoad],
    variants: Sequence[VariantLike],
    grid: Grid,
    row: Callable[[int, int, str, Sequence[AnyLoad]], list[str]],
    headers: Sequence[str],
) -> None:
    """A table of ``row(rtt, view, key, loads)`` per cell and variant."""
    rtts, views = grid
    rows = [
        row(rtt, view, v.key, results[rtt, view, v.key])
        for rtt in rtts
        for view in views
        for v in variants
    ]
    print_table(list(headers), rows)


def server_median(loads: Sequence[ServerTimed], name: str) -> str:
    """The median of what the server recorded as ``name``, or ``-``."""
    values = [load.server[name] for load in loads if name in load.server]
    return f"{spread(values).median:.0f}" if values else "-"


def server_spreads(loads: Sequence[ServerTimed], names: Sequence[str]) -> dict[str, Any]:
    """The spread of each server timing in ``names``, as ``server_<name>``."""
    summary: dict[str, Any] = {}
    for name in names:
        values = [load.server[name] for load in loads if name in load.server]
        summary[f"server_{name}"] = vars(spread(values))
    return summary


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
        server_median(loads, "stylesheet_sent"),
        server_median(loads, "page_sent"),
    ]


def _json_cell(loads: Sequence[Load]) -> dict[str, Any]:
    summary: dict[str, Any] = {"fcp": vars(spread(_fcps(loads)))}
    for asset in ASSETS:
        summary[asset] = vars(spread([load.end(asset) for load in loads]))
    summary["scripts"] = vars(spread(part_times(loads, "scripts")))
    summary["html_end"] = vars(spread([load.html_end for load in loads]))
    summary["stylesheet_from_103"] = sum("stylesheet" in load.from_hints for load in loads)
    summary["assets_asked"] = {a: sum(a in load.asked for load in loads) for a in ASSETS}
    summary["assets_cached"] = {a: sum(a in load.cached for load in loads) for a in ASSETS}
    names = ("hint", "stylesheet_request", "stylesheet_sent", "page_sent")
    summary |= server_spreads(loads, names)
    summary["loads"] = [vars(load) for load in loads]
    return summary


def write_results(
    name: str,
    results: Cells[AnyLoad],
    variants: Sequence[VariantLike],
    verdicts: Sequence[Verdict],
    json_cell: Callable[[Sequence[AnyLoad]], dict[str, Any]],
    extra: dict[str, Any],
    run: tuple[Outputs, argparse.Namespace, float],
) -> int:
    """Write the JSON (``extra`` after the elapsed time); 1 if a target is missed."""
    paths, options, elapsed = run
    body = {
        "variants": {v.key: v.label for v in variants},
        "elapsed_s": elapsed,
        **extra,
        "verdicts": [vars(v) | {"word": v.word} for v in verdicts],
        "cells": {f"{r} {w} {k}": json_cell(loads) for (r, w, k), loads in results.items()},
    }
    write_json(paths.json_path, name, options, body)
    missed = [v for v in verdicts if v.applies and not v.met]
    return 1 if missed else 0


def report(
    results: Results,
    variants: Sequence[VariantLike],
    grid: Grid,
    paths: Outputs,
    options: argparse.Namespace,
    elapsed: float,
    extra: dict[str, Any],
) -> int:
    """Print the tables and verdicts, write the JSON (with ``extra``) and the plot; 1 if
    a target is missed."""
    rtts, views = grid
    log("")
    headers = ["RTT", "view", "", "FCP", "stylesheet", "script", "font", "HTML", "CSS by 103"]
    print_cells(results, variants, (rtts, views), _row, [*headers, "CSS sent", "page sent"])
    log("ms from the navigation's start: median [quartiles]; 'CSS by 103': loads whose")
    log("stylesheet the browser took from the 103; 'CSS sent', 'page sent': medians in ms")
    log("from the page's request, as the server recorded it (not behind Caddy).")
    log("; ".join(f"{v.key}: {v.label}" for v in variants))
    print_limit(results, (rtts, views))
    verdicts = grid_verdicts(results, variants, (rtts, views), _fcps, cell_verdicts)
    verdicts += limit_verdicts(results, (rtts, views))
    log("\nVerdicts (n/a: the view is shorter than one RTT, no floor or limit target there):")
    for verdict in verdicts:
        log("  " + verdict.line())
    extra = limit_json(results, (rtts, views)) | extra
    run = (paths, options, elapsed)
    status = write_results("browser", results, variants, verdicts, _json_cell, extra, run)
    draw_against(
        results,
        variants,
        (rtts, views),
        (_fcps, FLOOR, lambda v: f"{v.key}: {v.label}"),
        paths,
        (
            "first contentful paint, ms (median, quartiles)",
            "Headless Chromium: FCP per cell (dashed: paint floor; dotted: warm-cache limit)",
        ),
        limit=LIMIT,
    )
    return status


def draw_against(
    results: Cells[AnyLoad],
    variants: Sequence[VariantLike],
    grid: Grid,
    how: tuple[Callable[[Sequence[AnyLoad]], list[float]], str, Callable[[VariantLike], str]],
    paths: Outputs,
    labels: tuple[str, str],
    limit: str | None = None,
) -> None:
    """Bars of the metric per cell and variant but the reference, whose median is the
    dashed line, and the ``limit`` variant, if any, whose median is a dotted one.
    ``how``: the metric, the reference's key, a bar's label; ``labels``: the y axis's
    and the plot's title."""
    metric, reference, label = how
    rtts, views = grid
    panels: dict[str, dict[str, list[plots.Bar]]] = {}
    floors: dict[str, dict[str, float]] = {}
    limits: dict[str, dict[str, float]] = {}
    for rtt in rtts:
        panel = f"RTT {rtt} ms"
        for view in views:
            group = f"view {view} ms"
            bars = []
            for v in variants:
                cell = spread(metric(results[rtt, view, v.key]))
                if v.key == reference:
                    floors.setdefault(panel, {})[group] = cell.median
                elif v.key == limit:
                    limits.setdefault(panel, {})[group] = cell.median
                else:
                    bars.append(plots.Bar(label(v), cell.median, cell.q1, cell.q3))
            panels.setdefault(panel, {})[group] = bars
    y_label, title = labels
    plots.bars_with_floor(
        panels, floors, paths.svg_path, y_label=y_label, title=title, limits=limits
    )
