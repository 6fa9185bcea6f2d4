"""h2push.asgi.H2PushMiddleware: preload links become HTTP/2 pushes, and only where safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import path

from h2push.asgi import H2PushMiddleware, get_asgi_application, push_paths
from h2push.django_layer.conf import DEFAULT_COPY_HEADERS
from h2push.testing import H2TestClient
from harness.asgi import (
    PUSH,
    App,
    AsgiCall,
    Message,
    Scope,
    kinds,
    pushed_paths,
    response_start,
)

STATIC_DIR = Path(settings.BASE_DIR) / "testproject" / "static"
BASE_CSS = (STATIC_DIR / "css" / "base.css").read_bytes()
APP_JS = (STATIC_DIR / "js" / "app.js").read_bytes()

FIVE = {"accept", "accept-encoding", "accept-language", "cache-control", "user-agent"}

REQUEST_HEADERS = [
    (b"host", b"testserver"),
    (b"accept", b"text/html,application/xhtml+xml"),
    (b"accept-encoding", b"gzip, br"),
    (b"accept-language", b"fr-CH, fr;q=0.9"),
    (b"cache-control", b"no-cache"),
    (b"user-agent", b"TestAgent/1.0"),
    (b"cookie", b"sessionid=secret"),
    (b"authorization", b"Bearer secret"),
    (b"referer", b"https://testserver/previous"),
    (b"x-forwarded-for", b"10.0.0.1"),
    (b"if-none-match", b'"abc"'),
]
FIVE_COPIED = [(n, v) for n, v in REQUEST_HEADERS if n.decode() in FIVE]


def http_scope(
    method: str = "GET",
    path: str = "/",
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    extensions: dict[str, Any] | None = None,
    scheme: str = "https",
    no_extensions_key: bool = False,
) -> Scope:
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "2",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": list(REQUEST_HEADERS if headers is None else headers),
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 443),
        "extensions": {PUSH: {}} if extensions is None else extensions,
    }
    if no_extensions_key:
        del scope["extensions"]
    return scope


def page_app(
    *,
    status: int = 200,
    links: list[bytes] | None = None,
    body: bytes = b"<html>page</html>",
    link_name: bytes = b"link",
) -> App:
    """An ASGI app answering every request with one response and these Link headers."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        await receive()
        headers = [(b"content-type", b"text/html")]
        headers += [(link_name, value) for value in links or []]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def run(app: App, scope: Scope, body: bytes = b"") -> list[Message]:
    """Run one exchange; every message the app sent, in order."""
    return async_to_sync(AsgiCall(scope, body=body).run)(app)


# --- pushes -----------------------------------------------------------------------------


def test_pushes_each_same_origin_preload_before_the_response_starts() -> None:
    links = [
        b"</static/css/base.css>; rel=preload; as=style, "
        b"</static/js/app.js>; rel=preload; as=script",
        b"</api/menu.json?lang=fr&x=%20>; rel=preload; as=fetch; crossorigin",
    ]
    messages = run(H2PushMiddleware(page_app(links=links)), http_scope())
    assert kinds(messages) == [PUSH, PUSH, PUSH, "http.response.start", "http.response.body"]
    assert pushed_paths(messages) == [
        "/static/css/base.css",
        "/static/js/app.js",
        "/api/menu.json?lang=fr&x=%20",
    ]
    for message in messages[:3]:
        assert set(message) == {"type", "path", "headers"}
        assert message["headers"] == FIVE_COPIED
    # The response itself goes out as the app sent it.
    start = response_start(messages)
    assert start["status"] == 200
    assert [v for n, v in start["headers"] if n == b"link"] == links
    assert messages[-1] == {"type": "http.response.body", "body": b"<html>page</html>"}


