"""End to end: pushes and 103 Early Hints sent while the view still works.

The test project's ``/slow/`` pages sleep (``?ms=`` long) before they answer, like a
view waiting on its database, and are served by ``manage.py runh2server`` (a real
Hypercorn over TLS) to the h2 probe, which records when each frame arrived.

- ``/slow/`` learns its static assets from its own pages: its first two requests get
  no 103 (a link is learned once two pages agree; the pushes only go out with the
  page's HEADERS); from the third on, the assets are pushed, then hinted in one 103,
  long before the page.
- ``/slow/declared/`` declares its assets with ``@push_static``: pushed and hinted on
  the very first request.
- A client that refuses push (SETTINGS_ENABLE_PUSH=0, as every browser does) still
  gets the 103, and no promise.
- A 404 gets no 103 and no push.

The timing assertions are ordering proofs, not benchmarks: the view sleeps a known
time before the response can start, so a frame that reached the client at least half
that time before the page's HEADERS was, beyond doubt, sent while the view slept.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from h2push.probe import Exchange, H2Connection, TimelineEvent
from harness.certificates import cafile
from harness.constants import STATIC_DIR
from harness.processes import ServerProcess
from harness.servers import H2ServerFactory

pytestmark = pytest.mark.e2e

ASSETS = {
    "/static/css/base.css": (STATIC_DIR / "css" / "base.css").read_bytes(),
    "/static/js/app.js": (STATIC_DIR / "js" / "app.js").read_bytes(),
}
HINT_LINKS = [
    "</static/css/base.css>; rel=preload; as=style",
    "</static/js/app.js>; rel=preload; as=script",
]
# The view's sleep. Long against everything else on the way (TLS on loopback, the
# probe, Django's routing), so the margins below hold on a busy machine too.
VIEW_MS = 1000
# A hint or promise "well before the page": at least half the view's sleep before.
MARGIN_MS = VIEW_MS / 2
TIMEOUT = 15.0


@pytest.fixture(scope="module")
def server(h2server_session_factory: H2ServerFactory) -> ServerProcess:
    """A runh2server of this module's own: no other module's requests on its routes."""
    return h2server_session_factory()


def connect(server: ServerProcess, *, enable_push: bool = True) -> H2Connection:
    return H2Connection(
        server.host, server.port, enable_push=enable_push, cafile=cafile(server), timeout=TIMEOUT
    )


def first(exchange: Exchange, kind: str, detail: str | None = None) -> TimelineEvent:
    """The first timeline event of ``kind`` (and ``detail``); fails if there is none."""
    for event in exchange.events:
        if event.kind == kind and (detail is None or event.detail == detail):
            return event
    raise AssertionError(f"no {kind} {detail or ''} event in {exchange.events}")


def describe(exchange: Exchange) -> str:
    """The timeline in milliseconds since the request, for assertion messages."""
    return "\n".join(
        f"{exchange.ms(event.at):8.1f} ms  {event.kind} {event.detail}" for event in exchange.events
    )


def assert_page(exchange: Exchange) -> None:
    assert exchange.status == 200, exchange
    assert exchange.header("content-type") == "text/html; charset=utf-8"
    assert b"<title>h2push demo</title>" in exchange.body
    # The page itself took at least the view's sleep: the premise of every timing check.
    page_at = first(exchange, "headers", "200").at
    assert exchange.ms(page_at) >= VIEW_MS, describe(exchange)


def assert_pushed_exact_files(exchange: Exchange) -> None:
    assert sorted(exchange.pushed_paths) == sorted(ASSETS), describe(exchange)
    assert len(exchange.pushed_paths) == len(set(exchange.pushed_paths)), describe(exchange)
    for path, content in ASSETS.items():
        promise = exchange.promise_for(path)
        assert promise is not None
        assert promise.reset_code is None, promise
        assert promise.status == 200, promise
        assert promise.body == content, path


def assert_early(exchange: Exchange, *, pushed: bool) -> None:
    """One 103 with the two preloads, (if ``pushed``) after both promises, and all of
    it, pushed bodies included, long before the page's HEADERS."""
    timeline = describe(exchange)
    assert_page(exchange)
    page_at = first(exchange, "headers", "200").at

    assert len(exchange.interim) == 1, timeline
    hint = exchange.early_hints[0]
    assert hint.links == HINT_LINKS, hint.headers
    hint_event = first(exchange, "informational", "103")
    assert hint_event.at == hint.received_at
    assert (page_at - hint.received_at) * 1000 >= MARGIN_MS, timeline

    if not pushed:
        assert exchange.promises == [], timeline
        return
    assert_pushed_exact_files(exchange)
    kinds = [(event.kind, event.detail) for event in exchange.events]
    hint_index = kinds.index(("informational", "103"))
    for path in ASSETS:
        promise = exchange.promise_for(path)
        assert promise is not None
        # Promise first, then hint (a client that follows the 103 would otherwise
        # request the asset itself and get the push as a duplicate).
        assert kinds.index(("push_promise", path)) < hint_index, timeline
        assert promise.received_at <= hint.received_at, timeline
        # The pushed response ended, too, while the view slept.
        assert promise.finished_at is not None
        assert (page_at - promise.finished_at) * 1000 >= MARGIN_MS, timeline
        assert kinds.index(("push_end", path)) < kinds.index(("headers", "200")), timeline
    assert exchange.promised_before_headers


