"""``early-hints``: how much sooner a page's stylesheet arrives with a 103.

A browser-like client (push refused, see :mod:`benchmarks.browser`) loads
``/slow/?ms=300`` through a TCP delay proxy and asks for the stylesheet as soon as
it learns its URL: from the 103 when Early Hints are on, else from the final
response. Each cell is a fresh connection (the handshake is not timed), hints on and
off alternating, at several round-trip times.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence

from benchmarks.browser import BrowserConnection, PageLoad
from benchmarks.servers import HOST, ServerSpec, Site, bench_servers, delayed
from harness.machine import print_machine
from harness.report import load_average, log, median, print_table

__all__ = ["add_arguments", "run"]

# hints on (True) or off: (server name, H2PUSH_BENCH_VARIANT)
SERVERS = {True: ("hints-on", "h2push"), False: ("hints-off", "nohints")}
APP = "h2push_static"  # the stylesheet must be servable
TEACHING_VISITS = 2  # h2push names a route's assets once two pages agreed
Cell = tuple[float, bool]  # (round-trip time in ms, hints on)
Results = dict[Cell, list[PageLoad]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=7, help="loads per cell (default 7)")
    parser.add_argument("--view-ms", type=int, default=300, help="the view's delay (300)")
    parser.add_argument("--rtts", default="0,20,100", help="round-trip times in ms (0,20,100)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 loads per cell")


def run(options: argparse.Namespace) -> int:
    if options.quick:
        options.runs = 2
    rtts = [float(x) for x in options.rtts.split(",")]
    path = f"/slow/?ms={options.view_ms}"
    started = time.monotonic()
    log("h2push Early Hints benchmark: time until a page's stylesheet has arrived\n")
    print_machine()
    log(
        f"\nPage {path} ({options.view_ms} ms of view work, assets named with "
        f"{{% push_static %}}, learned after {TEACHING_VISITS} visits); {options.runs} runs "
        "per cell, a fresh connection each (handshake not timed), hints on and off "
        "alternating.\n"
    )
    log("Starting Hypercorn (1 worker, TLS, HTTP/2) with the static files handler:")
    specs = {name: ServerSpec(variant, APP) for name, variant in SERVERS.values()}
    with (
        bench_servers(specs, "/bench/static/") as site,
        delayed(routes(site, rtts), site.workdir) as ports,
    ):
        check_hints(ports, path)
        results = measure(ports, rtts, path, options.runs)
    log("")
    print_loads(rtts, results)
    log("")
    print_gains(rtts, results)
    log(f"load average after: {load_average()}; took {time.monotonic() - started:.0f} s")
    return 0


def routes(site: Site, rtts: Sequence[float]) -> dict[Cell, tuple[int, float]]:
    """Each cell's server port and round-trip time."""
    return {(rtt, on): (site.servers[SERVERS[on][0]].port, rtt) for rtt in rtts for on in SERVERS}


def check_hints(ports: dict[Cell, int], path: str) -> None:
    """Teach each route and check what it answers.

    h2push learns per host and route, and the client names the port it connects to,
    so visits through each port teach its route; the one after shows what it sends.
    """
    for (rtt, on), port in ports.items():
        with BrowserConnection(HOST, port) as connection:
            for _ in range(TEACHING_VISITS):
                connection.load(path)
            check = connection.load(path)
        hinted = check.hint_ms is not None
        log(
            f"  RTT {rtt:g} ms, {SERVERS[on][0]}: {check.status}, 103: "
            f"{'yes' if hinted else 'no'}, {check.css_path} from the {check.css_source}"
        )
        if hinted != on or check.status != 200:
            raise SystemExit(f"expected 103 = {on} and 200, got {hinted}, {check}")


def load_once(port: int, path: str, cell: Cell) -> PageLoad:
    with BrowserConnection(HOST, port) as connection:
        loaded = connection.load(path)
    if loaded.status != 200 or loaded.css_status != 200:
        raise SystemExit(
            f"RTT {cell[0]:g}, hints {cell[1]}: status {loaded.status}, CSS {loaded.css_status}"
        )
    return loaded


def css_done(loads: Sequence[PageLoad]) -> float:
    return median([load.css_done_ms or 0 for load in loads])


def measure(ports: dict[Cell, int], rtts: Sequence[float], path: str, runs: int) -> Results:
    results: Results = {cell: [] for cell in ports}
    for rtt in rtts:
        for number in range(runs):
            # Alternate which goes first, so neither always meets a cooler machine.
            for on in (True, False) if number % 2 == 0 else (False, True):
                results[rtt, on].append(load_once(ports[rtt, on], path, (rtt, on)))
        on_css, off_css = css_done(results[rtt, True]), css_done(results[rtt, False])
        log(
            f"  RTT {rtt:5g} ms: stylesheet complete after {on_css:6.1f} ms "
            f"(hints on) vs {off_css:6.1f} ms (off)"
        )
    return results


def cell(values: Sequence[float | None]) -> str:
    numbers = [v for v in values if v is not None]
    return f"{median(numbers):.1f}" if numbers else "-"


def load_row(rtt: float, on: bool, loads: Sequence[PageLoad]) -> list[str]:
    return [
        f"{rtt:g}" + (" (direct)" if rtt <= 0 else ""),
        "on" if on else "off",
        cell([r.hint_ms for r in loads]),
        cell([r.css_requested_ms for r in loads]),
        cell([r.css_done_ms for r in loads]),
        cell([r.page_done_ms for r in loads]),
        cell([r.ready_ms for r in loads]),
        Counter(r.css_source for r in loads).most_common(1)[0][0] or "",
    ]


def print_loads(rtts: Sequence[float], results: Results) -> None:
    rows = [load_row(rtt, on, results[rtt, on]) for rtt in rtts for on in (True, False)]
    headers = ["RTT ms", "hints", "103 at", "CSS asked", "CSS done", "page done"]
    print_table([*headers, "both done", "CSS URL from"], rows)
    log("Medians in ms from sending the page request; 'both done': page and stylesheet.")


def print_gains(rtts: Sequence[float], results: Results) -> None:
    rows = []
    for rtt in rtts:
        on, off = results[rtt, True], results[rtt, False]
        on_ready, off_ready = median([r.ready_ms for r in on]), median([r.ready_ms for r in off])
        rows.append(
            [
                f"{rtt:g}",
                f"{css_done(off) - css_done(on):.1f}",
                f"{off_ready - on_ready:.1f}",
                f"{(off_ready - on_ready) / off_ready * 100:.0f}%",
            ]
        )
    print_table(["RTT ms", "CSS sooner by", "page+CSS sooner by", "of the load"], rows)
