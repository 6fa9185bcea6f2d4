"""The WSGI delivery path: one 103 through the server's ``wsgi.early_hints``.

:class:`ServerHints` stands in for Gunicorn's callable and records each call. The
first half drives :class:`~h2push.delivery.wsgi_middleware.EarlyHintsMiddleware` around a bare
WSGI app that calls the early channel itself; the second half serves the test pages
of :mod:`tests.support.apps.servers_urls` through Django's WSGI handler and the real
``PreloadMiddleware`` (``h2push.wsgi.get_wsgi_application``), as Gunicorn would.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from h2push.core.contract import EARLY_LINKS_SCOPE_KEY
from h2push.delivery.wsgi_middleware import EarlyHintsMiddleware
from h2push.wsgi import H2PushWSGIMiddleware, get_wsgi_application
from harness.constants import CSS_LINK, JS_LINK
from tests.support.apps import servers_settings
from tests.support.linkfields import links_in

Environ = dict[str, Any]
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
# The 103's headers as ServerHints records them: one Link field carrying both links.
GUNICORN_LINKS = [("Link", [CSS_LINK, JS_LINK])]


class ServerHints:
    """A server's ``wsgi.early_hints``: records each call, each header as its name and
    the links its value carries (``[("Link", [a, b])]`` is one field holding ``a`` and
    ``b``); raises ``error`` if given. Like Gunicorn it takes text only, and records
    nothing else."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[list[tuple[str, list[str]]]] = []
        self.error = error

    def __call__(self, headers: Iterable[tuple[str, str]]) -> None:
        headers = list(headers)
        if not all(isinstance(n, str) and isinstance(v, str) for n, v in headers):
            raise TypeError(f"header names and values must be str: {headers!r}")
        self.calls.append([(name, links_in(value)) for name, value in headers])
        if self.error is not None:
            raise self.error


def environ_for(
    method: str = "GET",
    path: str = "/",
    *,
    headers: dict[str, str] | None = None,
    server_hints: object = None,
    host: str = "testserver",
) -> Environ:
    """A WSGI environ as a server builds it, with ``server_hints`` as its callable."""
    request = RequestFactory().generic(method, path, headers={"host": host, **(headers or {})})
    environ: Environ = request.environ
    if server_hints is not None:
        environ["wsgi.early_hints"] = server_hints
    return environ


@dataclass
class InnerApp:
    """A WSGI app that calls the early channel (if offered) with ``sends``, in turn."""

    sends: Sequence[Sequence[str]] = ()
    seen: list[Environ] = field(default_factory=list)
    body: list[bytes] = field(default_factory=lambda: [b"page"])

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        self.seen.append(environ)
        channel = environ.get(EARLY_LINKS_SCOPE_KEY)
        if channel is not None:
            for links in self.sends:
                channel(links)
        start_response("200 OK", [("Content-Type", "text/html")])
        return self.body


def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
    pass


def run(inner: InnerApp, environ: Environ, **options: bool) -> None:
    EarlyHintsMiddleware(inner, **options)(environ, start_response)


# ------------------------------------------------------------- the middleware alone


def test_a_get_navigation_gets_one_103_with_its_links() -> None:
    hints = ServerHints()
    run(InnerApp([[CSS_LINK, JS_LINK]]), environ_for(headers=NAVIGATION, server_hints=hints))
    assert hints.calls == [GUNICORN_LINKS]


def test_a_client_without_sec_fetch_headers_gets_one_too() -> None:
    hints = ServerHints()
    run(InnerApp([[CSS_LINK]]), environ_for(server_hints=hints))
    assert hints.calls == [[("Link", [CSS_LINK])]]


def test_the_server_is_called_once_however_often_the_channel_is() -> None:
    hints = ServerHints()
    run(InnerApp([[CSS_LINK], [JS_LINK], [CSS_LINK, JS_LINK]]), environ_for(server_hints=hints))
    assert hints.calls == [[("Link", [CSS_LINK])]]


@pytest.mark.parametrize("method", ["POST", "HEAD", "PUT", "DELETE", "OPTIONS"])
def test_only_a_get_is_offered_the_channel(method: str) -> None:
    hints = ServerHints()
    inner = InnerApp([[CSS_LINK]])
    run(inner, environ_for(method, server_hints=hints))
    assert EARLY_LINKS_SCOPE_KEY not in inner.seen[0]
    assert hints.calls == []


