"""End to end: Gunicorn behind Caddy, from the shipped ``deploy/`` files, seen over HTTP/2.

The Deploying page's first two recipes, run as a site would run them
(:mod:`harness.caddy_stack`): Caddy (Debian's 2.6) terminates TLS with a
certificate this session made and proxies over HTTP/1.1 to Gunicorn, which serves
the test project

- under WSGI (``testproject.wsgi``, h2push's :func:`~h2push.wsgi.get_wsgi_application`),
  where h2push sends the 103 through Gunicorn's ``wsgi.early_hints``;
- with Gunicorn's ASGI worker and ``H2PUSH_EARLY_HINTS_AS_INFORMATIONAL = True``,
  where it sends ``http.response.informational``.

Either way Gunicorn writes ``HTTP/1.1 103`` to Caddy before the view runs, and Caddy
forwards it to the h2 probe as an HTTP/2 HEADERS frame. The requests carry what a
browser's navigation carries (``Sec-Fetch-Mode: navigate``, ``Accept-Encoding``), so
a proxy setting that compresses pages, and with it holds the 103 back (Caddy 2.6's
``encode``), fails here.

The timing assertions are ordering proofs: the view sleeps ``VIEW_MS`` before its
response can start, so a 103 that reached the client at least ``MARGIN_MS`` before
the page's HEADERS was sent while the view slept.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from h2push.probe import EventKind, Exchange, H2Connection
from harness.caddy_stack import (
    ASGI_WORKER,
    CADDY,
    CADDYFILE,
    WSGI_WORKER,
    CaddyStack,
    Worker,
    require_caddy,
    start_stack,
)
from harness.certificates import cafile, client_context
from harness.constants import CSS_LINK, CSS_PATH, JS_LINK
from tests.support import http1

pytestmark = pytest.mark.e2e

VIEW_MS = 800
MARGIN_MS = VIEW_MS / 2
TIMEOUT = 15.0
# What a browser's top-level navigation sends that matters here.
NAVIGATION = [
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-dest", "document"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
]
# A fetch() of the same URL: it can do nothing with a 103.
FETCH = [("sec-fetch-mode", "cors"), ("sec-fetch-dest", "empty")]

DECLARED = {"async": "/slow/declared/", "sync": "/caddy/sync/declared/"}
LEARNED = {"async": "/slow/", "sync": "/caddy/sync/learned/"}


@pytest.fixture(
    scope="module", params=[WSGI_WORKER, ASGI_WORKER], ids=["gunicorn-wsgi", "gunicorn-asgi"]
)
def stack(
    request: pytest.FixtureRequest,
    dev_cert_pair: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CaddyStack]:
    worker: Worker = request.param
    certfile, keyfile = dev_cert_pair
    running = start_stack(tmp_path_factory.mktemp("caddy"), certfile, keyfile, worker=worker)
    yield running
    running.stop()


def get(stack: CaddyStack, path: str, headers: list[tuple[str, str]]) -> Exchange:
    with H2Connection(stack.host, stack.port, cafile=cafile(stack), timeout=TIMEOUT) as connection:
        assert connection.alpn_protocol == "h2"
        return connection.request(path, headers=headers)


def hint_lead_ms(exchange: Exchange) -> float:
    """How long before the page's HEADERS its one 103 arrived, in milliseconds."""
    kinds = [event.kind for event in exchange.events]
    assert kinds.count(EventKind.INFORMATIONAL) == 1, describe(exchange)
    hint = exchange.events[kinds.index(EventKind.INFORMATIONAL)]
    headers = exchange.events[kinds.index(EventKind.HEADERS)]
    return (headers.at - hint.at) * 1000


def describe(exchange: Exchange) -> str:
    return "\n".join(
        f"{exchange.ms(event.at):8.1f} ms  {event.kind} {event.detail}" for event in exchange.events
    )


def assert_hinted_long_before_the_page(exchange: Exchange) -> float:
    assert exchange.status == 200, exchange
    assert "Caddy" in exchange.header_values("server"), exchange.headers
    assert len(exchange.early_hints) == 1, describe(exchange)
    assert exchange.early_hints[0].links == [CSS_LINK, JS_LINK]
    lead = hint_lead_ms(exchange)
    assert lead >= MARGIN_MS, describe(exchange)
    # The page says the same in its Link header: the contract for every other hop.
    assert exchange.link_fields == [f"{CSS_LINK}, {JS_LINK}"]
    return lead


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_declared_links_reach_the_client_long_before_the_page(stack: CaddyStack, kind: str) -> None:
    exchange = get(stack, f"{DECLARED[kind]}?ms={VIEW_MS}", NAVIGATION)
    lead = assert_hinted_long_before_the_page(exchange)
    print(f"{kind} declared view behind Caddy: the 103 arrived {lead:.1f} ms before the page")


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_learned_links_are_hinted_once_two_pages_agreed(stack: CaddyStack, kind: str) -> None:
    path = LEARNED[kind]
    for _ in range(2):
        teaching = get(stack, f"{path}?ms=0", NAVIGATION)
        assert teaching.status == 200
        assert teaching.early_hints == [], describe(teaching)
    exchange = get(stack, f"{path}?ms={VIEW_MS}", NAVIGATION)
    lead = assert_hinted_long_before_the_page(exchange)
    print(f"{kind} learned view behind Caddy: the 103 arrived {lead:.1f} ms before the page")


def test_a_fetch_gets_the_link_header_and_no_hint(stack: CaddyStack) -> None:
    exchange = get(stack, f"{DECLARED['sync']}?ms=0", FETCH)
    assert exchange.status == 200
    assert exchange.interim == [], describe(exchange)
    assert exchange.link_fields == [f"{CSS_LINK}, {JS_LINK}"]


def test_static_files_come_from_caddy_cacheable(stack: CaddyStack) -> None:
    exchange = get(stack, CSS_PATH, [])
    assert exchange.status == 200
    # Caddy alone answered: Gunicorn adds its own Server header to what it serves.
    assert exchange.header_values("server") == ["Caddy"], exchange.headers
    assert exchange.header("cache-control") == "public, max-age=3600"
    collected = (stack.static_root / CSS_PATH.removeprefix("/static/")).read_bytes()
    assert exchange.body == collected


def test_an_http1_client_gets_the_hint_too(stack: CaddyStack) -> None:
    """Caddy forwards the 103 over HTTP/1.1 as well (Firefox acts on it there)."""
    seen = http1_status_lines(stack, f"{DECLARED['sync']}?ms={VIEW_MS}")
    statuses = [status for status, _at in seen]
    assert statuses == [103, 200], seen
    lead = (seen[1][1] - seen[0][1]) * 1000
    assert lead >= MARGIN_MS, seen
    print(f"HTTP/1.1 through Caddy: the 103 arrived {lead:.1f} ms before the page")


def http1_status_lines(stack: CaddyStack, path: str) -> list[tuple[int, float]]:
    """``(status, time.monotonic())`` of each response head a navigation over
    HTTP/1.1 received, up to the final one."""
    response = http1.request(
        stack.host,
        stack.port,
        path,
        headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
        tls=client_context(stack),
        timeout=TIMEOUT,
    )
    return [(head.status, head.at) for head in [*response.interim, response.head]]


def test_the_shipped_caddyfile_is_formatted() -> None:
    """``caddy fmt`` leaves it as it is (Caddy warns at every start otherwise)."""
    require_caddy()
    formatted = subprocess.run(
        [CADDY, "fmt", str(CADDYFILE)], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert formatted == CADDYFILE.read_text()
