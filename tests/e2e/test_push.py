"""End to end: the testproject served over TLS by real servers, read by real clients.

- Hypercorn (``manage.py runh2server``, the ``h2server`` fixture) with the h2-based
  probe that accepts push: each asset's PUSH_PROMISE arrives before the page's
  HEADERS frame, carries the copied request headers, and its pushed response is the
  file's exact bytes; the page arrives whole.
- The same probe with SETTINGS_ENABLE_PUSH=0: the page, and no push.
- An HTTP/1.1 client (ALPN ``http/1.1``): the page with its Link header.
- Daphne over TLS (the ``daphne_server`` fixture): its scope has no extensions, so
  the page arrives whole, linked, unpushed, and never as a 500.
"""

from __future__ import annotations

import http.client

import pytest
from django.test import Client

from h2push.core.linkheader import parse_link, split_links
from h2push.probe import Exchange, H2Connection
from harness.certificates import cafile, client_context
from harness.constants import STATIC_DIR

pytestmark = pytest.mark.e2e

ASSETS = {
    "/static/css/base.css": (STATIC_DIR / "css" / "base.css").read_bytes(),
    "/static/js/app.js": (STATIC_DIR / "js" / "app.js").read_bytes(),
}
PAGE_LINKS = [
    "</static/css/base.css>; rel=preload; as=style",
    "</static/js/app.js>; rel=preload; as=script",
]
# The request headers each promised request copies from the page's request.
COPIED = {
    "accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "accept-encoding": "identity",
    "accept-language": "fr-CH, fr;q=0.9, en;q=0.5",
    "cache-control": "no-cache",
    "user-agent": "h2push-e2e/1.0",
}
# Request headers that must never travel into a promised request.
PRIVATE = {"cookie": "sessionid=e2e-secret", "authorization": "Bearer e2e-secret"}

PAGES = ["/", "/decorated/", "/decorated-class/", "/function/", "/response-attribute/"]


def expected_page(path: str) -> bytes:
    """The page as Django renders it in this process: the server must send exactly it."""
    response = Client().get(path)
    assert response.status_code == 200
    return response.content


def link_values(headers: list[str]) -> list[str]:
    return [value for header in headers for value in split_links(header)]


def preload_values(headers: list[str]) -> list[str]:
    return [v for v in link_values(headers) if (link := parse_link(v)) and link.is_preload]


def assert_page(exchange: Exchange, path: str) -> None:
    assert exchange.status == 200, exchange
    assert exchange.header("content-type") == "text/html; charset=utf-8"
    assert exchange.body == expected_page(path)
    assert exchange.header("content-length") == str(len(exchange.body))
    assert preload_values(exchange.links) == PAGE_LINKS


@pytest.mark.parametrize("path", PAGES)
def test_hypercorn_pushes_assets_before_the_page(h2server, path: str) -> None:  # type: ignore[no-untyped-def]
    with H2Connection(
        h2server.host, h2server.port, enable_push=True, cafile=cafile(h2server)
    ) as conn:
        assert conn.alpn_protocol == "h2"
        exchange = conn.request(path, headers={**COPIED, **PRIVATE})

    assert_page(exchange, path)
    assert sorted(exchange.pushed_paths) == sorted(ASSETS)
    assert len(exchange.pushed_paths) == len(set(exchange.pushed_paths))

    # Every PUSH_PROMISE arrives before the page's own HEADERS frame.
    timeline = [(event.kind, event.detail) for event in exchange.events]
    headers_at = timeline.index(("headers", "200"))
    for asset in ASSETS:
        assert timeline.index(("push_promise", asset)) < headers_at, timeline
    assert exchange.promised_before_headers

    for asset, content in ASSETS.items():
        promise = exchange.promise_for(asset)
        assert promise is not None
        # The promised request: a GET of the asset on the page's authority ...
        assert promise.header(":method") == "GET"
        assert promise.header(":path") == asset
        assert promise.header(":scheme") == "https"
        assert promise.header(":authority") == f"{h2server.host}:{h2server.port}"
        # ... carrying exactly the copied request headers, and nothing private.
        for name, value in COPIED.items():
            assert promise.header(name) == value, (name, promise.headers)
        for name in PRIVATE:
            assert promise.header(name) is None, (name, promise.headers)
        # The pushed response: 200 with the file's exact bytes.
        assert promise.status == 200, promise
        assert promise.reset_code is None
        assert promise.body == content
        assert promise.response_header("content-length") == str(len(content))


