"""103 Early Hints through the whole ASGI stack: when, what, and in which order.

Order is proved, not timed: a gated view (``tests.support.apps.early_urls``) waits on an event
that this test's own ``send`` sets only once it has seen the
``http.response.early_hint`` message, so the view cannot finish unless the 103 was
sent before it ran.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import override_settings

from h2push.core.linkheader import parse_link, split_links
from h2push.testing import H2TestClient
from harness.asgi import HINT, PUSH, START
from harness.constants import EARLY_URLS
from tests.support.early_harness import Run, request

pytestmark = [pytest.mark.urls(EARLY_URLS), pytest.mark.usefixtures("fresh_store")]

CSS = "</static/css/base.css>; rel=preload; as=style"
JS = "</static/js/app.js>; rel=preload; as=script"
ASSETS = ["/static/css/base.css", "/static/js/app.js"]


def link_values(run: Run) -> list[str]:
    return [value for header in run.header_values("link") for value in split_links(header)]


def preload_urls(values: list[str]) -> list[str]:
    links = [parse_link(value) for value in values]
    return [link.url for link in links if link is not None and link.is_preload]


def assert_pushes_then_hint_then_view(run: Run, pushed: list[str]) -> None:
    """The early pushes, then one 103, then the view, then the response; no push later."""
    assert run.status == 200
    log = run.log
    assert log.count(HINT) == 1
    hint = log.index(HINT)
    assert log.index("view entered") > hint
    assert log.index("view passed the gate") < log.index(START)
    assert log[:hint] == [PUSH] * len(pushed)
    assert PUSH not in log[hint:]
    assert run.pushed == pushed


# --- order: the 103 goes out before the view is called ------------------------------------


def test_the_gate_fails_a_view_that_gets_no_103() -> None:
    """Control: the gate has teeth. Nothing is known of this route yet, so no 103."""
    run = request(H2TestClient(), "/early/learn/?s=css/base.css", gate=True, gate_timeout=0.2)
    assert run.status == 500
    assert HINT not in run.kinds
    assert "view passed the gate" not in run.log


def test_declared_links_are_pushed_and_hinted_before_the_view_on_the_first_request() -> None:
    run = request(H2TestClient(), "/early/declared/", gate=True)
    assert_pushes_then_hint_then_view(run, ASSETS)
    # One 103, one link field: its links comma-joined, in order.
    assert run.hint_fields == [[[CSS, JS]]]
    # The final response still carries its full Link header.
    assert link_values(run) == [CSS, JS]


def test_a_declared_class_based_view_is_hinted_before_it_runs() -> None:
    run = request(H2TestClient(), "/early/declared-class/", gate=True)
    assert_pushes_then_hint_then_view(run, ASSETS)
    assert run.hints == [[CSS, JS]]


def test_a_declared_sync_view_is_hinted_on_the_first_request() -> None:
    client = H2TestClient()
    response = client.get("/early/declared-sync/")
    assert response.status == 200
    assert client.early_hints == [[CSS, JS]]
    kinds = [m["type"] for m in response.messages]
    assert kinds.index(HINT) < kinds.index(START)
    assert kinds[: kinds.index(HINT)] == [PUSH, PUSH]


def test_learned_links_are_hinted_once_two_pages_agreed_not_before() -> None:
    client = H2TestClient()
    first = request(client, "/early/learn/?s=css/base.css&s=js/app.js", gate=True, gate_timeout=0.2)
    # Nothing known yet: no 103, so the gated view gave up.
    assert first.hints == []
    assert first.status == 500

    # One page alone decides nothing for the next visitor; two that agree do.
    for _ in range(2):
        teach = request(client, "/early/learn/?s=css/base.css&s=js/app.js")
        assert teach.status == 200
        assert teach.hints == []
        assert link_values(teach) == [CSS, JS]

    second = request(client, "/early/learn/?s=css/base.css&s=js/app.js", gate=True)
    assert_pushes_then_hint_then_view(second, ASSETS)
    assert second.hint_fields == [[[CSS, JS]]]
    assert link_values(second) == [CSS, JS]


def test_a_learned_route_is_hinted_for_all_its_urls() -> None:
    request(H2TestClient(), "/early/learn/1/?s=css/base.css")
    request(H2TestClient(), "/early/learn/3/?s=css/base.css")
    run = request(H2TestClient(), "/early/learn/2/", gate=True)
    assert_pushes_then_hint_then_view(run, ["/static/css/base.css"])
    assert run.hints == [[CSS]]
    # This page registered nothing itself; its Link header carries what the route's
    # pages agreed on (a CDN that makes 103s from it gets them too).
    assert run.header_values("link") == [CSS]


def test_early_pushes_are_not_repeated_when_the_response_starts() -> None:
    client = H2TestClient()
    request(client, "/early/learn/?s=css/base.css")
    request(client, "/early/learn/?s=css/base.css")
    # The page now registers a second asset as well: only that one is pushed late.
    run = request(client, "/early/learn/?s=css/base.css&s=js/app.js", gate=True)
    hint = run.kinds.index(HINT)
    start = run.kinds.index(START)
    early = [m["path"] for m in run.messages[:hint] if m["type"] == PUSH]
    late = [m["path"] for m in run.messages[hint:start] if m["type"] == PUSH]
    assert early == ["/static/css/base.css"]
    assert late == ["/static/js/app.js"]
    assert not [m for m in run.messages[start:] if m["type"] == PUSH]
    assert link_values(run) == [CSS, JS]


def test_test_client_records_the_103_and_each_push_once() -> None:
    client = H2TestClient()
    response = client.get("/early/declared/")
    assert response.status == 200
    assert client.early_hints == [[CSS, JS]]
    assert [path for path, _ in client.push_promises] == ASSETS
    assert sorted(response.pushed) == sorted(ASSETS)
    assert all(pushed.status == 200 for pushed in response.pushed.values())
    # Each push carries the page request's content-negotiation headers.
    assert client.push_promises[0][1]["accept"] == "text/html"


def test_unknown_route_gets_no_103_and_no_push() -> None:
    client = H2TestClient()
    response = client.get("/early/nowhere/")
    assert response.status == 404
    assert client.early_hints == []
    assert client.push_promises == []


def test_only_a_get_is_hinted() -> None:
    client = H2TestClient()
    client.get("/early/learn/?s=css/base.css")
    client.get("/early/learn/?s=css/base.css")
    head = client.head("/early/learn/?s=css/base.css")
    post = client.post("/early/declared/")
    assert head.status == 200
    assert post.status == 200
    assert client.early_hints == []
    client.get("/early/learn/")
    assert client.early_hints == [[CSS]]


# --- where the server does not offer Early Hints ----------------------------------------


@pytest.mark.parametrize(
    ("extensions", "pushes"),
    [(("http.response.push",), True), ((), False)],
    ids=["push-only", "http1.1"],
)
def test_no_103_without_the_extension(extensions: tuple[str, ...], pushes: bool) -> None:
    client = H2TestClient(extensions=extensions)
    run = request(client, "/early/declared/")
    assert run.status == 200
    assert HINT not in run.kinds
    assert run.pushed == (ASSETS if pushes else [])
    if pushes:
        # Still promised before the response's own HEADERS.
        assert run.kinds.index(START) > max(i for i, k in enumerate(run.kinds) if k == PUSH)
    assert link_values(run) == [CSS, JS]


def test_push_only_server_pushes_learned_links_before_the_view() -> None:
    for _ in range(2):
        request(H2TestClient(), "/early/learn/?s=css/base.css")
    run = request(H2TestClient(extensions=("http.response.push",)), "/early/learn/")
    assert run.hints == []
    assert run.pushed == ["/static/css/base.css"]
    assert run.log.index(PUSH) < run.log.index("view entered")


def test_hint_only_server_gets_the_103_and_no_push() -> None:
    run = request(H2TestClient(extensions=("http.response.early_hint",)), "/early/declared/")
    assert run.hints == [[CSS, JS]]
    assert run.pushed == []
    assert run.log.index(HINT) < run.log.index("view entered")


def test_push_disabled_still_hints() -> None:
    with override_settings(H2PUSH_ENABLED=False):
        run = request(H2TestClient(), "/early/declared/", gate=True)
    assert run.status == 200
    assert run.hints == [[CSS, JS]]
    assert run.pushed == []


def test_setting_early_hints_false_sends_no_103() -> None:
    with override_settings(H2PUSH_EARLY_HINTS=False):
        client = H2TestClient()
        client.get("/early/learn/?s=css/base.css")
        run = request(client, "/early/declared/")
        learned = request(client, "/early/learn/?s=css/base.css")
    assert client.early_hints == []
    assert run.hints == [] and learned.hints == []
    # The response's own pushes still happen, before its HEADERS.
    assert run.pushed == ASSETS
    assert run.log.index("view entered") < run.log.index(PUSH) < run.log.index(START)
    assert link_values(run) == [CSS, JS]


# --- security: what reaches another user's 103 ------------------------------------------


def test_another_users_private_urls_never_reach_a_103() -> None:
    alice = H2TestClient()
    alice.get("/early/private/alice/")
    taught = alice.get("/early/private/alice/")
    assert taught.status == 200
    # Alice's own response links and pushes her URLs...
    alice_links = [v for header in taught.header_values("link") for v in split_links(header)]
    assert "/media/private/alice.jpg" in preload_urls(alice_links)
    assert "/api/user/alice.json" in [path for path, _ in alice.push_promises]

    bob = H2TestClient()
    run = request(bob, "/early/private/bob/", gate=True)
    # ...but Bob's 103 and early pushes carry only the shared static assets.
    hint = run.kinds.index(HINT)
    assert [m["path"] for m in run.messages[:hint] if m["type"] == PUSH] == ASSETS
    assert run.hints == [[CSS, JS]]
    assert run.log.index(HINT) < run.log.index("view entered")
    # His own response then links and pushes his own URLs, and nothing of Alice's.
    assert "/media/private/bob.jpg" in run.pushed
    everything_bob_got = " ".join([*run.hints[0], *run.pushed, *run.header_values("link")])
    assert "alice" not in everything_bob_got


def test_a_non_static_url_registered_by_a_page_is_never_learned() -> None:
    query = urlencode([("u", "/api/user/1.json"), ("s", "css/base.css"), ("u", "/media/1.jpg")])
    request(H2TestClient(), f"/early/learn/?{query}")
    taught = request(H2TestClient(), f"/early/learn/?{query}")
    assert "/api/user/1.json" in taught.pushed
    run = request(H2TestClient(), "/early/learn/", gate=True)
    assert run.status == 200
    assert run.hints == [[CSS]]
    assert run.pushed == ["/static/css/base.css"]


@pytest.mark.parametrize(
    "url",
    [
        "/static/../media/private/alice.jpg",
        "/static/%2e%2e/media/private/alice.jpg",
        "/static/css/%2E%2E/../api/user/1.json",
    ],
    ids=["dot-dot", "encoded-dot-dot", "mixed"],
)
def test_a_url_that_escapes_static_url_with_dot_segments_is_not_learned(url: str) -> None:
    """A browser resolves ``/static/../media/x`` to ``/media/x`` (and ``%2e%2e`` the
    same way, per the URL standard): it is not under ``STATIC_URL``, so it must not
    be learned and must never reach another request's 103 or early pushes."""
    query = urlencode([("s", "css/base.css"), ("u", url)])
    request(H2TestClient(), f"/early/learn/?{query}")
    taught = request(H2TestClient(), f"/early/learn/?{query}")
    assert url in preload_urls(link_values(taught))

    run = request(H2TestClient(), "/early/learn/")
    assert run.hints == [[CSS]]
    assert run.pushed == ["/static/css/base.css"]


