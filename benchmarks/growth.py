"""``growth``: how h2push's costs grow with what a site has, and whether its bounds hold.

Three measurements, each in a fresh process (:mod:`benchmarks.growth_parts`):

- **preloads per page**: CPU per request of a page naming 1, 4, 16 and 64 static
  files with ``{% static %}`` (stylesheets and scripts in turn, found by discovery,
  ``H2PUSH_MAX_PRELOADS = 64``), plain Django against h2push, in process, requests
  made as a browser makes them (``Sec-Fetch-*``: a 103, no push);
- **learned routes**: resident memory while h2push learns 0 to 5000 routes, each
  with a script of its own, to ten times ``H2PUSH_LEARNED_ROUTES`` (500);
- **page size**: :mod:`benchmarks.discovery`'s parse of pages of 10 KB, 100 KB, 1 MB.

Targets: each cost grows no faster than linearly (no step of a curve steeper than
slope 1 on log-log axes, with 0.15 allowed for noise), and the bounds hold: no
per-route structure passes its bound, and memory grows at most half as fast per
route beyond the bound as before it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from collections.abc import Callable
from typing import Any, TypeVar

from benchmarks import growth_parts, plots
from benchmarks.results import add_output_arguments, outputs, write_json
from benchmarks.stats import Verdict, bootstrap_median, grows_at_most_linearly, spread
from harness.machine import print_machine
from harness.report import load_average, log, print_table

__all__ = ["add_arguments", "memory_verdict", "run"]

T = TypeVar("T")
DISCOVERY_ROUTES = 512  # h2push.django_layer.discovery.MAX_ROUTES
ENTRY_KEYS = ("learned_store", "view_times", "discovery_routes")
# h2push's largest per-URL caches (functools.lru_cache of static URLs and preloads)
# fill until this many entries, then stop growing too.
CACHE_ENTRIES = 4096
CACHE_LABEL = "largest URL caches (4096)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--rounds", type=int, default=10, help="paired blocks per preload count (10)")
    add("--requests", type=int, default=100, help="requests per block (100)")
    add("--discovery-rounds", type=int, default=20, help="calls per discovery timing (20)")
    add("--quick", action="store_true", help="a smoke run: 2 blocks of 10, 3 calls")
    add_output_arguments(parser)


def in_child(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a fresh Python process."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result: T = pool.apply(function, args)
    return result


def run(options: argparse.Namespace) -> int:
    if options.quick:
        options.rounds, options.requests, options.discovery_rounds = 2, 10, 3
    started = time.monotonic()
    log("h2push growth benchmark: cost against preloads, routes and page size\n")
    print_machine()
    log(f"\nPreloads per page: {options.rounds} paired blocks of {options.requests} requests")
    preloads = in_child(growth_parts.preload_costs, options.rounds, options.requests)
    log("Learned routes: two pages per route, memory read at each checkpoint")
    memory = in_child(growth_parts.route_memory)
    log(f"Discovery: {options.discovery_rounds} calls per timing")
    discovery = in_child(growth_parts.discovery_times, options.discovery_rounds)
    verdicts, curves = report(preloads, memory, discovery)
    elapsed = time.monotonic() - started
    paths = outputs("growth", options)
    body = {
        "elapsed_s": elapsed,
        "preloads": preloads,
        "memory": memory,
        "discovery": discovery,
        "verdicts": [vars(v) | {"word": v.word} for v in verdicts],
    }
    write_json(paths.json_path, "growth", options, body)
    plots.growth_panels(curves, paths.svg_path)
    log(f"load average at the end: {load_average()}; took {elapsed:.0f} s")
    return 0 if all(v.met for v in verdicts) else 1


def _preload_rows(
    preloads: dict[str, Any],
) -> tuple[list[list[str]], list[float], list[float]]:
    """The table's rows; the preload counts and h2push's extra calls per request."""
    rows, counts, calls = [], [], []
    for count, blocks in preloads.items():
        plain, h2push = blocks["plain"], blocks["h2push"]
        extra = [(h - p) * 1000 for p, h in zip(plain, h2push, strict=True)]
        median, low, high = bootstrap_median(extra)
        extra_calls = blocks["calls"]["h2push"] - blocks["calls"]["plain"]
        counts.append(float(count))
        calls.append(extra_calls)
        rows.append(
            [
                count,
                spread(plain).text(3),
                spread(h2push).text(3),
                f"{median:.0f} [90% {low:.0f}-{high:.0f}]",
                f"{extra_calls:.0f}",
            ]
        )
    return rows, counts, calls


def memory_verdict(points: list[dict[str, Any]], bound: int) -> Verdict:
    """Bounds hold: no per-route structure passes its bound, and memory grows per
    route beyond the bound at most half as fast as up to it."""
    first = points[0]
    at_bound = next(p for p in points if p["routes"] >= bound)
    last = points[-1]
    before = (at_bound["rss_kb"] - first["rss_kb"]) / max(at_bound["routes"] - first["routes"], 1)
    after = (last["rss_kb"] - at_bound["rss_kb"]) / max(last["routes"] - at_bound["routes"], 1)
    entries_ok = all(
        p["learned_store"] <= bound
        and p["view_times"] <= bound
        and p["discovery_routes"] <= DISCOVERY_ROUTES
        for p in points
    )
    previous = points[-2]
    last_step = (last["rss_kb"] - previous["rss_kb"]) / max(last["routes"] - previous["routes"], 1)
    largest = {key: max(p[key] for p in points) for key in ENTRY_KEYS}
    measured = (
        f"{before:.1f} KB per route up to {at_bound['routes']}, {after:.1f} KB per route "
        f"beyond ({last_step:.1f} in the last step); largest store "
        f"{largest['learned_store']} routes (bound {bound}), view times "
        f"{largest['view_times']}, discovery {largest['discovery_routes']} "
        f"(bound {DISCOVERY_ROUTES})"
    )
    return Verdict(
        "memory bounded beyond H2PUSH_LEARNED_ROUTES", entries_ok and after <= before / 2, measured
    )


def _print_memory_and_discovery(points: list[dict[str, Any]], discovery: dict[str, Any]) -> None:
    print_table(
        ["routes", "RSS MB", "learned store", "view times", "discovery routes"],
        [
            [str(p["routes"]), f"{p['rss_kb'] / 1024:.1f}"]
            + [str(p[key]) for key in ("learned_store", "view_times", "discovery_routes")]
            for p in points
        ],
    )
    print_table(
        ["page", "bytes", "parse ms (wall/CPU)", "remembered us", "changed us"],
        [
            [
                label,
                str(d["bytes"]),
                f"{d['parse'][0] * 1e3:.2f} / {d['parse'][1] * 1e3:.2f}",
                f"{d['remembered'][1] * 1e6:.1f}",
                f"{d['changed'][1] * 1e6:.1f}",
            ]
            for label, d in discovery.items()
        ],
    )


def report(
    preloads: dict[str, Any], memory: dict[str, Any], discovery: dict[str, Any]
) -> tuple[list[Verdict], list[plots.Curve]]:
    """Print the tables and verdicts; return the verdicts and the plot's curves."""
    log("")
    rows, counts, calls = _preload_rows(preloads)
    headers = ["preloads", "plain ms/req", "h2push ms/req", "h2push's extra us", "extra calls"]
    print_table(headers, rows)
    points, bound = memory["points"], memory["bound"]
    _print_memory_and_discovery(points, discovery)
    sizes = [float(d["bytes"]) for d in discovery.values()]
    parse_ms = [d["parse"][1] * 1000 for d in discovery.values()]
    # The verdict reads the call counts: the CPU times' noise can exceed the growth.
    preload_ok, preload_step = grows_at_most_linearly(counts, calls)
    parse_ok, parse_step = grows_at_most_linearly(sizes, parse_ms)
    verdicts = [
        Verdict(
            "h2push's work per request grows at most linearly with preloads (calls)",
            preload_ok,
            f"steepest step's slope {preload_step:.2f}",
        ),
        memory_verdict(points, bound),
        Verdict(
            "discovery's parse grows at most linearly with page size",
            parse_ok,
            f"steepest step's slope {parse_step:.2f}",
        ),
    ]
    log("\nVerdicts:")
    for verdict in verdicts:
        log("  " + verdict.line())
    curves = [
        plots.Curve(
            "h2push's work per request",
            "preloads per page",
            "extra calls per request",
            counts,
            calls,
        ),
        plots.Curve(
            "Memory and learned routes",
            "routes learned",
            "resident memory, MB",
            [p["routes"] for p in points],
            [p["rss_kb"] / 1024 for p in points],
            log_x=False,
            linear_reference=False,
            bounds=((bound, "H2PUSH_LEARNED_ROUTES"), (CACHE_ENTRIES, CACHE_LABEL)),
        ),
        plots.Curve("Discovery: one parse", "page bytes", "CPU ms", sizes, parse_ms),
    ]
    return verdicts, curves