def test_pushes_follow_link_order_once_each() -> None:
    links = [
        b"</next/>; rel=next",
        b"</b.js>; rel=preload; as=script",
        b'</a.css>; rel="preload"; as=style; title="x, </c.css>; rel=preload"',
        b"</b.js>; rel=preload; as=script; crossorigin",
        b"</c.png>; REL=PRELOAD; as=image, </a.css>; rel=preload; as=style",
    ]
    messages = run(H2PushMiddleware(page_app(links=links)), http_scope())
    assert pushed_paths(messages) == ["/b.js", "/a.css", "/c.png"]


def test_link_header_name_in_any_case() -> None:
    messages = run(
        H2PushMiddleware(page_app(links=[b"</a.css>; rel=preload"], link_name=b"Link")),
        http_scope(),
    )
    assert pushed_paths(messages) == ["/a.css"]


@pytest.mark.parametrize(
    ("link", "pushed"),
    [
        (b"<https://testserver/static/x.css>; rel=preload; as=style", ["/static/x.css"]),
        (b"<HTTPS://TestServer/static/x.css?v=2>; rel=preload; as=style", ["/static/x.css?v=2"]),
        (b"<//testserver/static/x.css>; rel=preload; as=style", ["/static/x.css"]),
        (b"<https://cdn.example/static/x.css>; rel=preload; as=style", []),
        (b"<//cdn.example/static/x.css>; rel=preload; as=style", []),
        (b"<https://testserver.evil.example/x.css>; rel=preload; as=style", []),
        (b"<https://testserver:8443/x.css>; rel=preload; as=style", []),
        (b"<https://user@testserver/x.css>; rel=preload; as=style", []),
        (b"<http://testserver/static/x.css>; rel=preload; as=style", []),
        (b"<static/x.css>; rel=preload; as=style", []),
        (b"<../x.css>; rel=preload; as=style", []),
        (b"</static/x.css>; rel=preload; as=style; nopush", []),
        (b'</static/x.css>; rel=preload; as=style; nopush=""', []),
        (b"</static/x.css>; rel=prefetch", []),
        (b"</static/x.css>; rel=preconnect", []),
        (b"</static/x.css>", []),
        (b"</static/x.css#frag>; rel=preload", ["/static/x.css"]),
    ],
)
def test_what_is_pushed(link: bytes, pushed: list[str]) -> None:
    messages = run(H2PushMiddleware(page_app(links=[link])), http_scope())
    assert pushed_paths(messages) == pushed
    assert response_start(messages)["status"] == 200


@pytest.mark.parametrize("status", [200, 201, 203, 204, 206, 299])
def test_pushes_for_2xx(status: int) -> None:
    app = page_app(status=status, links=[b"</a.css>; rel=preload"], body=b"")
    assert pushed_paths(run(H2PushMiddleware(app), http_scope())) == ["/a.css"]


@pytest.mark.parametrize(
    "status",
    [100, 199, 300, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 410, 429, 500, 502, 503, 504],
)
def test_nothing_pushed_for_other_statuses(status: int) -> None:
    app = page_app(status=status, links=[b"</a.css>; rel=preload; as=style"])
    messages = run(H2PushMiddleware(app), http_scope())
    assert kinds(messages) == ["http.response.start", "http.response.body"]
    assert response_start(messages)["status"] == status


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_nothing_pushed_for_unsafe_methods(method: str) -> None:
    scope = http_scope(method)
    seen: list[Any] = []
    inner = page_app(links=[b"</a.css>; rel=preload"])

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        seen.append((scope, receive, send))
        await inner(scope, receive, send)

    messages = run(H2PushMiddleware(app), scope, body=b"x=1")
    assert kinds(messages) == ["http.response.start", "http.response.body"]
    # Passed through untouched.
    assert seen[0][0] is scope


def test_head_is_pushed_like_get() -> None:
    messages = run(H2PushMiddleware(page_app(links=[b"</a.css>; rel=preload"])), http_scope("HEAD"))
    assert pushed_paths(messages) == ["/a.css"]