# --- assets on another origin -----------------------------------------------------------


@override_settings(STATIC_URL="https://cdn.example/static/")
def test_cdn_static_url_is_hinted_after_a_preconnect_and_never_pushed() -> None:
    """Issue 19: the origin of an absolute STATIC_URL is the site's own for hinting.
    Its preloads go in the 103 after one preconnect to it (before issue 19 the 103
    carried only the preconnect); a server cannot push another origin's resource."""
    preconnect = "<https://cdn.example>; rel=preconnect"
    css = "<https://cdn.example/static/css/base.css>; rel=preload; as=style"
    client = H2TestClient()
    declared = request(client, "/early/declared/", gate=True)
    assert declared.status == 200
    assert declared.hint_fields == [
        [[preconnect, css, "<https://cdn.example/static/js/app.js>; rel=preload; as=script"]]
    ]
    assert declared.pushed == []
    assert link_values(declared) == [
        preconnect,
        css,
        "<https://cdn.example/static/js/app.js>; rel=preload; as=script",
    ]

    for _ in range(2):
        request(client, "/early/learn/?s=css/base.css&s=img/logo.png")
    learned = request(client, "/early/learn/?s=css/base.css&s=img/logo.png", gate=True)
    assert learned.status == 200
    assert learned.hint_fields == [
        [[preconnect, css, "<https://cdn.example/static/img/logo.png>; rel=preload; as=image"]]
    ]
    assert learned.pushed == []
    assert preconnect in link_values(learned)
    assert "https://cdn.example/static/img/logo.png" in preload_urls(link_values(learned))
    assert client.push_promises == []


