"""Calls to a shared store that a page waits for no longer than a deadline.

Django's cache calls block until the cache client gives up, which its own socket
timeouts decide (redis-py's default is 5 s; older versions wait for ever). A blocking
call can only be left behind from another thread, so :class:`BoundedCalls` runs each
call in one of a few threads of h2push's own and stops waiting at the deadline. The
threads are a fixed pool, and a store whose calls keep missing their deadline is
left alone for a while, so a hung store neither holds every page nor piles up
threads.

Nothing here knows Django or what the calls do; :mod:`h2push.django_layer.stores` uses it.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import wait as wait_for_futures
from typing import Any, TypeVar

__all__ = [
    "HUNG_AFTER",
    "HUNG_PAUSE_SECONDS",
    "STORE_THREADS",
    "BoundedCalls",
    "StoreHung",
    "StoreTimeout",
]

T = TypeVar("T")

#: The most threads one process keeps for calls to shared stores.
STORE_THREADS = 4
#: How many calls in a row must go unanswered by their deadline before the store
#: counts as hung: one can be a passing delay.
HUNG_AFTER = 2
#: How long a hung store goes unasked, unless a late call brings its answer first.
HUNG_PAUSE_SECONDS = 5.0


class StoreTimeout(TimeoutError):
    """The store did not answer within the deadline."""

    def __str__(self) -> str:
        return "no answer within the deadline"


class StoreHung(Exception):
    """The store was not asked: its last calls went unanswered by their deadlines."""


class BoundedCalls:
    """One store's calls, each waited for no longer than a deadline.

    A call runs in one of the store threads (:data:`STORE_THREADS` at most in a
    process) while the caller waits for it, until the deadline at the latest. A call
    still queued then is dropped; one still running is left to finish, and counts as
    late. :data:`HUNG_AFTER` late calls in a row mean a store that hangs: it is then
    not asked at all (:class:`StoreHung` is raised at once) for
    :data:`HUNG_PAUSE_SECONDS`, or until one of the late calls brings its answer.
    A hung store so costs a few pages the wait, not every page, and the threads it
    holds stay within the pool.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._late = 0  # calls in a row that had no answer by their deadline
        self._paused_until = 0.0

    @property
    def hung(self) -> bool:
        """Whether the store is left alone for now."""
        return time.monotonic() < self._paused_until

    def run_sync(self, call: Callable[[], T], seconds: float) -> T:
        """``call()``'s result, for sync code (WSGI)."""
        future = self._start(call)
        wait_for_futures((future,), timeout=seconds)
        if not future.done():
            self._give_up(future)
        return self._result(future)

    async def run(self, call: Callable[[], T], seconds: float) -> T:
        """``call()``'s result, for async code (ASGI): the event loop never blocks."""
        future = self._start(call)
        waiter = asyncio.wrap_future(future)
        try:
            await asyncio.wait((waiter,), timeout=seconds)
        finally:
            if not waiter.done():
                waiter.cancel()  # nobody will read it: a loop closed by then is left alone
        if waiter.cancelled():
            self._give_up(future)
            return self._result(future)
        # Read through the waiter, or asyncio reports its error as never retrieved.
        return self._result(waiter)

    def open(self, call: Callable[[], object], seconds: float) -> None:
        """Run ``call`` once in each store thread at the same time (a first connection
        in each, at start-up) and wait for them all, ``seconds`` at most; raise the
        first error. A first connection may well be slow: those that are late do not
        count towards a hung store."""
        futures = [self._start(call) for _ in range(STORE_THREADS)]
        wait_for_futures(futures, timeout=seconds)
        errors: list[Exception] = []
        for future in futures:
            try:
                if not future.done():
                    self._give_up(future, late_counts=False)
                self._result(future)
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]

    def _start(self, call: Callable[[], T]) -> Future[T]:
        if self.hung:
            raise StoreHung
        return _workers().submit(call)

    def _result(self, future: Future[T] | asyncio.Future[T]) -> T:
        result = future.result()  # or what the call raised
        with self._lock:
            self._late = 0
        return result

    def _give_up(self, future: Future[Any], late_counts: bool = True) -> None:
        """The deadline passed without an answer: raise :class:`StoreTimeout`, unless
        the answer came just now."""
        if future.cancel():
            raise StoreTimeout  # it was still queued behind busy threads: it never runs
        if future.done():
            return
        if not late_counts:
            raise StoreTimeout
        with self._lock:
            self._late += 1
            if self._late >= HUNG_AFTER:
                self._paused_until = time.monotonic() + HUNG_PAUSE_SECONDS
        future.add_done_callback(self._late_answer)
        raise StoreTimeout

    def _late_answer(self, future: Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None:
            with self._lock:  # the store answers after all: ask it again at once
                self._late = 0
                self._paused_until = 0.0


class _Workers:
    """A small pool of daemon threads. A ``ThreadPoolExecutor``'s threads are joined
    when the interpreter exits, and one stuck on a hung store would hold the worker
    process's exit for as long as the store hangs."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = queue.SimpleQueue()
        # Released by a thread each time it is free for more: a call that finds none
        # released starts a new thread, up to the size.
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._started = 0

    def submit(self, call: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((future, call))
        if not self._idle.acquire(blocking=False):
            self._grow()
        return future

    def _grow(self) -> None:
        with self._lock:
            if self._started >= self._size:
                return
            self._started += 1
            name = f"h2push-store-{self._started}"
        threading.Thread(target=self._work, name=name, daemon=True).start()

    def _work(self) -> None:
        while True:
            future, call = self._queue.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as error:  # the caller's to judge, as in an executor
                    future.set_exception(error)
            del future, call  # an idle thread must not keep the last result alive
            self._idle.release()


_pool: _Workers | None = None
_pool_lock = threading.Lock()


def _workers() -> _Workers:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _Workers(STORE_THREADS)
        return _pool


def _forget_pool() -> None:
    # A forked worker (Gunicorn's preload_app) has none of its parent's threads, and
    # a pool that believes it has them would queue calls no thread ever takes.
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)
