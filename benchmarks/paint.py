"""``browser``: how soon headless Chromium paints a page, with and without h2push.

Headless Chromium (:mod:`benchmarks.chromium`: a fresh profile and a new connection per
load) loads ``bench/view-<ms>/`` (the discovery page: a stylesheet with a web font, a
classic and a module script, named with ``{% static %}`` only) through the delay
proxy of ``harness/proxy.py`` at several round-trip times, from:

- **a** h2push with Early Hints (Hypercorn with the h2push adapter and the static
  files handler, as ``runh2server`` wires it);
- **b** plain Django (the same Hypercorn, no adapter, no middleware);
- **c** the pattern of pushing first thing in the view: h2push with
  ``H2PUSH_EARLY_HINTS = False``, so pushes only; Chromium refuses every push;
- **d** h2push behind Caddy under Gunicorn, from the files in ``deploy/``;
- **e** the paint floor: ``bench/floor-<ms>/``, the same HTML without its stylesheet
  and scripts, from the plain server;
- **w** the warm-cache limit: a's page, from a's server with a lifetime on its static
  files, in one browser context whose cache already holds the stylesheet, the font
  and both scripts; each load opens it in a new tab, the HTML fetched anew over a
  new connection (:mod:`benchmarks.warm`). No hint can bring the page sooner.

Every route is visited twice before the loads (discovery and learning need two
agreeing pages), and the variants take turns within each cell. See
:mod:`benchmarks.paint_report` for the tables and verdicts.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from benchmarks import paint_report, paint_trace
from benchmarks.chromium import ASSETS, Load, PageLoader, chromium
from benchmarks.grid import add_grid_arguments, read_grid, turns
from benchmarks.results import outputs
from benchmarks.server_record import EventLog, load_timings
from benchmarks.servers import HOST, ServerSpec, Site, bench_servers, delayed
from benchmarks.warm import WARM_KEEP_ALIVE, WarmContext
from h2push.probe import Exchange, ProbeError, fetch
from harness.browser_recorder import ENV_VAR
from harness.caddy_stack import CaddyStack, Worker, start_stack
from harness.machine import print_machine
from harness.report import load_average, log

__all__ = ["VARIANTS", "Variant", "add_arguments", "run"]


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    server: str  # a key of HYPERCORN, or "caddy"
    page: str  # "view" or "floor"
    warm: bool = False  # loaded in the warm-cache context

    def path(self, view_ms: int) -> str:
        return f"/bench/{self.page}-{view_ms}/"


VARIANTS = {
    "a": Variant("a", "h2push, Early Hints", "hints", "view"),
    "b": Variant("b", "plain Django", "plain", "view"),
    "c": Variant("c", "push only (no 103)", "pushonly", "view"),
    "d": Variant("d", "h2push behind Caddy", "caddy", "view"),
    "e": Variant("e", "paint floor", "plain", "floor"),
    "w": Variant("w", "warm-cache limit", "warm", "view", warm=True),
}
# Each inside the request recorder, its events in the servers' folder.
# "warm" is "hints" with a lifetime on its static files, closing idle connections soon.
HYPERCORN = {
    name: ServerSpec(variant, app, {ENV_VAR: f"{{workdir}}/{name}.events"}, config)
    for name, variant, app, config in (
        ("hints", "h2push", "h2push_static_recorded", {}),
        ("plain", "plain", "plain_static_recorded", {}),
        ("pushonly", "nohints", "h2push_static_recorded", {}),
        ("warm", "h2push", "h2push_static_max_age", {"keep_alive_timeout": WARM_KEEP_ALIVE}),
    )
}
# Gunicorn's WSGI worker serving the benchmark's pages (deploy/gunicorn.conf.py).
CADDY_WORKER = Worker((), "benchmarks.caddy_wsgi", informational=False)
Cell = tuple[int, int]  # (RTT ms, view ms)
TRACED = ("a", "d", "w")  # the variants --trace loads
Results = dict[tuple[int, int, str], list[Load]]  # (RTT, view, variant key): loads


def add_arguments(parser: argparse.ArgumentParser) -> None:
    quick = "a smoke run: 2 loads, RTT 50, views 0 and 100"
    add_grid_arguments(parser, loads=10, views="0,100,300", quick=quick)
    parser.add_argument(
        "--trace",
        metavar="RTT,VIEW",
        help="after the loads, load a, d and w in this cell of the grid 3 more times each "
        "with Chromium's tracing on, and print and keep each load's timeline",
    )
    parser.add_argument("--variants", default="a,b,c,d,e,w", help="of a,b,c,d,e,w (default: all)")


def run(options: argparse.Namespace) -> int:
    rtts, views = read_grid(options, quick_views="0,100")
    variants = [VARIANTS[k.strip()] for k in options.variants.split(",") if k.strip()]
    trace = _trace_cell(options.trace, rtts, views)
    started = time.monotonic()
    log("h2push browser benchmark: first contentful paint in headless Chromium\n")
    print_machine()
    log(f"\n{options.loads} loads per cell and variant; RTT {rtts} ms; views {views} ms\n")
    with (
        running(variants) as (site, ports),
        delayed({(n, rtt): (ports[n], rtt) for n in ports for rtt in rtts}, site.workdir) as routes,
    ):
        warm_up(ports, variants, views)
        logs = {name: EventLog(site.workdir / f"{name}.events") for name in site.servers}
        with chromium(site.certfile) as loader:
            results = measure(loader, routes, logs, variants, (rtts, views), options.loads)
            traced = trace_cell(loader, routes, variants, trace) if trace else {}
        loadavg = load_average()
    elapsed = time.monotonic() - started
    paths = outputs("browser", options)
    extra = {"traces": {"cell": trace, "timelines": traced}} if trace else {}
    status = paint_report.report(results, variants, (rtts, views), paths, options, elapsed, extra)
    log(f"load average at the end: {loadavg}; took {elapsed:.0f} s")
    return status


@contextlib.contextmanager
def running(variants: Sequence[Variant]) -> Iterator[tuple[Site, dict[str, int]]]:
    """The servers the variants need, and each one's port on loopback."""
    wanted = {v.server for v in variants}
    specs = {name: spec for name, spec in HYPERCORN.items() if name in wanted}
    log("Starting Hypercorn (1 worker, TLS, HTTP/2):")
    with bench_servers(specs, "/bench/static/") as site:
        ports = {name: server.port for name, server in site.servers.items()}
        stack: CaddyStack | None = None
        try:
            if "caddy" in wanted:
                log("Starting Gunicorn behind Caddy (deploy/):")
                stack = start_stack(
                    site.workdir / "caddy", site.certfile, site.keyfile, worker=CADDY_WORKER
                )
                ports["caddy"] = stack.port
                log(f"  caddy: {stack.url('/')}, gunicorn pid {stack.gunicorn.pid}")
            yield site, ports
        finally:
            if stack is not None:
                stack.stop()


