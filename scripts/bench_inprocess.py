"""The CPU cost of Django and h2push per request, with no server and no network.

Run by ``python scripts/benchmark.py in-process``. It calls the ASGI applications of
``bench_asgi`` directly, with a scope that offers the push and early-hint extensions
as Hypercorn's does over HTTP/2, and a ``send`` that drops every message. So it
measures the Python work of Django and of h2push alone, free of TLS, HTTP/2 framing
and the scheduling noise of a loaded machine that a load test suffers.

The cases alternate in blocks, and Early Hints are switched on and off in the same
process with ``override_settings``; CPU time is :func:`time.process_time` (all threads,
so a sync view's thread counts too). ``--profile`` adds a cProfile listing of the
h2push functions on the hints-on page.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).resolve().parent
sys.path[:0] = [str(SCRIPTS), str(SCRIPTS.parent)]
os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
os.environ["H2PUSH_BENCH_VARIANT"] = "h2push"

import bench_asgi  # noqa: E402
from django.test import override_settings  # noqa: E402

Message = dict[str, Any]

HINTS_OFF = {"H2PUSH_EARLY_HINTS": False}
# Sends the 103 even for views too fast to gain from it (the default skips those).
HINT_ALL = {"H2PUSH_EARLY_HINTS_MIN_VIEW_MS": 0}
# name: (application, path, query string, settings overridden)
CASES: dict[str, tuple[Any, str, str, dict[str, Any]]] = {
    "a  plain Django, /bench/static/": (bench_asgi.plain, "/bench/static/", "", {}),
    "e  h2push, hints off, /bench/push/": (bench_asgi.h2push, "/bench/push/", "", HINTS_OFF),
    "b  h2push, /bench/push/": (bench_asgi.h2push, "/bench/push/", "", {}),
    "i  h2push, hint every page, /bench/push/": (bench_asgi.h2push, "/bench/push/", "", HINT_ALL),
    "d  plain Django, /slow/declared/": (bench_asgi.plain, "/slow/declared/", "ms=0", {}),
    "f  h2push, hints off, /slow/declared/": (
        bench_asgi.h2push,
        "/slow/declared/",
        "ms=0",
        HINTS_OFF,
    ),
    "c  h2push, /slow/declared/": (bench_asgi.h2push, "/slow/declared/", "ms=0", {}),
}
BASELINES = {"e": "a", "b": "a", "i": "a", "f": "d", "c": "d"}


def make_scope(path: str, query: str) -> dict[str, Any]:
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


def make_receive() -> Callable[[], Awaitable[Message]]:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect: Django cancels this when done
        raise AssertionError("unreachable")

    return receive


async def drop(message: Message) -> None:
    return None


async def serve(case: str, count: int) -> None:
    app, path, query, overrides = CASES[case]
    with override_settings(**overrides):
        for _ in range(count):
            await app(make_scope(path, query), make_receive(), drop)


async def measure(rounds: int, requests: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {case: [] for case in CASES}
    for case in CASES:
        await serve(case, 50)  # warm-up; teaches h2push the routes
    for _ in range(rounds):
        for case in CASES:
            started = time.process_time()
            await serve(case, requests)
            results[case].append((time.process_time() - started) * 1000 / requests)
    return results


async def profile(case: str, requests: int) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    await serve(case, requests)
    profiler.disable()
    return pstats.Stats(profiler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    results = asyncio.run(measure(options.rounds, options.requests))
    medians = {case[0]: statistics.median(values) for case, values in results.items()}
    print(f"{options.rounds} rounds of {options.requests} requests per case, CPU ms/request:")
    print(f"   {'case':<40} {'median':>7} {'min':>7}  vs  {'extra':>7}  ratio")
    for case, values in results.items():
        key = case[0]
        extra = ratio = ""
        if key in BASELINES:
            base = medians[BASELINES[key]]
            extra = f"{medians[key] - base:+.3f}"
            ratio = f"{base / medians[key]:.3f}"
        print(
            f"   {case:<40} {medians[key]:7.3f} {min(values):7.3f}  "
            f"{BASELINES.get(key, ' '):>2}  {extra:>7}  {ratio}"
        )
    print("ratio: the baseline's CPU per request / this case's (1.0 = no extra cost)")
    if options.profile:
        requests = 2000
        stats = asyncio.run(profile("b  h2push, /bench/push/", requests))
        print(f"\ncProfile of b ({requests} requests; cProfile inflates small functions):")
        print(f"   {'cumulative ms/request':>22}  {'calls/request':>13}  function")
        rows = [
            (cumulative, calls, where)
            for where, (_, calls, _, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
            if "/h2push/" in where[0]
        ]
        for cumulative, calls, (filename, line, function) in sorted(rows, reverse=True)[:20]:
            print(
                f"   {cumulative * 1000 / requests:22.3f}  {calls / requests:13.1f}  "
                f"{Path(filename).name}:{line} {function}"
            )


if __name__ == "__main__":
    main()