@pytest.mark.parametrize(
    "scope",
    [
        http_scope(extensions={}),
        http_scope(no_extensions_key=True),
        http_scope(extensions={"http.response.trailers": {}}),
        {**http_scope(), "extensions": None},
    ],
    ids=["empty", "missing", "other-extension", "none"],
)
def test_nothing_pushed_without_the_extension(scope: Scope) -> None:
    messages = run(H2PushMiddleware(page_app(links=[b"</a.css>; rel=preload"])), scope)
    assert kinds(messages) == ["http.response.start", "http.response.body"]
    assert [v for n, v in response_start(messages)["headers"] if n == b"link"] == [
        b"</a.css>; rel=preload"
    ]


def test_nothing_pushed_when_disabled() -> None:
    app = page_app(links=[b"</a.css>; rel=preload"])
    with override_settings(H2PUSH_ENABLED=False):
        messages = run(H2PushMiddleware(app), http_scope())
    assert PUSH not in kinds(messages)
    assert response_start(messages)["status"] == 200
    assert PUSH not in kinds(run(H2PushMiddleware(app, push=False), http_scope()))
    # The argument wins over the setting.
    with override_settings(H2PUSH_ENABLED=False):
        assert pushed_paths(run(H2PushMiddleware(app, push=True), http_scope())) == ["/a.css"]
    # The setting is read per request, not when the adapter is built.
    middleware = H2PushMiddleware(app)
    with override_settings(H2PUSH_ENABLED=False):
        assert pushed_paths(run(middleware, http_scope())) == []
    assert pushed_paths(run(middleware, http_scope())) == ["/a.css"]


# --- copied headers ---------------------------------------------------------------------


def test_copy_headers_default_is_the_five() -> None:
    assert set(DEFAULT_COPY_HEADERS) == FIVE
    assert H2PushMiddleware(page_app()).options().copy_headers == {n.encode() for n in FIVE}
    messages = run(H2PushMiddleware(page_app(links=[b"</a.css>; rel=preload"])), http_scope())
    (push,) = [m for m in messages if m["type"] == PUSH]
    assert push["headers"] == FIVE_COPIED
    names = [name for name, _ in push["headers"]]
    assert all(not name.startswith(b":") for name in names)
    assert b"cookie" not in names and b"authorization" not in names and b"host" not in names


def test_copy_headers_only_those_present() -> None:
    headers = [(b"host", b"testserver"), (b"accept", b"*/*"), (b"cookie", b"a=b")]
    scope = http_scope(headers=headers)
    messages = run(H2PushMiddleware(page_app(links=[b"</a.css>; rel=preload"])), scope)
    assert messages[0]["headers"] == [(b"accept", b"*/*")]


def test_copy_headers_repeated_header_copied_in_order() -> None:
    headers = [(b"host", b"testserver"), (b"accept", b"text/html"), (b"accept", b"*/*")]
    messages = run(
        H2PushMiddleware(page_app(links=[b"</a.css>; rel=preload"])), http_scope(headers=headers)
    )
    assert messages[0]["headers"] == [(b"accept", b"text/html"), (b"accept", b"*/*")]


def test_copy_headers_setting() -> None:
    app = page_app(links=[b"</a.css>; rel=preload"])
    middleware = H2PushMiddleware(app)
    with override_settings(H2PUSH_COPY_HEADERS=["accept-language", "Cookie"]):
        messages = run(middleware, http_scope())
    # Credentials are never copied into a promise, whatever the setting says.
    assert messages[0]["headers"] == [(b"accept-language", b"fr-CH, fr;q=0.9")]
    with override_settings(H2PUSH_COPY_HEADERS=[]):
        messages = run(H2PushMiddleware(app), http_scope())
    assert messages[0] == {"type": PUSH, "path": "/a.css", "headers": []}


def test_copy_headers_argument_wins_over_setting() -> None:
    app = page_app(links=[b"</a.css>; rel=preload"])
    middleware = H2PushMiddleware(app, copy_headers=["User-Agent", "x-forwarded-for"])
    with override_settings(H2PUSH_COPY_HEADERS=["accept"]):
        messages = run(middleware, http_scope())
    assert messages[0]["headers"] == [
        (b"user-agent", b"TestAgent/1.0"),
        (b"x-forwarded-for", b"10.0.0.1"),
    ]
    messages = run(H2PushMiddleware(app, copy_headers=()), http_scope())
    assert messages[0]["headers"] == []


