"""``lcp``: how soon headless Chromium paints a hero page's largest contentful paint,
with h2push's field learning and without.

The page (:mod:`benchmarks.lcp_urls`): a stylesheet whose ``@font-face`` loads a web
font, a heading in that font, and a 1200 x 600 JPEG hero below it, which is the
largest contentful paint (LCP); the view takes 100 or 300 ms. Headless Chromium
(:mod:`benchmarks.lcp_browser`) loads it through the delay proxy at 20, 50 and
100 ms of RTT, from:

- **plain**: plain Django (Hypercorn, Django's static files handler, no h2push);
- **h2push**: h2push as ``runh2server`` wires it, ``H2PUSH_FIELD`` off: its 103
  carries the stylesheet and the font it discovered, never the image;
- **field**: the same with ``H2PUSH_FIELD`` on, after a quorum of reporting
  visitors: its 103 carries the hero too (``rel=preload; as=image;
  fetchpriority=high``);
- **limit**: the same page with every asset already in the browser's cache and the
  HTML fetched anew over a new connection (from plain Django): no server can make
  the LCP come sooner than this.

Cold variants get a fresh browser context per load (an empty cache, a new
connection). Each route is first visited twice by :mod:`h2push.probe` (discovery
needs two agreeing pages); the field server's routes are then taught by
``H2PUSH_FIELD_QUORUM`` Chromium visits that each report through h2push's own
script, from distinct addresses (``X-H2push-Bench-Client``, the header the site
trusts as a proxy's; the report is sent on a ``pagehide`` fired at the live page:
see :mod:`benchmarks.lcp_browser`). Real visits rather than reports posted with
tokens lifted from the page: the report then names what Chromium itself found to be
the LCP, and the whole loop (script, beacon, checks, quorum, hint) is what is
measured. A probe visit then shows what each server's 103 carries. Within a cell
the variants take turns, the order rotating. See :mod:`benchmarks.lcp_report` for
the tables and verdicts.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import lcp_report
from benchmarks.chromium import chromium
from benchmarks.grid import add_grid_arguments, read_grid, turns
from benchmarks.lcp_browser import ASSETS, HeroLoad, HeroLoader
from benchmarks.lcp_site import SERVERS, lcp_servers
from benchmarks.lcp_urls import page_path
from benchmarks.results import outputs
from benchmarks.server_record import EventLog, load_timings
from benchmarks.servers import HOST, Site, delayed
from h2push.django_layer.conf import DEFAULTS
from h2push.django_layer.field.page import FIELD_PATH
from h2push.probe import Exchange, ProbeError, fetch
from harness.machine import print_machine
from harness.report import load_average, log

__all__ = ["VARIANTS", "Variant", "add_arguments", "run"]

QUORUM = int(DEFAULTS["H2PUSH_FIELD_QUORUM"])


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    server: str  # a key of benchmarks.lcp_site.SERVERS
    warm: bool = False


VARIANTS = {
    "plain": Variant("plain", "plain Django", "plain"),
    "h2push": Variant("h2push", "h2push, no field data", "hints"),
    "field": Variant("field", "h2push with field data", "field"),
    "limit": Variant("limit", "warm-cache limit", "warm", warm=True),
}
Results = dict[tuple[int, int, str], list[HeroLoad]]  # (RTT, view, variant key): loads


def add_arguments(parser: argparse.ArgumentParser) -> None:
    quick = "a smoke run: 2 loads, RTT 50, views 100 and 300"
    add_grid_arguments(parser, loads=8, views="100,300", quick=quick)


def run(options: argparse.Namespace) -> int:
    rtts, views = read_grid(options, quick_views="100,300")
    variants = list(VARIANTS.values())
    started = time.monotonic()
    log("h2push lcp benchmark: largest contentful paint of a hero page in headless Chromium\n")
    print_machine()
    log(f"\n{options.loads} loads per cell and variant; RTT {rtts} ms; views {views} ms\n")
    log("Starting Hypercorn (1 worker each, TLS, HTTP/2):")
    with (
        lcp_servers(SERVERS) as site,
        delayed(
            {(n, rtt): (s.port, rtt) for n, s in site.servers.items() for rtt in rtts}, site.workdir
        ) as routes,
        chromium(site.certfile) as browser,
    ):
        logs = {name: EventLog(site.workdir / f"{name}.events") for name in site.servers}
        loader = HeroLoader(browser.browser)
        log(f"  servers, proxy and Chromium ready after {time.monotonic() - started:.0f} s")
        teaching = time.monotonic()
        taught = teach(site, loader, logs["field"], views)
        log(f"  taught in {time.monotonic() - teaching:.0f} s\n")
        results = measure(loader, routes, logs, variants, (rtts, views), options.loads)
        loadavg = load_average()
    elapsed = time.monotonic() - started
    paths = outputs("lcp", options)
    status = lcp_report.report(results, variants, (rtts, views), taught, paths, options, elapsed)
    log(f"load average at the end: {loadavg}; took {elapsed:.0f} s")
    return status


def _direct(site: Site, server: str, view: int) -> str:
    return site.servers[server].process.url(page_path(view))


def _visit(url: str, times: int) -> Exchange:
    try:
        for _ in range(times - 1):
            fetch(url, enable_push=False, timeout=30)
        return fetch(url, enable_push=False, timeout=30)
    except ProbeError as error:
        raise SystemExit(f"{url} failed: {error}") from None


def teach(
    site: Site, loader: HeroLoader, field_log: EventLog, views: Sequence[int]
) -> dict[str, Any]:
    """Two probe visits per route and server (side by side: most of the time is the
    views' waiting), then a quorum of reporting Chromium visits per field route, then
    one more probe visit that shows each server's 103. What was seen, for the report."""
    pages = [(name, view) for name in site.servers for view in views]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(pages)) as pool:
        list(pool.map(lambda page: _visit(_direct(site, *page), 2), pages))
    field_log.since_last()
    reports: dict[int, list[int | None]] = {}
    for view in views:
        url = _direct(site, "field", view)
        for number in range(QUORUM):
            client = f"198.51.100.{number + 1}"
            reports.setdefault(view, []).append(
                loader.teach(url, client, lambda: _report_status(field_log))
            )
    log(f"\nField reports from {QUORUM} visitors per route (h2push's answers): {reports}")
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(pages)) as pool:
        answers = list(pool.map(lambda page: _visit(_direct(site, *page), 1), pages))
    log("What each server's 103 carries after the teaching (a probe visit, direct):")
    hints: dict[str, list[str]] = {}
    for (name, view), answer in zip(pages, answers, strict=True):
        links = [link for interim in answer.early_hints for link in interim.links]
        hints[f"{name} {view}"] = links
        log(f"  {name:<6} {page_path(view):<18} {answer.status}, 103: {links or 'none'}")
        if answer.status != 200:
            raise SystemExit(f"{name}: {page_path(view)} answered {answer.status}")
    hero_hinted = {
        view: any(
            ASSETS["hero"] in link and "fetchpriority=high" in link
            for link in hints[f"field {view}"]
        )
        for view in views
    }
    for view, hinted in hero_hinted.items():
        if not hinted:
            log(
                f"  WARNING: after {QUORUM} accepted reports the field server's 103 for "
                f"{page_path(view)} does not carry the hero with fetchpriority=high"
            )
    return {"reports": reports, "hints": hints, "hero_hinted": hero_hinted}


