"""Issue 11, the log: each page's story in one DEBUG line of the ``h2push`` logger, with
the reason for what did not happen, and one WARNING per cause for a mistake.

Pages come from :mod:`tests.support.apps.early_urls`, whose views register what the
query string names (``?s=`` a static name, ``?u=`` a URL). Building an
:class:`~h2push.testing.H2TestClient` sets Django up again, which applies
``LOGGING`` (the ``h2push`` logger at WARNING): each test turns DEBUG on after
building its clients.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import override_settings

from h2push.core import caches
from h2push.core.contract import PUSH_EXTENSION
from h2push.core.story import Fate, Reason
from h2push.delivery import digest
from h2push.testing import H2TestClient, H2TestResponse
from harness.constants import CSS_PATH, EARLY_URLS, JS_PATH
from tests.support import failing_caches

pytestmark = pytest.mark.urls(EARLY_URLS)

LOGO_PATH = "/static/img/logo.png"


def learn_query(*names: str) -> str:
    return "/early/learn/?" + urlencode([("s", name) for name in names])


def listen(caplog: pytest.LogCaptureFixture) -> None:
    """The h2push logger at DEBUG, as a developer who wants the story sets it."""
    caplog.set_level(logging.DEBUG, logger="h2push")


def client(caplog: pytest.LogCaptureFixture, **options: Any) -> H2TestClient:
    built = H2TestClient(**options)
    listen(caplog)  # after the build, which applied LOGGING again
    return built


def page(h2: H2TestClient, path: str, **options: Any) -> H2TestResponse:
    response = h2.get(path, **options)
    assert response.status == 200, response.content[:300]
    return response


def story_lines(caplog: pytest.LogCaptureFixture, start: str = "GET /early/") -> list[str]:
    """The stories told, one DEBUG line each, of the requests whose method and
    path begin with ``start`` (the test views' pages by default)."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "h2push"
        and record.levelno == logging.DEBUG
        and record.getMessage().startswith(start)
    ]


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "h2push" and record.levelno >= logging.WARNING
    ]


def one_line(caplog: pytest.LogCaptureFixture) -> str:
    [line] = story_lines(caplog)
    return line


# --- each reason, in the page's one line ------------------------------------------------


def test_a_new_route_says_nothing_was_learned_yet(caplog: pytest.LogCaptureFixture) -> None:
    page(client(caplog), learn_query("css/base.css"))
    line = one_line(caplog)
    assert line.startswith(f"GET /early/learn/ (pid {os.getpid()}): ")
    assert Reason.NEW_ROUTE in line
    assert f"{CSS_PATH} [registered: {Fate.LINK_HEADER}, {Fate.PUSHED}]" in line


@override_settings(H2PUSH_EARLY_HINTS_MIN_VIEW_MS=60_000)
def test_a_route_faster_than_the_threshold_says_so(caplog: pytest.LogCaptureFixture) -> None:
    first, second = H2TestClient(), client(caplog)
    page(first, "/early/declared/")  # times the route: far under a minute
    page(second, "/early/declared/")
    timed, fast = story_lines(caplog)
    assert Reason.FAST_VIEW not in timed
    assert "103 at" in timed
    assert Reason.FAST_VIEW in fast
    assert "103 at" not in fast


def test_a_server_without_the_extensions_says_it_offers_no_way(
    caplog: pytest.LogCaptureFixture,
) -> None:
    page(client(caplog, extensions=()), "/early/declared/")
    line = one_line(caplog)
    assert Reason.NO_EARLY_CHANNEL in line
    assert Reason.NO_PUSH_EXTENSION in line
    assert f"{CSS_PATH} [declared: {Fate.LINK_HEADER}]" in line


def test_a_server_that_pushes_but_sends_no_103_says_so(caplog: pytest.LogCaptureFixture) -> None:
    page(client(caplog, extensions=(PUSH_EXTENSION,)), "/early/declared/")
    line = one_line(caplog)
    assert Reason.NO_EARLY_CHANNEL in line
    assert Reason.NO_PUSH_EXTENSION not in line
    assert f"{CSS_PATH} [declared: {Fate.PUSHED}, {Fate.LINK_HEADER}]" in line


def test_a_request_that_is_not_a_navigation_says_so(caplog: pytest.LogCaptureFixture) -> None:
    h2 = client(caplog)
    page(h2, "/early/declared/", headers={"sec-fetch-mode": "cors", "sec-fetch-dest": "empty"})
    line = one_line(caplog)
    assert Reason.NOT_NAVIGATION in line
    assert Reason.BROWSER in line  # Sec-Fetch-* names a browser, and browsers refuse push
    assert h2.early_hints == [] and h2.push_promises == []


def test_a_missing_asset_is_in_each_line_and_warned_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A name no other test uses: each missing URL is warned about once per process.
    name = f"css/missing-{uuid.uuid4().hex}.css"
    url = f"/static/{name}"
    with override_settings(DEBUG=True):
        h2 = client(caplog)
        for _ in range(3):
            page(h2, learn_query("css/base.css", name))
        page(h2, "/early/learn/7/?" + urlencode({"s": name}))
    lines = story_lines(caplog)
    assert len(lines) == 4
    for line in lines:
        assert f"{url} [" in line
        assert f"{Fate.MISSING_FILE}]" in line.split(url, 1)[1]
    assert [w for w in warnings_of(caplog) if url in w] == [
        f"{url} is registered for preload but no static file has that name; "
        "it is left out of the Link header."
    ]