# --- other scope types ------------------------------------------------------------------


def test_websocket_passes_through_untouched() -> None:
    calls: list[tuple[Scope, Any, Any]] = []

    async def inner(scope: Scope, receive: Any, send: Any) -> None:
        calls.append((scope, receive, send))
        message = await receive()
        await send({"type": "websocket.accept", "echo": message["type"]})

    scope = {
        "type": "websocket",
        "path": "/ws/echo/",
        "headers": REQUEST_HEADERS,
        "extensions": {PUSH: {}},
    }
    call = AsgiCall(scope, incoming=[{"type": "websocket.connect"}])
    sent = async_to_sync(call.run)(H2PushMiddleware(inner))
    assert len(calls) == 1
    assert calls[0][0] is scope
    assert calls[0][1] is call.receive
    assert calls[0][2] is call.send
    assert sent == [{"type": "websocket.accept", "echo": "websocket.connect"}]


def _lifespan(middleware: H2PushMiddleware) -> list[Message]:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    call = AsgiCall({"type": "lifespan", "asgi": {}}, incoming=incoming)
    return async_to_sync(call.run)(middleware, 5)


def test_lifespan_answered() -> None:
    called: list[Scope] = []

    async def inner(scope: Scope, receive: Any, send: Any) -> None:
        called.append(scope)
        raise ValueError("Django's handler rejects lifespan")

    sent = _lifespan(H2PushMiddleware(inner))
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    assert called == []


def test_lifespan_forwarded_when_not_answered() -> None:
    calls: list[tuple[Scope, Any, Any]] = []

    async def inner(scope: Scope, receive: Any, send: Any) -> None:
        calls.append((scope, receive, send))
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete", "from": "inner"})
            if message["type"] == "lifespan.shutdown":
                return

    sent = _lifespan(H2PushMiddleware(inner, lifespan=False))
    assert sent == [
        {"type": "lifespan.startup.complete", "from": "inner"},
        {"type": "lifespan.shutdown.complete", "from": "inner"},
    ]
    assert len(calls) == 1 and calls[0][0]["type"] == "lifespan"


def test_lifespan_with_the_django_application() -> None:
    sent = _lifespan(get_asgi_application())
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]


# --- streaming --------------------------------------------------------------------------


def test_streaming_passes_through_chunk_by_chunk() -> None:
    call = AsgiCall(http_scope())
    delivered = call.messages
    observed: list[int] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await receive()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"link", b"</a.css>; rel=preload")],
            }
        )
        for number in range(3):
            await send(
                {"type": "http.response.body", "body": b"chunk %d" % number, "more_body": True}
            )
            # Each chunk has reached the server before the app produces the next.
            observed.append(len(delivered))
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async_to_sync(call.run)(H2PushMiddleware(app))
    assert kinds(delivered) == [PUSH, "http.response.start"] + ["http.response.body"] * 4
    assert [m["body"] for m in delivered[2:]] == [b"chunk 0", b"chunk 1", b"chunk 2", b""]
    assert [m["more_body"] for m in delivered[2:]] == [True, True, True, False]
    assert observed == [3, 4, 5]


def test_streaming_django_view_through_the_adapter() -> None:
    client = H2TestClient()
    response = client.get("/streaming/")
    assert response.status == 200
    bodies = [m.get("body", b"") for m in response.messages if m["type"] == "http.response.body"]
    assert [b for b in bodies if b] == [b"chunk 0\n", b"chunk 1\n", b"chunk 2\n"]
    assert [path for path, _ in client.push_promises] == ["/static/css/base.css"]
    kinds_ = kinds(response.messages)
    assert kinds_.index(PUSH) < kinds_.index("http.response.start")