def warm_up(ports: dict[str, int], variants: Sequence[Variant], views: Sequence[int]) -> None:
    """Two visits per route and server teach it; a third shows what a load will get.
    The routes are taught side by side: most of the time is the views' waiting."""
    log("\nWhat each page answers after two visits (third visit, direct):")
    pages = [(variant, view) for variant in variants for view in views]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(pages)) as pool:
        answers = list(pool.map(lambda page: _teach(ports, *page), pages))
    for (variant, view), answer in zip(pages, answers, strict=True):
        hint = "103" if any(i.status == 103 for i in answer.interim) else "no 103"
        link = "Link header" if answer.links else "no Link header"
        log(f"  {variant.key} {variant.path(view):<20} {answer.status}, {hint}, {link}")
        if answer.status != 200:
            raise SystemExit(f"{variant.key}: {variant.path(view)} answered {answer.status}")


def _teach(ports: dict[str, int], variant: Variant, view: int) -> Exchange:
    url = f"https://{HOST}:{ports[variant.server]}{variant.path(view)}"
    try:
        for _ in range(2):
            fetch(url, enable_push=False, timeout=30)
        return fetch(url, enable_push=False, timeout=30)
    except ProbeError as error:
        raise SystemExit(f"{variant.key}: {url} failed: {error}") from None