@override_settings(H2PUSH_PUSH_BUDGET=1)
def test_pushes_over_the_budget_say_so(caplog: pytest.LogCaptureFixture) -> None:
    """The page's first push holds the connection's one place until its promised
    request is answered, which the client sends only after the page."""
    page(client(caplog), learn_query("css/base.css", "js/app.js"))
    line = one_line(caplog)
    assert f"{CSS_PATH} [registered: {Fate.LINK_HEADER}, {Fate.PUSHED}]" in line
    assert f"{JS_PATH} [registered: {Fate.LINK_HEADER}, {Fate.OVER_BUDGET}]" in line


@override_settings(H2PUSH_PUSH_DIGEST=True)
def test_a_push_the_digest_skips_says_so(caplog: pytest.LogCaptureFixture) -> None:
    first_visit = page(client(caplog), learn_query("css/base.css"))
    cookies = SimpleCookie()
    for value in first_visit.header_values("set-cookie"):
        cookies.load(value)
    cookie = f"{digest.COOKIE_NAME}={cookies[digest.COOKIE_NAME].value}"
    page(client(caplog, headers={"cookie": cookie}), learn_query("css/base.css"))
    pushed, skipped = story_lines(caplog)
    assert f"{CSS_PATH} [registered: {Fate.LINK_HEADER}, {Fate.PUSHED}]" in pushed
    assert f"{CSS_PATH} [registered: {Fate.LINK_HEADER}, {Fate.DIGEST_SKIP}]" in skipped


def test_one_line_per_page_and_none_for_the_pushed_responses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h2 = client(caplog)
    for _ in range(3):
        page(h2, learn_query("css/base.css", "js/app.js"))
    assert len(h2.push_promises) >= 6  # their responses ran through the same stack
    lines = story_lines(caplog)
    assert len(lines) == 3
    assert story_lines(caplog, start="GET /") == lines


@pytest.mark.parametrize(
    ("options", "asset_headers"),
    [
        ({}, {"sec-fetch-mode": "no-cors", "sec-fetch-dest": "style"}),
        ({"extensions": (PUSH_EXTENSION,)}, {}),
    ],
    ids=["browser", "push-only server"],
)
def test_the_assets_of_a_page_are_no_story(
    caplog: pytest.LogCaptureFixture, options: dict[str, Any], asset_headers: dict[str, str]
) -> None:
    h2 = client(caplog, **options)
    page(h2, "/early/declared/")
    for asset in (CSS_PATH, JS_PATH):
        assert h2.get(asset, headers=asset_headers).status == 200
    assert len(story_lines(caplog, start="GET /")) == 1, story_lines(caplog, start="GET /")


# --- one WARNING per cause ------------------------------------------------------------------


@override_settings(H2PUSH_MAX_PRELOADS=1)
def test_the_cap_is_warned_about_once_and_each_drop_is_in_the_line(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caches.forget()  # warned once per process: this test's warning must be the first
    h2 = client(caplog)
    for _ in range(3):
        page(h2, learn_query("css/base.css", "js/app.js", "img/logo.png"))
    lines = story_lines(caplog)
    assert len(lines) == 3
    for line in lines:
        assert f"{JS_PATH} [registered: {Fate.OVER_CAP}]" in line
        assert f"{LOGO_PATH} [registered: {Fate.OVER_CAP}]" in line
    cap_warnings = [w for w in warnings_of(caplog) if "H2PUSH_MAX_PRELOADS" in w]
    assert len(cap_warnings) == 1, cap_warnings


def test_missing_assets_are_each_warned_about_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caches.forget()  # each missing URL is warned about once per process
    names = [f"css/missing-{n}-{uuid.uuid4().hex}.css" for n in range(2)]
    with override_settings(DEBUG=True):
        h2 = client(caplog)
        for _ in range(3):
            page(h2, learn_query(*names))
    warned = warnings_of(caplog)
    assert len(warned) == 2
    assert all(sum(f"/static/{name} " in w for w in warned) == 1 for name in names)


@pytest.fixture
def outage() -> Iterator[None]:
    failing_caches.reset(down=True)
    yield
    failing_caches.reset(down=False)


@pytest.mark.usefixtures("outage")
def test_a_failing_learned_store_is_warned_about_once_and_each_line_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with override_settings(**failing_caches.learned_store("FlakyCache")):
        h2 = client(caplog)
        for path in [learn_query("css/base.css")] * 3 + ["/early/learn/7/"]:
            page(h2, path)
    lines = story_lines(caplog)
    assert len(lines) == 4
    assert all(Reason.STORE_FAILED in line for line in lines)
    store_warnings = [w for w in warnings_of(caplog) if "learned store" in w]
    assert len(store_warnings) == 1, warnings_of(caplog)