def _report_status(events: EventLog) -> int | None:
    """The status of the first field report the server answered since the last read."""
    for _, event, detail in events.since_last():
        if event == "start" and detail.startswith(FIELD_PATH + " "):
            return int(detail.rsplit(" ", 1)[1])
    return None


def measure(
    loader: HeroLoader,
    routes: dict[tuple[str, int], int],
    logs: dict[str, EventLog],
    variants: Sequence[Variant],
    grid: tuple[Sequence[int], Sequence[int]],
    loads: int,
) -> Results:
    """Every cell (RTT, view) in turn; within a cell the variants take turns, the
    order rotating. Each load gets what its server recorded of it."""
    results: Results = {}
    rtts, views = grid
    # Chromium's first load pays for starting its network service.
    loader.cold(_url(routes, variants[0], rtts[0], views[0]))
    for rtt in rtts:
        for view in views:
            limit = next((v for v in variants if v.warm), None)
            with loader.warm(_url(routes, limit, rtt, view) if limit else None) as warm:
                for events in logs.values():
                    events.since_last()
                for variant in turns(variants, loads):
                    if variant.warm and warm is not None:
                        load = warm.load(rtt)
                    else:
                        load = loader.cold(_url(routes, variant, rtt, view))
                    timings = load_timings(
                        logs[variant.server].since_last(), page_path(view), ASSETS["hero"]
                    )
                    load.server = {_SERVER_NAMES[name]: ms for name, ms in timings.items()}
                    _check(load, variant, rtt, view)
                    results.setdefault((rtt, view, variant.key), []).append(load)
            log(lcp_report.progress(results, variants, rtt, view))
    return results


_SERVER_NAMES = {
    "hint": "hint",
    "stylesheet_request": "hero_request",
    "stylesheet_sent": "hero_sent",
    "page_sent": "page_sent",
}


def _url(routes: dict[tuple[str, int], int], variant: Variant, rtt: int, view: int) -> str:
    return f"https://{HOST}:{routes[variant.server, rtt]}{page_path(view)}"


def _check(load: HeroLoad, variant: Variant, rtt: int, view: int) -> None:
    if load.status != 200 or not load.hero_is_lcp:
        raise SystemExit(
            f"{variant.key}, RTT {rtt}, view {view}: status {load.status}, LCP "
            f"{load.lcp} of {load.lcp_url!r}: the hero should be the page's LCP"
        )
