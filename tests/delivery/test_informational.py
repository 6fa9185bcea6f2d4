"""The opt-in 103 as ``http.response.informational``, for Gunicorn's ASGI worker.

That worker takes a 103 as ``{"type": "http.response.informational", "status": 103,
"headers": [...]}`` before the response starts, but advertises no extension in the
scope. The scopes here advertise none either (``H2TestClient(extensions=())``, an
HTTP/1.1 server); the message must go out only when the site opted in
(``H2PUSH_EARLY_HINTS_AS_INFORMATIONAL``), before the view and the start, once; a
server that refuses it costs the hint, never the page.

The first half serves the Early Hints test views through the whole Django stack; the
second drives :class:`~h2push.delivery.asgi_middleware.DeliveryMiddleware` around a bare app that
calls the early channel itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from django.test import override_settings

from h2push.core import caches
from h2push.core.contract import EARLY_LINKS_SCOPE_KEY, Receive, Scope, Send
from h2push.delivery.asgi_middleware import DeliveryMiddleware
from h2push.testing import H2TestClient
from harness.asgi import HINT, START, AsgiCall, Message, kinds, response_start
from harness.constants import CSS_LINK, EARLY_URLS, JS_LINK
from tests.support.apps.early_urls import GATE
from tests.support.linkfields import links_in

INFORMATIONAL = "http.response.informational"
OPT_IN = override_settings(H2PUSH_EARLY_HINTS_AS_INFORMATIONAL=True)
NAVIGATION = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}
FETCH = {"sec-fetch-mode": "cors", "sec-fetch-dest": "empty"}
# As informational() reads a 103's headers: one link field carrying both links.
HINT_HEADERS = [(b"link", [CSS_LINK, JS_LINK])]
DEADLINE = 10.0


@pytest.fixture(autouse=True)
def warn_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """The refusal is logged once per process: each test starts before that once."""
    caches.forget()


def http1_client() -> H2TestClient:
    """A server like Gunicorn's ASGI worker: HTTP/1.1, no extensions advertised."""
    return H2TestClient(extensions=(), http_version="1.1", scheme="http")