def measure(
    loader: PageLoader,
    routes: dict[tuple[str, int], int],
    logs: dict[str, EventLog],
    variants: Sequence[Variant],
    grid: tuple[Sequence[int], Sequence[int]],
    loads: int,
) -> Results:
    """Every cell of the grid (RTTs, views) in turn; within a cell the variants take
    turns, the order rotating. Each load gets what its server recorded of it."""
    results: Results = {}
    rtts, views = grid
    # Chromium's first load pays for starting its network service.
    loader.load(_url(routes, variants[0], rtts[0], views[0]))
    limit = next((v for v in variants if v.warm), None)
    for rtt in rtts:
        for view in views:
            with loader.warm(_url(routes, limit, rtt, view) if limit else None) as warm:
                for events in logs.values():
                    events.since_last()
                for variant in turns(variants, loads):
                    load = _load(loader, warm, (routes, rtt, view), variant, logs)
                    _check(load, variant, rtt, view)
                    results.setdefault((rtt, view, variant.key), []).append(load)
            log(paint_report.progress(results, variants, rtt, view))
    return results


def _load(
    loader: PageLoader,
    warm: WarmContext[Load] | None,
    where: tuple[dict[tuple[str, int], int], int, int],
    variant: Variant,
    logs: dict[str, EventLog],
) -> Load:
    """One load (the limit's in the warm context), with what its server recorded of
    it (nothing behind Caddy): its times and the assets it was asked for."""
    routes, rtt, view = where
    if variant.warm and warm is not None:
        load = warm.load(rtt)
    else:
        load = loader.load(_url(routes, variant, rtt, view), variant.page == "view")
    events = logs.get(variant.server)
    if events is not None:
        seen = events.since_last()
        load.server = load_timings(seen, variant.path(view), ASSETS["stylesheet"])
        paths = {detail for _, event, detail in seen if event == "request"}
        load.asked = [name for name, path in ASSETS.items() if path in paths]
    return load


def _trace_cell(text: str | None, rtts: Sequence[int], views: Sequence[int]) -> Cell | None:
    if not text:
        return None
    rtt, view = (int(x) for x in text.split(","))
    if rtt not in rtts or view not in views:
        raise SystemExit(f"--trace {text}: not a cell of the grid (RTTs {rtts}, views {views})")
    return rtt, view


def trace_cell(
    loader: PageLoader, routes: dict[tuple[str, int], int], variants: Sequence[Variant], cell: Cell
) -> paint_trace.Traced:
    """Three loads each of a, d and w in ``cell`` with Chromium tracing, in turn."""
    rtt, view = cell
    folder = paint_trace.trace_folder()
    traced: paint_trace.Traced = {}
    chosen = [v for v in variants if v.key in TRACED]
    limit = next((v for v in chosen if v.warm), None)
    with loader.warm(_url(routes, limit, rtt, view) if limit else None) as warm:
        for _ in range(3):
            for variant in chosen:
                url = _url(routes, variant, rtt, view)

                def one(variant: Variant = variant, url: str = url) -> Load:
                    if variant.warm and warm is not None:
                        return warm.load(rtt)
                    return loader.load(url)

                _, times = paint_trace.trace_load(loader.browser, one, url, folder)
                traced.setdefault(variant.key, []).append(times)
    paint_trace.print_traces(traced, cell, folder)
    return traced


def _url(routes: dict[tuple[str, int], int], variant: Variant, rtt: int, view: int) -> str:
    return f"https://{HOST}:{routes[variant.server, rtt]}{variant.path(view)}"


def _check(load: Load, variant: Variant, rtt: int, view: int) -> None:
    if load.status != 200 or (variant.page == "view" and "stylesheet" not in load.ends):
        raise SystemExit(
            f"{variant.key}, RTT {rtt}, view {view}: status {load.status}, assets {load.ends}"
        )