# --- push_paths, the pure function ------------------------------------------------------


def test_push_paths_edge_cases() -> None:
    scope = http_scope()
    assert list(push_paths([], scope)) == []
    assert list(push_paths([b""], scope)) == []
    assert list(push_paths([b"junk", b",,,", b"<", b">"], scope)) == []
    # Non-ASCII bytes: that header is skipped, the others still count.
    assert list(
        push_paths([b"</caf\xc3\xa9.css>; rel=preload", b"</a.css>; rel=preload"], scope)
    ) == ["/a.css"]
    # Paths that could not travel in a promise's :path are not pushed.
    assert list(push_paths([b"</a b.css>; rel=preload"], scope)) == []
    assert list(push_paths([b"</a\tb.css>; rel=preload"], scope)) == []
    assert list(push_paths([b"<>; rel=preload"], scope)) == []
    # Duplicates across headers are pushed once.
    assert list(push_paths([b"</a.css>; rel=preload", b"</a.css>; rel=preload"], scope)) == [
        "/a.css"
    ]
    # A query is kept, a fragment dropped; percent-escapes stay as they are.
    assert list(push_paths([b"</a%20b.css?x=1#f>; rel=preload"], scope)) == ["/a%20b.css?x=1"]
    # Different queries are different resources.
    assert list(push_paths([b"</a.css?v=1>; rel=preload, </a.css?v=2>; rel=preload"], scope)) == [
        "/a.css?v=1",
        "/a.css?v=2",
    ]


def test_push_paths_origin_rules() -> None:
    link = [b"<https://testserver/x.css>; rel=preload, <http://testserver/y.css>; rel=preload"]
    assert list(push_paths(link, http_scope())) == ["/x.css"]
    assert list(push_paths(link, http_scope(scheme="http"))) == ["/y.css"]
    no_host = http_scope(headers=[(b"accept", b"*/*")])
    assert list(push_paths(link, no_host)) == []
    assert list(push_paths([b"</z.css>; rel=preload"], no_host)) == ["/z.css"]
    with_port = http_scope(headers=[(b"host", b"TestServer:8443")])
    assert list(push_paths([b"<https://testserver:8443/p.css>; rel=preload"], with_port)) == [
        "/p.css"
    ]
    assert list(push_paths([b"<https://testserver/p.css>; rel=preload"], with_port)) == []


def test_push_paths_is_lazy_and_reusable() -> None:
    generator = push_paths([b"</a.css>; rel=preload, </b.js>; rel=preload"], http_scope())
    assert next(generator) == "/a.css"
    assert list(generator) == ["/b.js"]


# --- no 500 anywhere --------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        b"</caf\xc3\xa9.css>; rel=preload",
        b"\xff\xfe",
        b"<; rel=preload",
        b'</a.css>; rel="preload',
        b"</a.css>; rel=preload; as=" + b"x" * 10_000,
        b"<" * 5_000,
        b"</\x00.css>; rel=preload",
    ],
)
def test_junk_links_never_fail_the_response(link: bytes) -> None:
    messages = run(H2PushMiddleware(page_app(links=[link])), http_scope())
    assert response_start(messages)["status"] == 200
    assert messages[-1]["body"] == b"<html>page</html>"
    assert all(" " not in path and path.startswith("/") for path in pushed_paths(messages))


@pytest.mark.parametrize(
    "client",
    [["127.0.0.1", 40000], ("127.0.0.1", 40000), None],
    ids=["list-as-daphne-sends", "tuple", "none"],
)
def test_any_spec_valid_client_address(client: Any) -> None:
    """ASGI's ``client`` is any two-item iterable (Daphne sends a list) or None."""
    scope = {**http_scope(), "client": client}
    messages = run(H2PushMiddleware(page_app(links=[b"</a.css>; rel=preload"])), scope)
    assert response_start(messages)["status"] == 200
    assert pushed_paths(messages) == ["/a.css"]