@pytest.mark.parametrize(
    "headers",
    [
        FETCH,
        {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"},
        {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},
    ],
)
def test_requests_a_103_cannot_serve_are_not_offered_the_channel(headers: dict[str, str]) -> None:
    hints = ServerHints()
    inner = InnerApp([[CSS_LINK]])
    run(inner, environ_for(headers=headers, server_hints=hints))
    assert EARLY_LINKS_SCOPE_KEY not in inner.seen[0]
    assert hints.calls == []


def test_another_origins_preload_goes_as_a_preconnect() -> None:
    hints = ServerHints()
    links = [
        "<https://cdn.example/site.css>; rel=preload; as=style",
        "<https://fonts.example/a.woff2>; rel=preload; as=font; crossorigin",
        CSS_LINK,
    ]
    run(InnerApp([links]), environ_for(server_hints=hints))
    preconnects = [
        "<https://cdn.example>; rel=preconnect",
        "<https://fonts.example>; rel=preconnect; crossorigin",
    ]
    assert hints.calls == [[("Link", [*preconnects, CSS_LINK])]]


def test_values_with_control_characters_never_reach_the_server() -> None:
    hints = ServerHints()
    links = [
        "</a.css>; rel=preload; as=style\r\nSet-Cookie: stolen=1",
        "</b.css>\n; rel=preload; as=style",
        "</c\x00.css>; rel=preload; as=style",
        "</d\t.css>; rel=preload; as=style",
        "</e\x7f.css>; rel=preload; as=style",
        CSS_LINK,
    ]
    run(InnerApp([links]), environ_for(server_hints=hints))
    assert hints.calls == [[("Link", [CSS_LINK])]]


def test_nothing_fit_for_a_103_sends_none() -> None:
    hints = ServerHints()
    links = ["</c\r.css>; rel=preload; as=style", "</page.css>; rel=stylesheet"]
    run(InnerApp([links]), environ_for(server_hints=hints))
    assert hints.calls == []


def test_an_overlong_host_sends_none() -> None:
    hints = ServerHints()
    run(InnerApp([[CSS_LINK]]), environ_for(server_hints=hints, host="a" * 300))
    assert hints.calls == []


@pytest.mark.parametrize("value", [None, "not callable", 103])
def test_without_a_server_callable_the_app_is_called_as_it_is(value: object) -> None:
    environ = environ_for()
    if value is not None:
        environ["wsgi.early_hints"] = value
    before = dict(environ)
    calls: list[tuple[Environ, Callable[..., Any]]] = []
    body = [b"page"]

    def app(environ: Environ, start: Callable[..., Any]) -> list[bytes]:
        calls.append((environ, start))
        return body

    result = EarlyHintsMiddleware(app)(environ, start_response)
    # Nothing added, nothing wrapped, nothing copied: the very same objects pass.
    assert calls == [(environ, start_response)]
    assert calls[0][0] is environ and calls[0][1] is start_response
    assert result is body
    assert environ == before


def test_early_hints_off_offers_no_channel() -> None:
    hints = ServerHints()
    inner = InnerApp([[CSS_LINK]])
    run(inner, environ_for(server_hints=hints), early_hints=False)
    assert EARLY_LINKS_SCOPE_KEY not in inner.seen[0]
    assert hints.calls == []


def test_a_server_that_raises_costs_the_hint_only(caplog: pytest.LogCaptureFixture) -> None:
    hints = ServerHints(ValueError("Invalid response header"))
    inner = InnerApp([[CSS_LINK], [JS_LINK]])
    with caplog.at_level(logging.WARNING, logger="h2push"):
        EarlyHintsMiddleware(inner)(environ_for(server_hints=hints), start_response)
    assert len(hints.calls) == 1
    warnings = [r for r in caplog.records if r.name == "h2push"]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert "ValueError" in warnings[0].getMessage()


# -------------------------------------------------- through Django's WSGI handler


@pytest.fixture
def servers_pages(settings: Settings, fresh_store: None) -> None:
    """The pages of :mod:`tests.support.apps.servers_urls`, nothing learned yet."""
    settings.ROOT_URLCONF = servers_settings.ROOT_URLCONF
    settings.TEMPLATES = servers_settings.TEMPLATES


@dataclass
class Served:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def serve(app: Callable[..., Iterable[bytes]], environ: Environ) -> Served:
    """Call ``app`` as a WSGI server does: start_response, the body, then close()."""
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        started.append((status, headers))

    result = app(environ, start)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return Served(started[0][0], started[0][1], body)


@pytest.mark.usefixtures("servers_pages")
def test_a_declared_sync_view_is_hinted_before_it_runs() -> None:
    """The witness view reads the recorder's calls while it runs: one already."""
    hints = ServerHints()
    served = serve(
        get_wsgi_application(), environ_for(path="/servers/witness/", server_hints=hints)
    )
    assert served.status == "200 OK"
    assert served.header("x-hints-seen") == "1"
    assert hints.calls == [GUNICORN_LINKS]
    assert served.header("Link") == f"{CSS_LINK}, {JS_LINK}"


@pytest.mark.usefixtures("servers_pages")
@pytest.mark.parametrize("view", ["sync", "async"])
def test_declared_views_get_one_103(view: str) -> None:
    hints = ServerHints()
    environ = environ_for(path=f"/servers/{view}/", headers=NAVIGATION, server_hints=hints)
    served = serve(get_wsgi_application(), environ)
    assert served.status == "200 OK"
    assert hints.calls == [GUNICORN_LINKS]


@pytest.mark.usefixtures("servers_pages")
def test_a_learned_page_is_hinted_once_two_pages_agreed() -> None:
    app = get_wsgi_application()
    recorders = [ServerHints() for _ in range(3)]
    for hints in recorders:
        served = serve(app, environ_for(path="/servers/learned/", server_hints=hints))
        assert served.status == "200 OK"
    assert [hints.calls for hints in recorders] == [[], [], [GUNICORN_LINKS]]


@pytest.mark.usefixtures("servers_pages")
def test_declared_and_learned_links_go_in_one_103() -> None:
    app = get_wsgi_application()
    recorders = [ServerHints() for _ in range(3)]
    for hints in recorders:
        serve(app, environ_for(path="/servers/both/", server_hints=hints))
    logo = "</static/img/logo.png>; rel=preload; as=image"
    assert [hints.calls for hints in recorders] == [
        [GUNICORN_LINKS],
        [GUNICORN_LINKS],
        [[("Link", [CSS_LINK, JS_LINK, logo])]],
    ]


@pytest.mark.usefixtures("servers_pages")
def test_a_fetch_and_a_post_get_none_but_keep_their_link_header() -> None:
    app = get_wsgi_application()
    hints = ServerHints()
    fetched = serve(app, environ_for(path="/servers/sync/", headers=FETCH, server_hints=hints))
    posted = serve(app, environ_for("POST", "/servers/witness/", server_hints=hints))
    assert hints.calls == []
    assert fetched.header("Link") == posted.header("Link") == f"{CSS_LINK}, {JS_LINK}"


@pytest.mark.usefixtures("servers_pages")
def test_without_the_callable_the_page_is_as_before() -> None:
    environ = environ_for(path="/servers/witness/")
    served = serve(get_wsgi_application(), environ)
    assert served.status == "200 OK"
    assert served.header("x-hints-seen") == "-"
    assert served.header("Link") == f"{CSS_LINK}, {JS_LINK}"
    assert EARLY_LINKS_SCOPE_KEY not in environ


@pytest.mark.usefixtures("servers_pages")
def test_a_refusing_server_still_serves_the_page(caplog: pytest.LogCaptureFixture) -> None:
    hints = ServerHints(ValueError("Invalid response header value"))
    environ = environ_for(path="/servers/sync/", server_hints=hints)
    with caplog.at_level(logging.WARNING, logger="h2push"):
        served = serve(get_wsgi_application(), environ)
    assert served.status == "200 OK"
    assert b"A sync page" in served.body
    assert served.header("Link") == f"{CSS_LINK}, {JS_LINK}"
    assert len(hints.calls) == 1
    assert [r.levelno for r in caplog.records if r.name == "h2push"] == [logging.WARNING]


@pytest.mark.usefixtures("servers_pages")
def test_the_setting_turns_the_channel_off(settings: Settings) -> None:
    settings.H2PUSH_EARLY_HINTS = False
    hints = ServerHints()
    served = serve(
        get_wsgi_application(), environ_for(path="/servers/witness/", server_hints=hints)
    )
    assert served.header("x-hints-seen") == "0"
    assert hints.calls == []


def test_an_explicit_option_wins_over_the_setting(settings: Settings) -> None:
    settings.H2PUSH_EARLY_HINTS = False
    hints = ServerHints()
    inner = InnerApp([[CSS_LINK]])
    H2PushWSGIMiddleware(inner, early_hints=True)(environ_for(server_hints=hints), start_response)
    assert hints.calls == [[("Link", [CSS_LINK])]]
