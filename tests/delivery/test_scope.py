"""What the adapter reads off a request's headers (:mod:`h2push.delivery.scope`)."""

from __future__ import annotations

import pytest

from h2push.delivery.scope import RequestHeaders, request_origin

CHROMIUM_NAVIGATION = [
    (b"host", b"Example.TEST:8443"),
    (b"user-agent", b"Mozilla/5.0 HeadlessChrome/156"),
    (b"sec-fetch-site", b"none"),
    (b"sec-fetch-mode", b"navigate"),
    (b"sec-fetch-user", b"?1"),
    (b"sec-fetch-dest", b"document"),
]


def read(headers: list[tuple[bytes, bytes]]) -> RequestHeaders:
    return RequestHeaders.read({"type": "http", "scheme": "https", "headers": headers})


def test_a_browser_navigation() -> None:
    assert read(CHROMIUM_NAVIGATION) == ("example.test:8443", True, True)


def test_a_tool_is_no_browser_and_gets_hints() -> None:
    assert read([(b"host", b"a.test"), (b"user-agent", b"curl/8")]) == ("a.test", False, True)


@pytest.mark.parametrize(
    "fetch_headers",
    [
        [(b"sec-fetch-site", b"same-origin")],
        [(b"sec-fetch-mode", b"navigate")],
        [(b"sec-fetch-dest", b"document")],
    ],
)
def test_any_of_the_fetch_metadata_a_browser_always_sends_marks_a_browser(
    fetch_headers: list[tuple[bytes, bytes]],
) -> None:
    assert read([(b"host", b"a.test"), *fetch_headers]).from_browser


@pytest.mark.parametrize(
    ("mode", "dest"), [(b"cors", b"empty"), (b"navigate", b"iframe"), (b"no-cors", b"script")]
)
def test_a_browser_request_that_is_no_navigation_gets_no_hint(mode: bytes, dest: bytes) -> None:
    headers = [(b"sec-fetch-site", b"same-origin"), (b"sec-fetch-mode", mode)]
    assert read([*headers, (b"sec-fetch-dest", dest)]).wants_hints is False


def test_no_host_header() -> None:
    assert read([(b"accept", b"*/*")]).host is None
    assert request_origin({"type": "http", "headers": []}) == ("http", None)


def test_request_origin_agrees_with_the_adapter() -> None:
    scope = {"type": "http", "scheme": "https", "headers": CHROMIUM_NAVIGATION}
    assert request_origin(scope) == ("https", RequestHeaders.read(scope).host)
