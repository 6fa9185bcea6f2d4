"""h2push.testing.H2TestClient: what it records and how it acts as a server."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from h2push import push_url
from h2push.testing import H2TestClient, H2TestResponse
from harness.constants import STATIC_DIR

BASE_CSS = (STATIC_DIR / "css" / "base.css").read_bytes()
APP_JS = (STATIC_DIR / "js" / "app.js").read_bytes()

PAGE_HEADERS = {"accept": "text/html", "user-agent": "h2push-testclient"}


def echo_path(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.path, content_type="text/plain; charset=utf-8")


@push_url("/data/caf%C3%A9.json")
def encoded_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>page</p>")


urlpatterns = [
    path("page/", encoded_page),
    path("data/caf\u00e9.json", echo_path),
    path("a b/", echo_path),
]


def test_push_promises_are_path_and_headers_dict_tuples() -> None:
    client = H2TestClient()
    response = client.get("/decorated/")
    assert response.status == 200
    assert isinstance(response, H2TestResponse)
    assert client.push_promises == [
        ("/static/css/base.css", PAGE_HEADERS),
        ("/static/js/app.js", PAGE_HEADERS),
    ]
    for entry in client.push_promises:
        assert isinstance(entry, tuple) and len(entry) == 2
        path, headers = entry
        assert isinstance(path, str)
        assert isinstance(headers, dict)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())


def test_copied_headers_follow_the_request() -> None:
    client = H2TestClient(headers={"accept-encoding": "gzip", "cookie": "a=b"})
    client.get("/function/", headers={"accept-language": "it", "authorization": "x"})
    expected = {**PAGE_HEADERS, "accept-encoding": "gzip", "accept-language": "it"}
    assert client.push_promises == [
        ("/static/css/base.css", expected),
        ("/static/js/app.js", expected),
    ]


def test_push_promises_accumulate_and_clear() -> None:
    client = H2TestClient()
    client.get("/decorated/")
    assert len(client.push_promises) == 2
    client.get("/decorated-async/")
    assert len(client.push_promises) == 4
    assert {path for path, _ in client.push_promises[:2]} == {
        "/static/css/base.css",
        "/static/js/app.js",
    }
    assert {path for path, _ in client.push_promises[2:]} == {
        "/static/css/base.css",
        "/api/menu.json",
    }
    assert client.early_hints  # the decorated views hint before they run
    client.clear()
    assert client.push_promises == []
    assert client.early_hints == []
    client.get("/api/menu.json")
    assert client.push_promises == []
    client.get("/function/")
    assert [path for path, _ in client.push_promises] == [
        "/static/css/base.css",
        "/static/js/app.js",
    ]


def test_each_client_records_only_its_own() -> None:
    first, second = H2TestClient(), H2TestClient()
    first.get("/decorated/")
    assert second.push_promises == []
    assert first.client != second.client


def test_pushed_responses_are_run() -> None:
    response = H2TestClient().get("/")
    assert set(response.pushed) == {"/static/css/base.css", "/static/js/app.js"}
    assert response.pushed["/static/css/base.css"].status == 200
    assert response.pushed["/static/css/base.css"].content == BASE_CSS
    assert response.pushed["/static/js/app.js"].content == APP_JS


def test_no_extensions_acts_like_http_1_1() -> None:
    client = H2TestClient(extensions=())
    response = client.get("/decorated/")
    assert response.status == 200
    assert client.push_promises == []
    assert client.early_hints == []
    assert response.pushed == {}
    assert response.messages[0]["type"] == "http.response.start"
    assert response.header("link") == (
        "</static/css/base.css>; rel=preload; as=style, </static/js/app.js>; rel=preload; as=script"
    )
    assert client.scope("GET", "/")["extensions"] == {}


def test_push_only_extension() -> None:
    client = H2TestClient(extensions=["http.response.push"])
    client.get("/decorated/")
    assert [path for path, _ in client.push_promises] == [
        "/static/css/base.css",
        "/static/js/app.js",
    ]
    assert client.early_hints == []


async def _pushing_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    if scope["path"] == "/":
        await send({"type": "http.response.push", "path": "/x.css", "headers": []})
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _hinting_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.early_hint", "links": [b"</x.css>; rel=preload"]})
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize(
    ("app", "kind"),
    [(_pushing_app, "http.response.push"), (_hinting_app, "http.response.early_hint")],
)
def test_raises_when_the_app_sends_what_the_scope_does_not_advertise(app: Any, kind: str) -> None:
    client = H2TestClient(app, extensions=())
    with pytest.raises(RuntimeError, match=kind):
        client.get("/")
    assert client.push_promises == []
    assert client.early_hints == []


def test_records_what_a_raw_app_pushes() -> None:
    client = H2TestClient(_pushing_app)
    response = client.get("/")
    assert response.content == b"ok"
    assert client.push_promises == [("/x.css", {})]
    assert response.pushed["/x.css"].content == b"ok"
    assert [m["type"] for m in response.messages] == [
        "http.response.push",
        "http.response.start",
        "http.response.body",
    ]
    hinting = H2TestClient(_hinting_app)
    hinting.get("/")
    assert hinting.early_hints == [["</x.css>; rel=preload"]]


def test_scope_shape() -> None:
    client = H2TestClient(host="example.org", scheme="https")
    scope = client.scope("GET", "/a/b?x=1&y=2", {"x-test": "1"})
    assert scope["type"] == "http"
    assert scope["http_version"] == "2"
    assert scope["method"] == "GET"
    assert scope["path"] == "/a/b"
    assert scope["query_string"] == b"x=1&y=2"
    assert scope["scheme"] == "https"
    assert set(scope["extensions"]) == {
        "http.response.push",
        "http.response.early_hint",
        "http.response.trailers",
    }
    headers = dict(scope["headers"])
    assert headers[b"host"] == b"example.org"
    assert headers[b"x-test"] == b"1"
    assert all(name == name.lower() for name, _ in scope["headers"])


def test_request_header_names_are_case_insensitive() -> None:
    """A header given as ``Accept`` replaces the default ``accept``: HTTP header names
    are case-insensitive, and a scope with two accept headers is not what was asked."""
    scope = H2TestClient().scope("GET", "/", {"Accept": "text/css", "User-Agent": "custom"})
    names = [name for name, _ in scope["headers"]]
    assert names.count(b"accept") == 1
    assert names.count(b"user-agent") == 1
    assert (b"accept", b"text/css") in scope["headers"]


def test_response_helpers() -> None:
    response = H2TestClient().get("/decorated/")
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    assert response.header_values("LINK") == [
        "</static/css/base.css>; rel=preload; as=style, </static/js/app.js>; rel=preload; as=script"
    ]
    assert response.header("x-missing") is None
    assert response.header_values("x-missing") == []


def test_head_and_post() -> None:
    client = H2TestClient()
    head = client.head("/decorated/")
    assert head.status == 200
    assert [path for path, _ in client.push_promises] == [
        "/static/css/base.css",
        "/static/js/app.js",
    ]
    client.clear()
    post = client.post("/function/", b"a=1", headers={"content-type": "text/plain"})
    assert post.status in (200, 405)
    assert client.push_promises == []


def test_app_without_a_response_is_an_assertion_error() -> None:
    async def silent(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()

    with pytest.raises(AssertionError):
        H2TestClient(silent).get("/")


def test_scope_path_is_percent_decoded() -> None:
    """ASGI: ``path`` is decoded, ``raw_path`` and ``query_string`` are as sent."""
    scope = H2TestClient().scope("GET", "/static/a%20b.css?x=%20&y=%C3%A9")
    assert scope["path"] == "/static/a b.css"
    assert scope["raw_path"] == b"/static/a%20b.css"
    assert scope["query_string"] == b"x=%20&y=%C3%A9"
    assert H2TestClient().scope("GET", "/caf%C3%A9/")["path"] == "/caf\u00e9/"


@pytest.mark.urls(__name__)
def test_percent_encoded_paths_resolve_as_under_a_real_server() -> None:
    """Hypercorn decodes the path of a request (a promised one too); so must the
    test client, or a pushed ``/data/caf%C3%A9.json`` answers 404 here only."""
    assert Client().get("/data/caf%C3%A9.json").status_code == 200
    client = H2TestClient()
    direct = client.get("/a%20b/")
    assert direct.status == 200
    assert direct.content == b"/a b/"
    response = client.get("/page/")
    assert [p for p, _ in client.push_promises] == ["/data/caf%C3%A9.json"]
    pushed = response.pushed["/data/caf%C3%A9.json"]
    assert pushed.status == 200
    assert pushed.content == "/data/caf\u00e9.json".encode()