def informational(messages: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The informational messages sent, each header as its name and the links its
    value carries: ``[(b"link", [a, b])]`` is one field holding ``a`` and ``b``."""
    sent = [m for m in messages if m["type"] == INFORMATIONAL]
    for message in sent:
        # ASGI header names and values are bytes.
        assert all(isinstance(part, bytes) for h in message["headers"] for part in h), message
    return [{**m, "headers": [(n, links_in(v)) for n, v in m["headers"]]} for m in sent]


def refuse_informational(message: Message) -> None:
    """A server's send that takes no informational message (Uvicorn, Daphne do so)."""
    if message["type"] == INFORMATIONAL:
        raise RuntimeError(f"Expected ASGI message 'http.response.start', got {INFORMATIONAL!r}")


def serve(
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    refuse: bool = False,
    gated: bool = False,
) -> list[Message]:
    """One request through the Django stack. With ``gated``, the test views wait for
    the 103: the gate opens when the informational message is sent (and not refused)."""
    client = http1_client()
    gate = asyncio.Event()
    scope = client.scope(method, path, headers)
    if gated:
        scope[GATE] = gate

    def on_send(message: Message) -> None:
        if refuse:
            refuse_informational(message)
        if message["type"] == INFORMATIONAL:
            gate.set()

    async def run() -> list[Message]:
        call = AsgiCall(scope, on_send=on_send)
        return await call.run(client.application, DEADLINE)

    return asyncio.run(run())


# ------------------------------------------------------------ through the Django stack


@pytest.mark.urls(EARLY_URLS)
@pytest.mark.usefixtures("fresh_store")
class TestThroughDjango:
    def test_nothing_is_sent_unless_the_site_opted_in(self) -> None:
        messages = serve("/early/declared-sync/")
        assert informational(messages) == []
        assert HINT not in kinds(messages)
        assert response_start(messages)["status"] == 200

    @OPT_IN
    def test_one_103_goes_out_before_the_view_runs(self) -> None:
        # The gated view ends in a 500 unless the 103 was sent before it ran.
        messages = serve("/early/declared/", headers=NAVIGATION, gated=True)
        assert informational(messages) == [
            {"type": INFORMATIONAL, "status": 103, "headers": HINT_HEADERS}
        ]
        assert kinds(messages)[0] == INFORMATIONAL
        assert kinds(messages).count(START) == 1
        assert response_start(messages)["status"] == 200

    @OPT_IN
    def test_a_sync_view_gets_it_too(self) -> None:
        messages = serve("/early/declared-sync/")
        assert kinds(messages)[:2] == [INFORMATIONAL, START]
        assert informational(messages)[0]["headers"] == HINT_HEADERS

    @OPT_IN
    def test_a_learned_route_sends_one_103_once_learned(self) -> None:
        path = "/early/learn/?s=css/base.css&s=js/app.js"
        sent = [informational(serve(path)) for _ in range(3)]
        assert [len(messages) for messages in sent] == [0, 0, 1]
        assert sent[2][0]["headers"] == HINT_HEADERS

    @OPT_IN
    @pytest.mark.parametrize(
        ("method", "headers"), [("HEAD", None), ("POST", None), ("GET", FETCH)]
    )
    def test_no_103_for_what_cannot_use_it(self, method: str, headers: dict[str, str]) -> None:
        messages = serve("/early/declared-sync/", method=method, headers=headers)
        assert informational(messages) == []
        assert response_start(messages)["status"] == 200

    @OPT_IN
    def test_a_server_that_advertises_early_hints_gets_its_own_message(self) -> None:
        client = H2TestClient(extensions=(HINT,))
        response = client.get("/early/declared-sync/")
        assert [m["type"] for m in response.messages][:2] == [HINT, START]
        assert informational(response.messages) == []

    @OPT_IN
    def test_a_refusing_server_costs_the_hint_not_the_page(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="h2push"):
            first = serve("/early/declared-sync/", refuse=True)
            second = serve("/early/declared-sync/", refuse=True)
        for messages in (first, second):
            assert response_start(messages)["status"] == 200
            assert b"<p>page</p>" in b"".join(m.get("body", b"") for m in messages)
        warnings = [r for r in caplog.records if r.name == "h2push"]
        # Once per process: the server would refuse every request's hint the same way.
        assert [r.levelno for r in warnings] == [logging.WARNING]
        assert "H2PUSH_EARLY_HINTS_AS_INFORMATIONAL" in warnings[0].getMessage()


# ------------------------------------------------------------- the middleware alone


class ChannelApp:
    """An ASGI app that calls the early channel with each of ``sends`` in turn (after
    starting its response if ``start_first``), then answers."""

    def __init__(self, sends: Sequence[Sequence[str]], *, start_first: bool = False) -> None:
        self.sends = sends
        self.start_first = start_first
        self.offered = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        channel = scope.get(EARLY_LINKS_SCOPE_KEY)
        self.offered = channel is not None
        start = {"type": START, "status": 200, "headers": [(b"content-type", b"text/html")]}
        if self.start_first:
            await send(start)
        if channel is not None:
            for links in self.sends:
                await channel(links)
        if not self.start_first:
            await send(start)
        await send({"type": "http.response.body", "body": b"page"})


def call(app: ChannelApp, *, informational_hints: bool = True, **scope: Any) -> list[Message]:
    middleware = DeliveryMiddleware(app, informational_hints=informational_hints)
    full_scope = {**http1_client().scope("GET", "/"), **scope}
    return asyncio.run(AsgiCall(full_scope).run(middleware, DEADLINE))


def test_the_channel_sends_one_103_however_often_it_is_called() -> None:
    messages = call(ChannelApp([[CSS_LINK], [CSS_LINK, JS_LINK], [JS_LINK]]))
    assert kinds(messages) == [INFORMATIONAL, START, "http.response.body"]
    assert informational(messages)[0]["headers"] == [(b"link", [CSS_LINK])]


def test_nothing_after_the_response_started() -> None:
    messages = call(ChannelApp([[CSS_LINK]], start_first=True))
    assert informational(messages) == []


def test_off_by_default_the_channel_is_not_even_offered() -> None:
    app = ChannelApp([[CSS_LINK]])
    messages = call(app, informational_hints=False)
    assert not app.offered
    assert informational(messages) == []


def test_cross_origin_preloads_go_as_preconnects_and_unsafe_values_never() -> None:
    links = [
        "<https://cdn.example/site.css>; rel=preload; as=style",
        "</a.css>; rel=preload; as=style\r\nSet-Cookie: stolen=1",
        "</b\x00.css>; rel=preload; as=style",
        CSS_LINK,
    ]
    messages = call(ChannelApp([links]))
    assert informational(messages)[0]["headers"] == [
        (b"link", ["<https://cdn.example>; rel=preconnect", CSS_LINK])
    ]


def test_nothing_fit_for_a_103_sends_none() -> None:
    messages = call(ChannelApp([["</page.css>; rel=stylesheet"]]))
    assert informational(messages) == []
