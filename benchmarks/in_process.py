"""``in-process``: the CPU cost per request of Django and of h2push, with no server.

The benchmark applications are called in this process with a scope like the one
Hypercorn gives over HTTP/2 (the push and early-hint extensions offered). No TLS,
no framing, no load-test scheduling noise: only the Python work of Django and of
h2push. The cases run in alternating blocks; Early Hints are switched per case with
``override_settings``. CPU time is :func:`time.process_time`, all threads, so a sync
view's thread counts too. ``--profile`` lists h2push's costliest functions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import pstats
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import hook_times
from h2push.core.contract import ASGIApp, Scope
from harness.asgi import call_app
from harness.machine import print_machine
from harness.report import log, median

__all__ = ["CASES", "CallCounter", "Case", "add_arguments", "run"]

HINTS_OFF = {"H2PUSH_EARLY_HINTS": False}
# A 103 even for views too fast to gain from it (by default those are skipped).
HINT_ALL = {"H2PUSH_EARLY_HINTS_MIN_VIEW_MS": 0}
WARM_UP = 50  # requests per case before timing; they also teach h2push the routes
PROFILED = 2000  # requests under cProfile


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    app: str  # an application of benchmarks.asgi
    path: str
    query: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    baseline: str | None = None
    # Every page read for links, as on a route that never settles.
    unsettled: bool = False

    @property
    def name(self) -> str:
        return f"{self.key}  {self.label}"


CASES = [
    Case("a", "plain Django, /bench/static/", "plain", "/bench/static/"),
    Case("e", "h2push, hints off, /bench/push/", "h2push", "/bench/push/", "", HINTS_OFF, "a"),
    Case("b", "h2push, /bench/push/", "h2push", "/bench/push/", baseline="a"),
    Case("i", "h2push, hint every page, /bench/push/", "h2push", "/bench/push/", "", HINT_ALL, "a"),
    Case("d", "plain Django, /slow/declared/", "plain", "/slow/declared/", "ms=0"),
    Case(
        "f",
        "h2push, hints off, /slow/declared/",
        "h2push",
        "/slow/declared/",
        "ms=0",
        HINTS_OFF,
        "d",
    ),
    Case("c", "h2push, /slow/declared/", "h2push", "/slow/declared/", "ms=0", baseline="d"),
    # The cost target's pair: a's very page, its assets found by discovery.
    Case("s", "h2push, /bench/static/", "h2push", "/bench/static/", baseline="a"),
    Case(
        "u",
        "h2push, /bench/static/, unsettled",
        "h2push",
        "/bench/static/",
        baseline="a",
        unsettled=True,
    ),
]
PROFILED_CASE = "b"
Results = dict[str, list[float]]  # case key: CPU ms per request, of each block or request


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=6, help="blocks per case (default 6)")
    parser.add_argument("--requests", type=int, default=200, help="per block (default 200)")
    parser.add_argument("--profile", action="store_true", help="cProfile h2push's functions")
    parser.add_argument(
        "--hooks", action="store_true", help="CPU of each of h2push's steps, per request"
    )
    parser.add_argument(
        "--profile-case",
        default=PROFILED_CASE,
        choices=[case.key for case in CASES],
        help=f"the case --profile and --hooks run (default {PROFILED_CASE})",
    )
    parser.add_argument(
        "--calls",
        action="store_true",
        help="function calls per request of each case: a count the machine's noise leaves alone",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 block of 20")


def scope(path: str, query: str) -> Scope:
    """What Hypercorn passes for a GET over HTTP/2, both push and 103 offered."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "2",
        "method": "GET",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8443"),
            (b"user-agent", b"h2push-benchmark"),
            (b"accept", b"text/html,*/*;q=0.8"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8443),
        "extensions": {
            "http.response.push": {},
            "http.response.early_hint": {},
            "http.response.trailers": {},
        },
    }