def junk_link_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("<p>junk</p>")
    response.headers["Link"] = (
        '</caf\u00e9.css>; rel=preload, <unterminated; rel=preload, "x, </ok.css>; rel=preload'
    )
    return response


def preload_junk_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("<p>junk</p>")
    response.headers["Link"] = "<>; rel=preload, </a b>; rel=preload, </ok.js>; rel=preload"
    return response


urlpatterns = [path("junk/", junk_link_view), path("preload-junk/", preload_junk_view)]


@pytest.mark.urls(__name__)
def test_django_page_with_a_junk_link_header_is_not_a_500() -> None:
    messages = run(get_asgi_application(), http_scope("GET", "/junk/"))
    assert response_start(messages)["status"] == 200
    assert pushed_paths(messages) == []
    messages = run(get_asgi_application(), http_scope("GET", "/preload-junk/"))
    assert response_start(messages)["status"] == 200
    assert pushed_paths(messages) == ["/ok.js"]


def test_daphne_like_scope_through_the_testproject() -> None:
    """Daphne's scope has no extensions: the page arrives whole, linked, unpushed."""
    from testproject.asgi import application

    client = H2TestClient(application)
    scope = client.scope("GET", "/")
    del scope["extensions"]
    scope["http_version"] = "1.1"
    messages = run(application, scope)
    start = response_start(messages)
    assert start["status"] == 200
    assert pushed_paths(messages) == []
    assert kinds(messages).count("http.response.early_hint") == 0
    links = [v for n, v in start["headers"] if n.lower() == b"link"]
    assert links == [
        b"</static/css/base.css>; rel=preload; as=style, "
        b"</static/js/app.js>; rel=preload; as=script"
    ]
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    assert body.startswith(b"<!doctype html>") and body.rstrip().endswith(b"</html>")


def test_get_asgi_application() -> None:
    application = get_asgi_application()
    assert isinstance(application, H2PushMiddleware)
    assert isinstance(application.app, ASGIHandler)
    assert application.answers_lifespan


# --- through the whole stack with H2TestClient ------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/decorated/", "/decorated-class/", "/function/", "/response-attribute/"]
)
def test_testproject_pages_push_their_assets(url: str) -> None:
    client = H2TestClient(headers={"accept-language": "de", "cookie": "sessionid=x"})
    response = client.get(url)
    assert response.status == 200
    assert sorted(path for path, _ in client.push_promises) == [
        "/static/css/base.css",
        "/static/js/app.js",
    ]
    message_kinds = kinds(response.messages)
    start = message_kinds.index("http.response.start")
    assert all(index < start for index, kind in enumerate(message_kinds) if kind == PUSH)
    for _, headers in client.push_promises:
        assert headers == {
            "accept": "text/html",
            "user-agent": "h2push-testclient",
            "accept-language": "de",
        }
    assert response.pushed["/static/css/base.css"].status == 200
    assert response.pushed["/static/css/base.css"].content == BASE_CSS
    assert response.pushed["/static/js/app.js"].content == APP_JS
    assert response.content.rstrip().endswith(b"</html>")


def test_post_to_a_page_is_not_pushed() -> None:
    client = H2TestClient()
    response = client.post("/api/menu.json")
    assert response.status in (200, 403, 405)
    response = client.post("/function/")
    assert client.push_promises == []
    assert kinds(response.messages).count(PUSH) == 0


def test_404_is_not_pushed() -> None:
    client = H2TestClient()
    response = client.get("/no-such-page/")
    assert response.status == 404
    assert client.push_promises == []


def test_options_are_read_once_and_again_after_a_settings_change() -> None:
    middleware = H2PushMiddleware(page_app())
    first = middleware.options()
    assert middleware.options() is first  # not read again on every request
    with override_settings(H2PUSH_ENABLED=False, H2PUSH_PUSH_BUDGET=4):
        changed = middleware.options()
        assert changed.push is False and changed.push_budget == 4
        assert middleware.budget.limit == 4
    assert middleware.options().push is True and middleware.options().push_budget == 32
