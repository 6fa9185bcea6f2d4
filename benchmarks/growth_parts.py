"""The growth benchmark's measurements, each run in a fresh Python process of its own
(:mod:`benchmarks.growth` starts them with multiprocessing's ``spawn``), so that one
measurement's Django settings, caches and memory never touch another's.

- :func:`preload_costs`: CPU and function calls per request of plain Django and of
  h2push for pages with 1 to 64 preloads (``H2PUSH_MAX_PRELOADS`` raised to 64);
- :func:`route_memory`: the process's resident memory while h2push learns more and
  more routes, up to ten times ``H2PUSH_LEARNED_ROUTES`` (500);
- :func:`discovery_times`: :mod:`benchmarks.discovery`'s timings per page size.

Each returns plain data (it crosses a process boundary).
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.assets import ASSETS_ENV, PRELOAD_COUNTS, ROUTES, write_assets

__all__ = ["ROUTE_CHECKPOINTS", "discovery_times", "preload_costs", "route_memory"]

#: After how many learned routes the memory is read.
ROUTE_CHECKPOINTS = (0, 250, 500, 1000, 2000, 3000, 4000, 5000)
BROWSER_HEADERS = [(b"sec-fetch-mode", b"navigate"), (b"sec-fetch-dest", b"document")]


def _set_up(assets: Path) -> dict[str, Any]:
    """Django with the benchmark settings and the generated assets; the plain and h2push
    applications."""
    os.environ[ASSETS_ENV] = str(write_assets(assets))
    from benchmarks import in_process

    return in_process.load_apps()


def _browser_scope(path: str) -> dict[str, Any]:
    """A page request as a browser makes it over HTTP/2 (it refuses push)."""
    from benchmarks.in_process import scope

    request = scope(path, "")
    request["headers"] = [*request["headers"], *BROWSER_HEADERS]
    return request


async def _serve(app: Any, path: str, count: int) -> float:
    """CPU milliseconds per request of ``count`` requests."""
    from harness.asgi import call_app

    started = time.process_time()
    for _ in range(count):
        await call_app(app, _browser_scope(path))
    return (time.process_time() - started) * 1000 / count


async def _preload_blocks(apps: dict[str, Any], rounds: int, requests: int) -> dict[str, Any]:
    costs: dict[str, Any] = {}
    for count in PRELOAD_COUNTS:
        path = f"/bench/preloads-{count}/"
        for app in apps.values():
            await _serve(app, path, 20)  # two pages teach the route; the rest warm up
        blocks: dict[str, Any] = {name: [] for name in apps}
        for number in range(rounds):
            for name in list(apps) if number % 2 == 0 else list(apps)[::-1]:
                blocks[name].append(await _serve(apps[name], path, requests))
        blocks["calls"] = {name: await _calls(app, path) for name, app in apps.items()}
        costs[str(count)] = blocks
    return costs


async def _calls(app: Any, path: str, count: int = 50) -> float:
    """Function calls per request: unlike CPU time, untouched by the machine's load."""
    from benchmarks.in_process import CallCounter

    with CallCounter() as counter:
        await _serve(app, path, count)
    return counter.calls / count


def preload_costs(rounds: int, requests: int) -> dict[str, Any]:
    """Per preload count: CPU ms per request of each block, plain and h2push."""
    with tempfile.TemporaryDirectory(prefix="h2push-bench-assets-") as folder:
        apps = _set_up(Path(folder))
        from django.test import override_settings

        with override_settings(H2PUSH_MAX_PRELOADS=max(PRELOAD_COUNTS)):
            return asyncio.run(_preload_blocks(apps, rounds, requests))


def _rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def _sizes() -> dict[str, int]:
    """How many entries h2push's per-route structures hold."""
    from h2push.django_layer import discovery, learning
    from h2push.django_layer.stores import MemoryStore

    store = learning.get_store()
    return {
        "learned_store": len(store) if isinstance(store, MemoryStore) else -1,
        "view_times": len(getattr(learning.get_view_times(), "_routes", ())),
        "discovery_routes": len(getattr(discovery, "_memory", ())),
    }


async def _learn_routes(app: Any) -> list[dict[str, Any]]:
    points = []
    learned = 0
    for checkpoint in ROUTE_CHECKPOINTS:
        for route in range(learned, min(checkpoint, ROUTES)):
            for _ in range(2):  # two agreeing pages: the route is learned
                await _serve(app, f"/bench/route-{route}/", 1)
        learned = checkpoint
        gc.collect()
        points.append({"routes": checkpoint, "rss_kb": _rss_kb(), **_sizes()})
    return points


def route_memory() -> dict[str, Any]:
    """Resident memory (and h2push's entry counts) at each of ``ROUTE_CHECKPOINTS``."""
    with tempfile.TemporaryDirectory(prefix="h2push-bench-assets-") as folder:
        apps = _set_up(Path(folder))
        from django.test import override_settings

        from h2push.django_layer.conf import conf

        with override_settings(ROOT_URLCONF="benchmarks.route_urls"):
            # Everything a request touches is loaded before the first reading.
            for route in range(ROUTES - 3, ROUTES):
                asyncio.run(_serve(apps["plain"], f"/bench/route-{route}/", 3))
            points = asyncio.run(_learn_routes(apps["h2push"]))
            bound = conf.H2PUSH_LEARNED_ROUTES
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"bound": bound, "points": points, "peak_rss_kb": peak}


def discovery_times(rounds: int) -> dict[str, Any]:
    """:func:`benchmarks.discovery.measure` per page size: medians of wall-clock and
    CPU seconds of a parse, a remembered page, and a changed page within its budget."""
    from benchmarks import discovery

    sizes: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="h2push-bench-discovery-") as folder:
        discovery.configure(Path(folder))
        for label, size in discovery.SIZES.items():
            content = discovery.page(size)
            parse, remembered, changed = discovery.measure(content, rounds)
            sizes[label] = {
                "bytes": len(content),
                "parse": parse,
                "remembered": remembered,
                "changed": changed,
            }
    return sizes