def test_hypercorn_several_pages_on_one_connection(h2server) -> None:  # type: ignore[no-untyped-def]
    with H2Connection(h2server.host, h2server.port, cafile=cafile(h2server)) as conn:
        first = conn.request("/")
        second = conn.request("/decorated/")
        menu = conn.request("/api/menu.json")
    for exchange, path in ((first, "/"), (second, "/decorated/")):
        assert_page(exchange, path)
        assert sorted(exchange.pushed_paths) == sorted(ASSETS)
        assert all(exchange.promise_for(a).body == c for a, c in ASSETS.items())  # type: ignore[union-attr]
    assert menu.status == 200
    assert menu.promises == []
    assert menu.body == expected_page("/api/menu.json")


def test_hypercorn_no_push_when_the_client_refuses_it(h2server) -> None:  # type: ignore[no-untyped-def]
    with H2Connection(
        h2server.host, h2server.port, enable_push=False, cafile=cafile(h2server)
    ) as conn:
        assert conn.alpn_protocol == "h2"
        exchange = conn.request("/", headers=COPIED)
        again = conn.request("/decorated/", headers=COPIED)
    for result, path in ((exchange, "/"), (again, "/decorated/")):
        assert_page(result, path)
        assert result.promises == []
        assert [event for event in result.events if event.kind == "push_promise"] == []


def test_hypercorn_http11_client_gets_the_page_with_its_link_header(h2server) -> None:  # type: ignore[no-untyped-def]
    connection = http.client.HTTPSConnection(
        h2server.host, h2server.port, context=client_context(h2server), timeout=10
    )
    try:
        connection.request("GET", "/", headers={"Accept": "text/html"})
        assert connection.sock.selected_alpn_protocol() == "http/1.1"  # type: ignore[union-attr]
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200
        assert response.version == 11
        assert response.getheader("Content-Type") == "text/html; charset=utf-8"
        assert preload_values(response.headers.get_all("Link") or []) == PAGE_LINKS
        assert body == expected_page("/")

        # A pushed asset is an ordinary GET for an HTTP/1.1 client.
        connection.request("GET", "/static/css/base.css")
        asset = connection.getresponse()
        assert asset.status == 200
        assert asset.read() == ASSETS["/static/css/base.css"]
    finally:
        connection.close()


def test_daphne_serves_the_page_unpushed(daphne_server) -> None:  # type: ignore[no-untyped-def]
    with H2Connection(daphne_server.host, daphne_server.port, cafile=cafile(daphne_server)) as conn:
        assert conn.alpn_protocol == "h2"
        exchange = conn.request("/", headers=COPIED)
        decorated = conn.request("/decorated/", headers=COPIED)
    for result, path in ((exchange, "/"), (decorated, "/decorated/")):
        assert result.status == 200, result
        assert result.body == expected_page(path)
        assert preload_values(result.links) == PAGE_LINKS
        assert result.promises == []
        assert result.early_hints == []
    assert "Cannot handle message type" not in daphne_server.errors()
    assert "Traceback" not in daphne_server.errors()


def test_daphne_http11_client(daphne_server) -> None:  # type: ignore[no-untyped-def]
    connection = http.client.HTTPSConnection(
        daphne_server.host, daphne_server.port, context=client_context(daphne_server), timeout=10
    )
    try:
        connection.request("GET", "/decorated/")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 200
    assert preload_values(response.headers.get_all("Link") or []) == PAGE_LINKS
    assert body == expected_page("/decorated/")
