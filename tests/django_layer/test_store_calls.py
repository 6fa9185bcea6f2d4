"""Issue 17, finding 4, the pieces: :class:`h2push.django_layer.storecalls.BoundedCalls`,
which runs a shared store's calls in h2push's own threads and stops waiting at the deadline.

The calls here block on an event until the test lets them go, as a call to a hung
store would; every test lets them all go when it ends, so no thread stays held.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator

import pytest

from h2push.django_layer import storecalls
from h2push.django_layer.storecalls import (
    HUNG_AFTER,
    STORE_THREADS,
    BoundedCalls,
    StoreHung,
    StoreTimeout,
)

DEADLINE = 0.05
# Far more than a call that answers at once takes on a busy machine, far less than
# the pause.
QUICK = 1.0


class Hang:
    """Calls that wait until :meth:`release`; counts how many started."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = 0
        self._lock = threading.Lock()

    def call(self, answer: object = "late") -> Callable[[], object]:
        def run() -> object:
            with self._lock:
                self.started += 1
            self.gate.wait(30)
            if isinstance(answer, Exception):
                raise answer
            return answer

        return run

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def hang() -> Iterator[Hang]:
    hang = Hang()
    yield hang
    hang.release()  # the pool's threads are the next test's too


def store_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("h2push-store")]


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.01)


def test_an_answer_and_an_error_come_back_as_they_are() -> None:
    calls = BoundedCalls()
    assert calls.run_sync(lambda: 42, QUICK) == 42
    with pytest.raises(ZeroDivisionError):
        calls.run_sync(lambda: 1 / 0, QUICK)
    assert asyncio.run(calls.run(lambda: "async", QUICK)) == "async"
    assert not calls.hung


def test_a_call_past_its_deadline_is_left_behind(hang: Hang) -> None:
    calls = BoundedCalls()
    with pytest.raises(StoreTimeout):
        calls.run_sync(hang.call(), DEADLINE)
    # One late call can be a passing delay: the store is asked again.
    assert not calls.hung
    started = time.monotonic()
    with pytest.raises(StoreTimeout):
        calls.run_sync(hang.call(), DEADLINE)
    assert DEADLINE <= time.monotonic() - started < QUICK
    assert hang.started == 2


def test_a_store_that_keeps_missing_its_deadline_is_left_alone(hang: Hang) -> None:
    calls = BoundedCalls()
    for _ in range(HUNG_AFTER):
        with pytest.raises(StoreTimeout):
            calls.run_sync(hang.call(), DEADLINE)
    assert calls.hung
    for _ in range(50):
        with pytest.raises(StoreHung):
            calls.run_sync(hang.call(), DEADLINE)
        with pytest.raises(StoreHung):
            asyncio.run(calls.run(hang.call(), DEADLINE))
    # Not one of those calls was made: no thread waits on them.
    assert hang.started == HUNG_AFTER
    # A late answer says the store is back: it is asked again at once.
    hang.release()
    wait_until(lambda: not calls.hung)
    assert calls.run_sync(lambda: "back", QUICK) == "back"


def test_late_errors_keep_the_store_alone_until_the_pause_ends(
    hang: Hang, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storecalls, "HUNG_PAUSE_SECONDS", 0.5)
    calls = BoundedCalls()
    for _ in range(HUNG_AFTER):
        with pytest.raises(StoreTimeout):
            calls.run_sync(hang.call(ConnectionError("reset")), DEADLINE)
    hang.release()
    time.sleep(0.1)
    # The late calls failed: that is no sign of a store that answers.
    assert calls.hung
    with pytest.raises(StoreHung):
        calls.run_sync(lambda: "too soon", QUICK)
    wait_until(lambda: not calls.hung, 2.0)
    assert calls.run_sync(lambda: "tried again", QUICK) == "tried again"


def test_the_threads_stay_a_small_fixed_pool(hang: Hang) -> None:
    # Each store its own calls, so no pause stops the flood: only the pool bounds it.
    for _ in range(3 * STORE_THREADS):
        with pytest.raises(StoreTimeout):
            BoundedCalls().run_sync(hang.call(), DEADLINE)
        assert len(store_threads()) <= STORE_THREADS
    # The calls that found every thread held were dropped at their deadline, unrun.
    hang.release()
    time.sleep(0.2)
    assert hang.started <= STORE_THREADS
    assert BoundedCalls().run_sync(lambda: "free", QUICK) == "free"


def test_the_async_wait_never_blocks_the_loop(hang: Hang) -> None:
    calls = BoundedCalls()

    async def scenario() -> list[str]:
        ticks: list[str] = []

        async def tick() -> None:
            for _ in range(3):
                await asyncio.sleep(DEADLINE / 4)
                ticks.append("tick")

        ticker = asyncio.create_task(tick())
        with pytest.raises(StoreTimeout):
            await calls.run(hang.call(), DEADLINE)
        await ticker
        return ticks

    assert asyncio.run(scenario()) == ["tick"] * 3


def test_an_async_calls_error_is_retrieved(caplog: pytest.LogCaptureFixture) -> None:
    calls = BoundedCalls()

    async def scenario() -> None:
        with pytest.raises(ConnectionError):
            await calls.run(lambda: (_ for _ in ()).throw(ConnectionError("refused")), QUICK)

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        asyncio.run(scenario())
        gc.collect()
    assert "never retrieved" not in caplog.text


def test_open_starts_every_thread_once(hang: Hang) -> None:
    seen: set[str] = set()
    barrier = threading.Barrier(STORE_THREADS, timeout=5)

    def first_call() -> None:
        seen.add(threading.current_thread().name)
        barrier.wait()  # all at once: each in a thread of its own

    BoundedCalls().open(first_call, 5.0)
    assert len(seen) == STORE_THREADS


def test_a_forked_worker_starts_its_own_threads() -> None:
    calls = BoundedCalls()
    assert calls.run_sync(lambda: "parent", QUICK) == "parent"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads running
        pid = os.fork()
    if pid == 0:  # the child: its parent's threads are gone
        code = 1
        try:
            code = 0 if BoundedCalls().run_sync(lambda: "child", 2.0) == "child" else 1
        finally:
            os._exit(code)  # never back into pytest
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_slow_first_calls_at_start_up_do_not_make_a_store_hung(hang: Hang) -> None:
    calls = BoundedCalls()
    with pytest.raises(StoreTimeout):
        calls.open(hang.call(), DEADLINE)
    # A first connection may be slow; pages find out for themselves whether it hangs.
    assert not calls.hung
