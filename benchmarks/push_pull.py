"""``push-vs-pull``: pages with their assets per second on one HTTP/2 connection, for a
client that accepts server push and for one that asks for the assets itself.

One Hypercorn server (h2push with its default settings, Django's static files handler
inside the adapter) serves ``bench/view-0/``: the discovery page, whose stylesheet,
scripts and font h2push learns and names in the page's ``Link`` header. Each client
opens one connection (not timed) and loads ``--pages`` pages, ``--concurrency`` at a
time, multiplexed:

- **push**: :mod:`h2push.probe` with push accepted. A page counts once its response
  and its pushed assets have arrived; an asset the server did not push (the push
  budget allows 32 in flight per connection) is then requested, as a browser would.
- **pull**: the same client refusing push (``SETTINGS_ENABLE_PUSH = 0``): each batch
  of pages, then every asset each page's ``Link`` header names, like a client that
  reads the page first. No cache: every page gets its assets, as with push.

The two take turns, in paired rounds. Target: push at least 1.0 x pull.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from benchmarks.results import add_output_arguments, outputs, write_json
from benchmarks.servers import HOST, ServerSpec, bench_servers, delayed
from benchmarks.stats import at_most, bootstrap_median, paired_ratios, spread
from h2push.core.linkheader import parse_link
from h2push.probe import Exchange, H2Connection, fetch
from harness.machine import print_machine
from harness.report import load_average, log, print_table

__all__ = ["add_arguments", "run"]

PAGE = "/bench/view-0/"
TARGET = 1.0


@dataclass
class Run:
    """One client's pages on one connection."""

    mode: str
    pages: int
    seconds: float
    pushed: int = 0  # assets that arrived pushed
    pulled: int = 0  # assets the client asked for

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--pages", type=int, default=200, help="pages per connection (default 200)")
    add("--concurrency", type=int, default=20, help="pages in flight at once (default 20)")
    add("--rounds", type=int, default=8, help="paired rounds (default 8)")
    add("--rtt", type=int, default=0, help="ms of round trip added by the delay proxy (0)")
    add("--quick", action="store_true", help="a smoke run: 1 round of 40 pages")
    add_output_arguments(parser)


def assets(exchange: Exchange) -> list[str]:
    """The same-origin preloads the page's ``Link`` header names."""
    found = []
    for value in exchange.links:
        link = parse_link(value)
        if link is not None and link.is_preload and link.url.startswith("/"):
            found.append(link.url)
    return found


def _pushed(exchange: Exchange) -> set[str]:
    return {p.path for p in exchange.promises if p.status == 200 and p.finished_at is not None}


def load_pages(port: int, push: bool, pages: int, concurrency: int) -> Run:
    """Load ``pages`` pages and their assets on one connection; time it."""
    run = Run("push" if push else "pull", pages, 0.0)
    with H2Connection(HOST, port, enable_push=push, timeout=60) as connection:
        started = time.perf_counter()
        for first in range(0, pages, concurrency):
            count = min(concurrency, pages - first)
            missing: list[str] = []
            for exchange in connection.request_many([PAGE] * count):
                if exchange.status != 200 or not assets(exchange):
                    raise SystemExit(f"{PAGE}: {exchange.status}, links {exchange.links}")
                pushed = _pushed(exchange)
                run.pushed += len(pushed)
                missing += [path for path in assets(exchange) if path not in pushed]
            run.pulled += len(missing)
            for answer in connection.request_many(missing):
                if answer.status != 200:
                    raise SystemExit(f"{answer.path}: {answer.status}")
        run.seconds = time.perf_counter() - started
    return run


def compare(port: int, options: argparse.Namespace, runs: dict[str, list[Run]]) -> str:
    """Teach the page, warm up, then the paired rounds; the load average at the end."""
    for _ in range(3):  # two pages teach the route; the third shows its links
        taught = fetch(f"https://{HOST}:{port}{PAGE}", enable_push=False, timeout=30)
    log(f"  {PAGE} names {len(assets(taught))} assets: {', '.join(assets(taught))}")
    load_pages(port, True, options.concurrency, options.concurrency)  # warm up
    load_pages(port, False, options.concurrency, options.concurrency)
    for number in range(options.rounds):
        for push in (True, False) if number % 2 == 0 else (False, True):
            done = load_pages(port, push, options.pages, options.concurrency)
            runs[done.mode].append(done)
            log(
                f"  round {number + 1} {done.mode}: {done.pages_per_second:6.1f} pages/s, "
                f"{done.pushed} assets pushed, {done.pulled} requested"
            )
    return load_average()


def run(options: argparse.Namespace) -> int:
    if options.quick:
        options.pages, options.rounds = 40, 1
    started = time.monotonic()
    log("h2push push-vs-pull benchmark: pages with their assets per second, one connection\n")
    print_machine()
    log(
        f"\n{options.pages} pages of {PAGE}, {options.concurrency} at a time, per connection; "
        f"RTT {options.rtt} ms added"
    )
    log("Starting Hypercorn (1 worker, TLS, HTTP/2) with h2push and the static files handler:")
    runs: dict[str, list[Run]] = {"push": [], "pull": []}
    server = {"h2push": ServerSpec("h2push", "h2push_static")}
    with bench_servers(server, "/bench/static/") as site:
        routes = {"h2push": (site.servers["h2push"].port, float(options.rtt))}
        with delayed(routes, site.workdir) as ports:
            loadavg = compare(ports["h2push"], options, runs)
    elapsed = time.monotonic() - started
    status = report(runs, options, elapsed)
    log(f"load average at the end: {loadavg}; took {elapsed:.0f} s")
    return status


def _row(mode: str, runs: Sequence[Run]) -> list[str]:
    rate = spread([r.pages_per_second for r in runs])
    pushed = spread([r.pushed / r.pages for r in runs])
    pulled = spread([r.pulled / r.pages for r in runs])
    return [mode, rate.text(1), f"{pushed.median:.2f}", f"{pulled.median:.2f}"]


def report(runs: dict[str, list[Run]], options: argparse.Namespace, elapsed: float) -> int:
    log("")
    ratios = paired_ratios(
        [r.pages_per_second for r in runs["push"]], [r.pages_per_second for r in runs["pull"]]
    )
    ratio, low, high = bootstrap_median(ratios)
    rows = [_row(mode, runs[mode]) for mode in ("push", "pull")]
    rows.append(["push / pull", f"{ratio:.3f} [90% {low:.3f}-{high:.3f}]", "", ""])
    print_table(["client", "pages/s", "pushed per page", "requested per page"], rows)
    # The target is a floor: push / pull at least 1.0, i.e. pull / push at most 1.0.
    verdict = at_most("push at least 1.0 x pull (pages/s)", 1 / ratio, 1 / TARGET)
    verdict_line = f"{'met' if verdict.met else 'NOT met'}: push is {ratio:.3f} x pull"
    log(f"\nVerdict: {verdict_line} (target {TARGET})")
    body = {
        "page": PAGE,
        "elapsed_s": elapsed,
        "runs": {mode: [asdict(r) for r in done] for mode, done in runs.items()},
        "push_over_pull": [ratio, low, high],
        "verdict": {"target": verdict.target, "met": verdict.met, "measured": verdict_line},
    }
    name = "push-vs-pull" + (f"-rtt{options.rtt}" if options.rtt else "")
    write_json(outputs(name, options).json_path, name, options, body)
    return 0 if verdict.met else 1
