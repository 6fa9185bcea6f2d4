"""Under ASGI discovery runs on the event loop: it may hold it a few milliseconds.

A page read in that time is read there (a route's first pages teach at once, as
under WSGI); any other is read by discovery's background thread, and until then
its response gets what the route's remembered pages tell.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import h2push.django_layer.discovery
from h2push.django_layer import discovery
from h2push.django_layer.discovery import MAX_WAITING, budget
from h2push.django_layer.discovery.page import find_assets
from h2push.django_layer.preload import Preload
from tests.support.apps import discovery_attacks as attacks

SMALL = b'<link rel=stylesheet href="/static/a.css"><script src="/static/a.js"></script>'
# The event loop's thread may spend this much CPU time in one call; it spends
# about 5 ms at most (wide: the test machine is shared).
LOOP_SECONDS = 0.025


def on_loop(*calls: tuple[str, bytes]) -> list[tuple[tuple[Preload, ...], float]]:
    """Each call's result and the CPU seconds the loop's thread spent on it."""

    async def run() -> list[tuple[tuple[Preload, ...], float]]:
        results = []
        for route, page in calls:
            started = time.thread_time()
            found = discovery.discover(route, page, "utf-8", "/static/")
            results.append((found, time.thread_time() - started))
        return results

    return asyncio.run(run())


def urls(found: tuple[Preload, ...]) -> list[str]:
    return [hint.url for hint in found]


def settle() -> None:
    assert discovery.wait_for_background(30.0), "the background reading did not finish"


def test_a_small_page_is_read_on_the_event_loop_at_once() -> None:
    [(found, seconds)] = on_loop(("r", SMALL))
    assert urls(found) == ["/static/a.css", "/static/a.js"]
    assert seconds < LOOP_SECONDS


@pytest.mark.parametrize(
    "page",
    [attacks.nested_divs(), attacks.nested_divs(60_000), attacks.reopened_formatting(300, 60_000)],
    ids=["900-KB-divs", "60-KB-divs", "60-KB-reopened-formatting"],
)
def test_an_expensive_page_leaves_the_loop_at_once_and_teaches_later(page: bytes) -> None:
    [(found, seconds)] = on_loop(("r", page))
    assert found == ()  # the route has nothing remembered yet
    assert seconds < LOOP_SECONDS, f"{seconds * 1000:.1f} ms on the event loop"
    settle()
    [(found, seconds)] = on_loop(("r", page))
    assert urls(found)[:2] == list(attacks.NORMAL_URLS)
    assert seconds < LOOP_SECONDS


def test_meanwhile_a_known_route_gets_what_its_pages_shared() -> None:
    shared = b'<link rel=stylesheet href="/static/base.css">'
    on_loop(("r", shared + b"<p>1</p>"), ("r", shared + b"<p>2</p>"))
    big = shared + b'<script src="/static/big.js"></script>' + b"<div>" * 12_000
    for _ in range(discovery.MIN_RESPONSES_BETWEEN_PARSES):
        [(found, _)] = on_loop(("r", big))
        assert urls(found) == ["/static/base.css"]  # never another page's own assets
    settle()
    [(found, _)] = on_loop(("r", big))
    assert urls(found) == ["/static/base.css", "/static/big.js"]


class Held:
    """find_assets in place: on the event loop it hands every page over; in the
    background it waits until released, so the queue can be watched."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started: list[bytes] = []

    def __call__(self, content: bytes, *args: Any) -> tuple[Preload, ...]:
        limits: budget.Budget = args[-1]
        if limits.inline:
            raise budget.Deferred("held")
        self.started.append(content)
        self.release.wait(30)
        return find_assets(content, *args)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[Held]:
    holder = Held()
    monkeypatch.setattr(h2push.django_layer.discovery, "find_assets", holder)
    yield holder
    holder.release.set()
    settle()


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_the_background_queue_is_bounded_and_holds_a_route_once(held: Held) -> None:
    on_loop(("running", SMALL))
    wait_until(lambda: len(held.started) == 1)
    routes = [f"r{n}" for n in range(MAX_WAITING + 2)]
    on_loop(*[(route, SMALL) for route in routes], ("r0", SMALL))
    held.release.set()
    settle()
    # The first MAX_WAITING were read (r0 once); the others were dropped.
    assert len(held.started) == 1 + MAX_WAITING
    for route in routes[:MAX_WAITING]:
        assert urls(on_loop((route, SMALL))[0][0]) == ["/static/a.css", "/static/a.js"]
    # A dropped route is queued again by its next response.
    held.release.clear()
    [(found, _)] = on_loop((routes[-1], SMALL))
    assert found == ()
    wait_until(lambda: len(held.started) == 2 + MAX_WAITING)


def test_what_a_reading_under_way_finds_is_dropped_by_forget(held: Held) -> None:
    on_loop(("r", SMALL))
    wait_until(lambda: len(held.started) == 1)
    discovery.forget()  # as a change of STATIC_URL or STORAGES does
    held.release.set()
    settle()
    held.release.clear()
    [(found, _)] = on_loop(("r", SMALL))
    assert found == ()  # nothing was kept: read again
    wait_until(lambda: len(held.started) == 2)
