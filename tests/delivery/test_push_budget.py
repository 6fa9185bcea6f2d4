"""The per-connection push budget: never more unanswered pushes than it allows.

The ASGI-level tests run a fake HTTP/2 server (``tests.support.early_harness.FakeConnection``):
many pages on one connection at once, each promised request started as its own task
through the same app the moment it is promised, as Hypercorn does.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test import override_settings

from h2push.asgi import H2PushMiddleware
from h2push.delivery.budget import PushBudget
from h2push.testing import H2TestClient, default_application
from harness.constants import EARLY_URLS
from tests.support.early_harness import DEADLINE, FakeConnection

pytestmark = [pytest.mark.urls(EARLY_URLS), pytest.mark.usefixtures("fresh_store")]

BUDGET = 8
PAGES = 300
SPREAD = 1.0
# Existing files, so the promised requests are answered 200 by the static handler.
THREE = "/early/learn/?s=css/base.css&s=js/app.js&s=img/logo.png"
DECLARED = "/early/declared/"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- PushBudget ---------------------------------------------------------------------------


def test_acquire_stops_at_the_limit() -> None:
    budget = PushBudget(3)
    assert [budget.acquire("c", f"/{n}") for n in range(5)] == [True, True, True, False, False]
    assert budget.in_flight("c") == 3


def test_claim_and_release_free_a_place() -> None:
    budget = PushBudget(2)
    assert budget.acquire("c", "/a")
    assert budget.acquire("c", "/b")
    assert not budget.acquire("c", "/c")
    # A request for something never promised is not a promised request.
    assert not budget.claim("c", "/c")
    assert not budget.claim("other", "/a")
    assert budget.claim("c", "/a")
    # Claimed once per promise.
    assert not budget.claim("c", "/a")
    assert budget.in_flight("c") == 2
    budget.release("c")
    assert budget.in_flight("c") == 1
    assert budget.acquire("c", "/c")
    assert not budget.acquire("c", "/d")


def test_the_same_path_promised_twice_is_claimed_twice() -> None:
    budget = PushBudget(4)
    assert budget.acquire("c", "/a") and budget.acquire("c", "/a")
    assert budget.claim("c", "/a")
    assert budget.claim("c", "/a")
    assert not budget.claim("c", "/a")


def test_release_never_goes_below_zero() -> None:
    budget = PushBudget(1)
    budget.release("unknown")
    assert budget.acquire("c", "/a")
    budget.release("c")
    budget.release("c")
    assert budget.in_flight("c") == 0
    assert budget.acquire("c", "/b")
    assert not budget.acquire("c", "/c")


def test_a_zero_budget_never_pushes() -> None:
    budget = PushBudget(0)
    assert not budget.acquire("c", "/a")
    assert not budget.claim("c", "/a")


def test_connections_have_separate_budgets() -> None:
    budget = PushBudget(1)
    assert budget.acquire(("10.0.0.1", 1), "/a")
    assert not budget.acquire(("10.0.0.1", 1), "/b")
    assert budget.acquire(("10.0.0.1", 2), "/a")
    assert budget.acquire(("10.0.0.2", 1), "/a")


def test_an_idle_connection_is_forgotten() -> None:
    clock = Clock()
    budget = PushBudget(2, idle_after=60.0, clock=clock)
    assert budget.acquire("c", "/a") and budget.acquire("c", "/b")
    clock.now += 59.0
    assert not budget.acquire("c", "/c")
    # That attempt counted as activity: 59 s later it is still not idle.
    clock.now += 59.0
    assert not budget.acquire("c", "/c")
    clock.now += 60.5
    assert budget.acquire("c", "/c")
    assert budget.in_flight("c") == 1
    # What the forgotten connection promised is no longer claimable.
    assert not budget.claim("c", "/a")


def test_pushes_still_being_answered_are_not_forgotten_as_idle() -> None:
    """Idle expiry is for promises nobody claims (a client that refuses push). A push
    whose promised request was claimed and is still being answered (a large file to
    a slow client) is in flight: forgetting it lets the connection exceed the budget,
    and its late ``release()`` then frees a place it never held."""
    clock = Clock()
    budget = PushBudget(2, idle_after=60.0, clock=clock)
    assert budget.acquire("c", "/static/video.mp4") and budget.acquire("c", "/static/a.css")
    assert budget.claim("c", "/static/video.mp4") and budget.claim("c", "/static/a.css")
    clock.now += 61.0  # both responses are still being sent
    assert not budget.acquire("c", "/static/next.css")
    assert budget.in_flight("c") == 2
    budget.release("c")
    budget.release("c")
    assert budget.in_flight("c") == 0
    assert budget.acquire("c", "/static/next.css")


def test_a_client_that_never_requests_what_was_promised_stops_getting_pushes() -> None:
    clock = Clock()
    budget = PushBudget(4, idle_after=60.0, clock=clock)
    granted = []
    for page in range(50):
        clock.now += 1.0
        granted.append(sum(budget.acquire("c", f"/static/{page}/{n}.css") for n in range(3)))
    assert sum(granted) == 4
    assert granted[:2] == [3, 1]
    assert set(granted[2:]) == {0}


def test_max_connections_evicts_the_least_recently_seen() -> None:
    budget = PushBudget(1, max_connections=2)
    assert budget.acquire("a", "/x")
    assert budget.acquire("b", "/x")
    assert not budget.acquire("a", "/y")  # "a" is now the most recent
    assert budget.acquire("c", "/x")  # evicts "b"
    assert budget.in_flight("b") == 0
    assert not budget.claim("b", "/x")
    assert budget.in_flight("a") == 1
    assert budget.claim("a", "/x")
    assert budget.in_flight("c") == 1
    assert len(budget._connections) == 2


def test_max_connections_bound_holds_for_many_clients() -> None:
    budget = PushBudget(2, max_connections=10)
    for port in range(1000):
        budget.acquire(("127.0.0.1", port), "/a")
    assert len(budget._connections) == 10
    assert budget.in_flight(("127.0.0.1", 999)) == 1
    assert budget.in_flight(("127.0.0.1", 0)) == 0


# --- through the adapter, on one connection -------------------------------------------------


def _run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, DEADLINE * 2))


async def _concurrent_pages(
    app: H2PushMiddleware, pages: int, *, seed: int, spread: float = SPREAD
) -> tuple[FakeConnection, list[Any]]:
    # Pages start within SPREAD seconds of each other, so some promised requests are
    # answered while other pages still run and free places for their pushes.
    connection = FakeConnection(
        app, H2TestClient(app), delays=(0.0, 0.0, 0.0005, 0.001, 0.002), spread=spread, seed=seed
    )
    # The first page teaches the route, so the others push early as well as late.
    await connection.page(THREE)
    await connection.drain()
    connection.promised = connection.completed = connection.max_in_flight = 0
    paths = [THREE if n % 2 else DECLARED for n in range(pages)]
    # The second half starts only once a promised request has been answered: some
    # pages then find a place freed, however the machine's load squeezes the spread.
    later = pages // 2
    runs = await asyncio.gather(
        *(connection.page(path, after_answers=int(n >= later)) for n, path in enumerate(paths))
    )
    await connection.drain()
    return connection, runs


def test_concurrent_pages_on_one_connection_never_exceed_the_budget() -> None:
    with override_settings(H2PUSH_PUSH_BUDGET=BUDGET):
        app = default_application()
        connection, runs = _run(_concurrent_pages(app, PAGES, seed=1))
        # Every promised request was answered: nothing is left in flight.
        assert app.budget.in_flight(connection.client.client) == 0
    assert all(run.status == 200 for run in runs)
    assert connection.max_in_flight <= BUDGET
    assert connection.promised > BUDGET
    # The budget was binding: pages asked for far more pushes than went out.
    wanted = sum(3 if n % 2 else 2 for n in range(PAGES))
    assert connection.promised < wanted
    assert connection.completed == connection.promised
    assert set(connection.pushed_statuses) == {200}
    # Pushes refused for lack of budget still go out as preload links.
    assert all(run.header_values("link") for run in runs)


def test_the_harness_sees_the_overflow_without_a_budget() -> None:
    """Control: with a budget too large to bind, the same harness measures more
    than ``BUDGET`` unanswered pushes, so the test above can fail."""
    with override_settings(H2PUSH_PUSH_BUDGET=100_000):
        app = default_application()
        connection, runs = _run(_concurrent_pages(app, 60, seed=2, spread=0.0))
    assert all(run.status == 200 for run in runs)
    assert connection.max_in_flight > BUDGET


def test_a_client_that_never_answers_promises_stops_getting_pushes() -> None:
    with override_settings(H2PUSH_PUSH_BUDGET=BUDGET):
        app = default_application()
        refusing = FakeConnection(app, H2TestClient(app), follow_promises=False)

        async def pages() -> list[Any]:
            return [await refusing.page(DECLARED) for _ in range(10)]

        runs = _run(pages())
        assert [len(run.pushed) for run in runs] == [2, 2, 2, 2, 0, 0, 0, 0, 0, 0]
        assert refusing.promised == BUDGET
        # The 103 and the Link header still go out.
        assert all(run.hints and run.header_values("link") for run in runs)
        # Another connection to the same app is not affected.
        other = FakeConnection(app, H2TestClient(app))

        async def one() -> Any:
            run = await other.page(DECLARED)
            await other.drain()
            return run

        assert len(_run(one()).pushed) == 2


def test_promised_requests_answered_in_turn_keep_pushes_flowing() -> None:
    with override_settings(H2PUSH_PUSH_BUDGET=2):
        app = default_application()
        connection = FakeConnection(app, H2TestClient(app))

        async def pages() -> list[Any]:
            runs = []
            for _ in range(20):
                runs.append(await connection.page(DECLARED))
                await connection.drain()
            return runs

        runs = _run(pages())
    assert [len(run.pushed) for run in runs] == [2] * 20
    assert connection.max_in_flight == 2


def test_is_full_and_expects_follow_the_promises() -> None:
    budget = PushBudget(2)
    assert not budget.is_full("c") and not budget.expects("c")
    assert budget.acquire("c", "/a") and budget.acquire("c", "/b")
    assert budget.is_full("c") and budget.expects("c")
    assert not budget.expects("other")
    assert budget.claim("c", "/a") and budget.claim("c", "/b")
    # Claimed, not yet answered: still full, but nothing more to claim.
    assert budget.is_full("c") and not budget.expects("c")
    budget.release("c")
    assert not budget.is_full("c")


def test_is_full_lets_an_idle_connections_stale_promises_go() -> None:
    clock = Clock()
    budget = PushBudget(1, idle_after=60, clock=clock)
    assert budget.acquire("c", "/never-requested")
    assert budget.is_full("c")
    clock.now += 61
    assert not budget.is_full("c")