def load_apps() -> dict[str, ASGIApp]:
    """The applications, with this process's Django set up for the benchmark.

    Imported here, not at the top: the settings module and variant must be in the
    environment before Django loads, and the other commands need no Django at all.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    os.environ["H2PUSH_BENCH_VARIANT"] = "h2push"
    from benchmarks import asgi
    from h2push.asgi import H2PushMiddleware

    plain = plain_django()
    return {
        "plain": plain,
        "h2push": asgi.h2push,
        # h2push's two layers one at a time: the ASGI adapter around plain Django, and
        # Django with PreloadMiddleware but no adapter (so no early channel).
        "adapter": H2PushMiddleware(plain),
        "middleware": asgi.h2push.app,
    }


def plain_django() -> ASGIApp:
    """Django's handler without ``PreloadMiddleware``: the settings of this process
    have it (h2push's variant), and a handler builds its middleware chain once, when
    it is made, so this one is made while the middleware is left out."""
    from django.conf import settings
    from django.core.handlers.asgi import ASGIHandler
    from django.test import override_settings

    middleware = [m for m in settings.MIDDLEWARE if m != "h2push.middleware.PreloadMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        return ASGIHandler()


async def serve(app: ASGIApp, case: Case, count: int) -> None:
    from django.test import override_settings  # Django is set up by load_apps()

    with override_settings(**case.settings), _settling(case):
        for _ in range(count):
            await call_app(app, scope(case.path, case.query))


# What an unsettled case's route remembers of its settling, apart from the other
# cases' (the same route, settled, in case s).
_NEVER_SETTLED: dict[Any, Any] = {}


@contextlib.contextmanager
def _settling(case: Case) -> Iterator[None]:
    """For an unsettled case, a route that never settles: settling's memory swapped
    for one of the case's own, where no number of agreeing pages settles it."""
    from h2push.django_layer import settled  # Django is set up by load_apps()

    if not case.unsettled:
        yield
        return
    kept = settled._routes, settled.LOOKS_TO_SETTLE
    settled._routes, settled.LOOKS_TO_SETTLE = _NEVER_SETTLED, sys.maxsize
    try:
        yield
    finally:
        settled._routes, settled.LOOKS_TO_SETTLE = kept


async def measure_paired(apps: dict[str, ASGIApp], rounds: int, cases: Sequence[Case]) -> Results:
    """CPU ms of the event loop's thread for single requests: each round one request
    of every case, in a new random order.

    Blocks of requests drift apart with the machine's load by more than h2push's
    own work; two requests a few milliseconds apart share the machine's state, so
    the differences of a round's pair are what h2push adds, request by request.
    Only the loop's thread is timed: h2push's work runs there, and a sync view's
    thread adds its scheduling noise and nothing of h2push's. A case may not change
    settings (that would forget what the routes learned, request by request).
    """
    if any(case.settings for case in cases):
        raise ValueError("paired cases run with the settings as they are")
    for case in cases:
        await serve(apps[case.app], case, WARM_UP)
    results: Results = {case.key: [] for case in cases}
    order, shuffle = list(cases), random.Random(7).shuffle
    for _ in range(rounds):
        shuffle(order)
        for case in order:
            results[case.key].append(await _timed_request(apps[case.app], case))
    return results


async def _timed_request(app: ASGIApp, case: Case) -> float:
    request = scope(case.path, case.query)
    with _settling(case):
        started = time.thread_time_ns()
        await call_app(app, request)
        return (time.thread_time_ns() - started) / 1e6


async def measure(
    apps: dict[str, ASGIApp], rounds: int, requests: int, cases: Sequence[Case] = CASES
) -> Results:
    """CPU ms per request of each block; the cases' order reverses every other round."""
    results: Results = {case.key: [] for case in cases}
    for case in cases:
        await serve(apps[case.app], case, WARM_UP)
    for number in range(rounds):
        for case in cases if number % 2 == 0 else cases[::-1]:
            started = time.process_time()
            await serve(apps[case.app], case, requests)
            results[case.key].append((time.process_time() - started) * 1000 / requests)
    return results


def run(options: argparse.Namespace) -> int:
    if options.quick:
        options.rounds, options.requests = 1, 20
    log("h2push in-process benchmark: CPU per request of Django and h2push, no server\n")
    print_machine()
    log("")
    if options.hooks:
        log("(--hooks: h2push's steps are wrapped in timers, which the numbers include)")
        missing = hook_times.install()
        if missing:
            log(f"(--hooks: not found, so not timed: {', '.join(missing)})")
    apps = load_apps()
    results = asyncio.run(measure(apps, options.rounds, options.requests))
    print_results(results, options.rounds, options.requests)
    if options.calls:
        print_calls(apps, results)
    case = next(case for case in CASES if case.key == options.profile_case)
    if options.profile:
        print_profile(asyncio.run(profile(apps[case.app], case)), case)
    if options.hooks:
        hook_times.reset()
        started = time.process_time()
        asyncio.run(serve(apps[case.app], case, PROFILED))
        hook_times.print_hooks(PROFILED, (time.process_time() - started) * 1000 / PROFILED)
    return 0


class CallCounter:
    """Counts function calls (Python and built-in) in this thread while entered: the
    same on every run, so a difference between two cases is the work one adds,
    however busy the machine."""

    def __init__(self) -> None:
        self.calls = 0

    def _count(self, frame: object, event: str, arg: object) -> None:
        if event in ("call", "c_call"):
            self.calls += 1

    def __enter__(self) -> CallCounter:
        sys.setprofile(self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(None)


async def count_calls(app: ASGIApp, case: Case, requests: int) -> float:
    """Function calls per request of ``case``, in the event loop's thread."""
    await serve(app, case, WARM_UP)
    with CallCounter() as counter:
        await serve(app, case, requests)
    return counter.calls / requests


def print_calls(apps: dict[str, ASGIApp], results: Results) -> None:
    counts = {
        case.key: asyncio.run(count_calls(apps[case.app], case, 200))
        for case in CASES
        if case.key in results
    }
    log("\nFunction calls per request (the event loop's thread):")
    for case in (case for case in CASES if case.key in counts):
        line = f"   {case.name:<40} {counts[case.key]:7.0f}"
        if case.baseline:
            extra = counts[case.key] - counts[case.baseline]
            line += f"  {extra:+5.0f} calls, {extra / counts[case.baseline]:.1%} of the baseline's"
        log(line)


def print_results(results: Results, rounds: int, requests: int) -> None:
    medians = {key: median(values) for key, values in results.items()}
    log(f"{rounds} rounds of {requests} requests per case, CPU ms/request:")
    log(f"   {'case':<40} {'median':>7} {'min':>7}  vs  {'extra':>7}  ratio")
    for case in (case for case in CASES if case.key in results):
        own, extra, ratio = medians[case.key], "", ""
        if case.baseline:
            base = medians[case.baseline]
            extra, ratio = f"{own - base:+.3f}", f"{base / own:.3f}"
        log(
            f"   {case.name:<40} {own:7.3f} {min(results[case.key]):7.3f}  "
            f"{case.baseline or ' ':>2}  {extra:>7}  {ratio}"
        )
    log("ratio: the baseline's CPU per request / this case's (1.0 = no extra cost)")


async def profile(app: ASGIApp, case: Case) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    await serve(app, case, PROFILED)
    profiler.disable()
    return pstats.Stats(profiler)


def print_profile(stats: pstats.Stats, case: Case) -> None:
    log(f"\ncProfile of {case.key} ({PROFILED} requests; cProfile inflates small functions):")
    headers = f"{'cumulative ms/request':>22}  {'own ms/request':>14}  {'calls/request':>13}"
    log(f"   {headers}  function")
    # pstats keeps its table in an attribute typeshed does not declare.
    table: dict[tuple[str, int, str], tuple[Any, ...]] = getattr(stats, "stats")  # noqa: B009
    rows = [
        (cumulative, own, calls, where)
        for where, (_, calls, own, cumulative, _) in table.items()
        if "/h2push/" in where[0]
    ]
    for cumulative, own, calls, (filename, line, function) in sorted(rows, reverse=True)[:30]:
        log(
            f"   {cumulative * 1000 / PROFILED:22.3f}  {own * 1000 / PROFILED:14.3f}  "
            f"{calls / PROFILED:13.1f}  {Path(filename).name}:{line} {function}"
        )
