"""Which requests a 103 can serve (:func:`h2push.delivery.navigation.wants_hints`).

Browsers act on a 103 only for a top-level navigation; a client that sends no
``Sec-Fetch-*`` headers at all (curl, an HTTP/2 library) gets one too. Everything
else a browser sends (a ``fetch()``, an iframe, a worker, an image) would waste it.
"""

from __future__ import annotations

import pytest

from h2push.delivery.navigation import wants_hints


def headers(**fields: str) -> list[tuple[bytes, bytes]]:
    """Lower-case ASGI-style headers from ``sec_fetch_mode="navigate"``-style names."""
    return [(name.replace("_", "-").encode(), value.encode()) for name, value in fields.items()]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # A top-level navigation, as every current browser sends it.
        ({"sec_fetch_mode": "navigate", "sec_fetch_dest": "document"}, True),
        # Only one of the two, from a client that sends only that one.
        ({"sec_fetch_mode": "navigate"}, True),
        ({"sec_fetch_dest": "document"}, True),
        # fetch() and XHR.
        ({"sec_fetch_mode": "cors", "sec_fetch_dest": "empty"}, False),
        ({"sec_fetch_mode": "same-origin", "sec_fetch_dest": "empty"}, False),
        ({"sec_fetch_mode": "cors"}, False),
        ({"sec_fetch_dest": "empty"}, False),
        # A navigation that fills an iframe: the browser ignores a 103 there.
        ({"sec_fetch_mode": "navigate", "sec_fetch_dest": "iframe"}, False),
        ({"sec_fetch_mode": "navigate", "sec_fetch_dest": "frame"}, False),
        # Subresources.
        ({"sec_fetch_mode": "no-cors", "sec_fetch_dest": "image"}, False),
        ({"sec_fetch_mode": "no-cors", "sec_fetch_dest": "script"}, False),
        ({"sec_fetch_mode": "same-origin", "sec_fetch_dest": "worker"}, False),
        # No Sec-Fetch-* at all: a tool or another HTTP/2 client.
        ({}, True),
        # Sec-Fetch-Site and Sec-Fetch-User say nothing about what the response is for.
        ({"sec_fetch_site": "same-origin"}, True),
        ({"sec_fetch_site": "cross-site", "sec_fetch_user": "?1"}, True),
        ({"sec_fetch_site": "same-origin", "sec_fetch_mode": "cors"}, False),
    ],
)
def test_wants_hints(fields: dict[str, str], expected: bool) -> None:
    assert wants_hints(headers(**fields)) is expected


def test_other_headers_do_not_count() -> None:
    assert wants_hints([(b"accept", b"text/html"), (b"user-agent", b"curl/8")]) is True
    assert wants_hints([(b"x-sec-fetch-mode", b"cors")]) is True


def test_header_values_are_compared_exactly() -> None:
    """Browsers send the tokens in lower case; anything else is not a navigation."""
    assert wants_hints(headers(sec_fetch_mode="Navigate")) is False
    assert wants_hints(headers(sec_fetch_dest="document ")) is False


def test_any_iterable_of_pairs() -> None:
    pairs = iter(headers(sec_fetch_mode="navigate", sec_fetch_dest="document"))
    assert wants_hints(pairs) is True
    assert wants_hints(()) is True