@override_settings(STATIC_URL="/static/", H2PUSH_ASSET_ORIGINS=[])
def test_a_registered_preload_of_an_unnamed_origin_is_never_hinted() -> None:
    client = H2TestClient()
    hostile = "https://evil.example/static/x.js"
    query = "/early/learn/?" + urlencode({"u": hostile, "s": "css/base.css"})
    for _ in range(2):  # what the route's pages agree on goes out in the next 103
        request(client, query)
    run = request(client, query, gate=True)
    assert run.status == 200
    assert not any("evil.example" in value for value in link_values(run))
    assert run.hints == [[CSS]]  # the route's own stylesheet: the 103 path ran
    assert run.pushed == ["/static/css/base.css"]
    assert not any("evil.example" in link for hint in client.early_hints for link in hint)
    assert not any("evil.example" in promise for promise in client.push_promises)


# --- request input in make_push_promise() -------------------------------------------------


def test_request_input_in_make_push_promise_never_fails_the_page_after_its_103() -> None:
    """The route's learned assets go out in a 103 before the view; the view then
    registers a URL made of request input with ``>`` and CR/LF. It is percent-encoded,
    as ``{% push_static %}`` would, and the page is served (before: a 500 after the 103)."""
    client = H2TestClient()
    for _ in range(2):
        request(client, "/early/learn/?s=css/base.css")
    hostile = "/static/a.css>\r\nX-Injected: 1"
    run = request(client, "/early/learn/?" + urlencode({"u": hostile}), gate=True)
    assert run.status == 200
    assert run.hints and run.log.index(HINT) < run.log.index("view entered")
    values = link_values(run)
    # The odd path has no .css extension left, so it is an as=fetch preload.
    assert "</static/a.css%3E%0D%0AX-Injected:%201>; rel=preload; as=fetch; crossorigin" in values
    for name, value in run.start["headers"]:
        assert b"\r" not in value and b"\n" not in value, name
        assert name.lower() != b"x-injected"
