"""Issue 17, finding 4: a learned store that hangs must not hold the pages.

A real ``redis-server`` is the learned store, through Django's ``RedisCache`` with no
socket timeouts in its ``OPTIONS`` (as an operator may well leave it). The test
teaches a route while Redis answers, then stops Redis with ``SIGSTOP``: it keeps its
port and accepts connections, but answers nothing, as a hung or swapped-out server
does. Each page must then be served within ``H2PUSH_LEARN_TIMEOUT_MS`` and a margin,
without the route's learned 103, under the ASGI path (Django's ASGI handler in the
h2push adapter) and the WSGI path (``h2push.wsgi.get_wsgi_application`` with a
server's ``wsgi.early_hints``); more pages must not mean more threads; and the
``h2push`` logger says why, once. Redis gets ``SIGCONT`` before it is stopped.

Before the fix every page waited on the hung connection (the cache client's own
timeouts were the only bound, and here there are none).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.test import RequestFactory, override_settings

from h2push.testing import H2TestClient
from h2push.wsgi import get_wsgi_application
from harness.constants import CSS_LINK, EARLY_URLS, JS_LINK
from harness.redis import RedisServer
from tests.support.linkfields import links_in

pytestmark = [pytest.mark.e2e, pytest.mark.urls(EARLY_URLS), pytest.mark.usefixtures("fresh_store")]

T = TypeVar("T")

TIMEOUT_MS = 100
# What a page may take beyond the store's bound on a busy test machine; the hung
# store held each page for seconds, or for good.
MARGIN = 0.7
LIMIT = TIMEOUT_MS / 1000 + MARGIN
# How long the test waits for a page before it calls the page hung.
GIVE_UP = 10.0
PAGES = 30
# How long a page's own short-lived threads get to end.
SETTLE = 2.0
PAGE = "/early/learn/?s=css/base.css&s=js/app.js"
LEARNED = [CSS_LINK, JS_LINK]


@pytest.fixture
def redis_store(redis_server: RedisServer) -> Iterator[RedisServer]:
    """Django's RedisCache on the test's Redis as the learned store, no socket timeouts."""
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "learned": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
        },
    }
    with override_settings(
        CACHES=caches, H2PUSH_LEARN_CACHE="learned", H2PUSH_LEARN_TIMEOUT_MS=TIMEOUT_MS
    ):
        yield redis_server


@pytest.fixture
def hung(redis_store: RedisServer) -> Iterator[Callable[[], None]]:
    """Calling it stops Redis with SIGSTOP; it is continued when the test ends."""
    assert redis_store.process is not None
    pid = redis_store.process.pid
    stopped = False

    def stop() -> None:
        nonlocal stopped
        os.kill(pid, signal.SIGSTOP)
        stopped = True

    yield stop
    if stopped:
        os.kill(pid, signal.SIGCONT)


def within(seconds: float, call: Callable[[], T]) -> tuple[float, T]:
    """``call()``'s time and result; fails if it takes past ``seconds`` (while a hung
    call goes on in its thread until Redis is continued)."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as error:  # handed to the test's own thread
            errors.append(error)

    started = time.monotonic()
    thread = threading.Thread(target=run, name="test-page", daemon=True)
    thread.start()
    thread.join(seconds)
    elapsed = time.monotonic() - started
    if thread.is_alive():
        pytest.fail(f"the page was still waiting after {seconds} s")
    if errors:
        raise errors[0]
    return elapsed, result[0]


def h2push_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.split(".")[0] == "h2push" and record.levelno >= logging.WARNING
    ]


# --------------------------------------------------------------------------- ASGI


def asgi_page(client: H2TestClient) -> list[list[str]]:
    """One page through the ASGI stack; the 103s it got."""
    client.clear()
    response = client.get(PAGE)
    assert response.status == 200, response.content[:300]
    return list(client.early_hints)


def test_asgi_pages_are_not_held_by_a_hung_store(
    hung: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    client = H2TestClient()
    assert [asgi_page(client) for _ in range(3)] == [[], [], [LEARNED]]

    hung()
    elapsed, hints = within(GIVE_UP, lambda: asgi_page(client))
    assert elapsed < LIMIT
    assert hints == []
    threads = other_threads()
    for _ in range(PAGES):
        elapsed, hints = within(GIVE_UP, lambda: asgi_page(client))
        assert elapsed < LIMIT
        assert hints == []
    assert_threads_bounded(threads)
    assert_warned_once(caplog)


# --------------------------------------------------------------------------- WSGI


class ServerHints:
    """A WSGI server's ``wsgi.early_hints`` (Gunicorn's): records each 103."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, str]]] = []

    def __call__(self, headers: list[tuple[str, str]]) -> None:
        self.calls.append(list(headers))


def wsgi_page(application: Any) -> list[list[str]]:
    """One page through the WSGI stack, as Gunicorn runs it; the 103s it got, each as
    its links."""
    hints = ServerHints()
    environ = RequestFactory().get(PAGE).environ
    environ["wsgi.early_hints"] = hints
    statuses: list[str] = []
    body = b"".join(application(environ, lambda status, headers, exc=None: statuses.append(status)))
    assert statuses == ["200 OK"], body[:300]
    return [[link for _, value in call for link in links_in(value)] for call in hints.calls]


def test_wsgi_pages_are_not_held_by_a_hung_store(
    hung: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    application = get_wsgi_application()
    assert [wsgi_page(application) for _ in range(3)] == [[], [], [LEARNED]]

    hung()
    elapsed, hints = within(GIVE_UP, lambda: wsgi_page(application))
    assert elapsed < LIMIT
    assert hints == []
    threads = other_threads()
    for _ in range(PAGES):
        elapsed, hints = within(GIVE_UP, lambda: wsgi_page(application))
        assert elapsed < LIMIT
        assert hints == []
    assert_threads_bounded(threads)
    assert_warned_once(caplog)


# ------------------------------------------------------------------------ common


def store_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("h2push-store")]


def other_threads() -> set[int | None]:
    return {t.ident for t in threading.enumerate() if not t.name.startswith("h2push-store")}


def assert_threads_bounded(after_first_page: set[int | None]) -> None:
    """Pages while the store hangs start no threads that stay: h2push calls the store
    from a small pool of its own, and stops asking a store that timed out. (Each page
    has threads of its own for a moment, the test client's and Django's: those end.)"""
    from h2push.django_layer.storecalls import STORE_THREADS

    assert len(store_threads()) <= STORE_THREADS, threading.enumerate()
    deadline = time.monotonic() + SETTLE
    while (other_threads() - after_first_page) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other_threads() <= after_first_page, threading.enumerate()


def assert_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    warnings = h2push_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "H2PUSH_LEARN_TIMEOUT_MS" in warnings[0], warnings