# ------------------------------------------------------------------------- learned


@pytest.fixture
def fresh_server(h2server_factory: H2ServerFactory) -> Iterator[ServerProcess]:
    """A server that has learned nothing yet: its own process, its own memory."""
    server = h2server_factory()
    yield server
    assert server.alive(), server.errors()


def test_learned_route_is_hinted_and_pushed_once_two_pages_agreed(
    fresh_server: ServerProcess,
) -> None:
    path = f"/slow/?ms={VIEW_MS}"
    with connect(fresh_server) as conn:
        learning = conn.request(path)
        agreeing = conn.request(path)
        learned = conn.request(path)
    assert agreeing.interim == [], describe(agreeing)

    # First request: nothing learned, so no 103. Its pushes go out only with the
    # page's response, after the view's whole sleep.
    timeline = describe(learning)
    assert_page(learning)
    assert learning.interim == [], timeline
    assert_pushed_exact_files(learning)
    for promise in learning.promises:
        assert learning.ms(promise.received_at) >= VIEW_MS, timeline
    assert learning.promised_before_headers, timeline

    # Third request: the learned assets are pushed, then hinted, while the view sleeps.
    assert_early(learned, pushed=True)


def test_learned_route_hints_a_client_that_refuses_push(fresh_server: ServerProcess) -> None:
    path = f"/slow/?ms={VIEW_MS}"
    with connect(fresh_server, enable_push=False) as conn:
        learning = conn.request(path)
        conn.request(path)
        learned = conn.request(path)
    assert_page(learning)
    assert learning.interim == [], describe(learning)
    assert learning.promises == [], describe(learning)
    assert_early(learned, pushed=False)


def test_learned_hints_reach_a_new_connection(fresh_server: ServerProcess) -> None:
    """What a route learned belongs to the route, not to the connection that taught it."""
    path = f"/slow/?ms={VIEW_MS}"
    with connect(fresh_server) as conn:
        assert conn.request(path).interim == []
        assert conn.request(path).interim == []
    with connect(fresh_server) as conn:
        assert_early(conn.request(path), pushed=True)


# ------------------------------------------------------------------------ declared


def test_declared_page_is_pushed_and_hinted_on_the_first_request(
    fresh_server: ServerProcess,
) -> None:
    # A fresh server: every route is learned too, so only a first request shows that
    # the declaration alone brings the hint.
    with connect(fresh_server) as conn:
        exchange = conn.request(f"/slow/declared/?ms={VIEW_MS}")
    assert_early(exchange, pushed=True)


def test_declared_page_hints_a_client_that_refuses_push(fresh_server: ServerProcess) -> None:
    with connect(fresh_server, enable_push=False) as conn:
        exchange = conn.request(f"/slow/declared/?ms={VIEW_MS}")
    assert_early(exchange, pushed=False)


def test_declared_page_is_hinted_on_every_request(server: ServerProcess) -> None:
    with connect(server) as conn:
        exchanges = [conn.request(f"/slow/declared/?ms={VIEW_MS}") for _ in range(2)]
    for exchange in exchanges:
        assert_early(exchange, pushed=True)


# ----------------------------------------------------------------------------- 404


def test_not_found_gets_no_hint_and_no_push(server: ServerProcess) -> None:
    with connect(server) as conn:
        # Visit the hinted pages first, so a hint leaking to other paths would show.
        conn.request("/slow/declared/?ms=0")
        conn.request("/slow/?ms=0")
        exchange = conn.request("/slow/no-such-page/?ms=0")
    assert exchange.status == 404, exchange
    assert exchange.interim == [], describe(exchange)
    assert exchange.promises == [], describe(exchange)
    assert [event.kind for event in exchange.events if event.kind != "data"] == [
        "headers",
        "end",
    ], describe(exchange)
