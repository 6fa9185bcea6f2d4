"""h2push.middleware.PreloadMiddleware: the Link header it writes, under WSGI and ASGI."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any
from urllib.parse import urlencode

import pytest
from asgiref.sync import AsyncToSync, SyncToAsync, async_to_sync, iscoroutinefunction
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from h2push import make_push_promise
from h2push.core.linkheader import parse_link, split_links
from h2push.django_layer import registry
from h2push.django_layer.middleware import PreloadMiddleware, merge_preload_links
from h2push.django_layer.preload import Preload
from h2push.testing import H2TestClient
from harness.constants import STATIC_DIR

pytestmark = pytest.mark.urls(__name__)

BASE_CSS = (STATIC_DIR / "css" / "base.css").read_bytes()


# --- views ------------------------------------------------------------------------------


def _register_from_query(request: HttpRequest) -> None:
    for url in request.GET.getlist("u"):
        make_push_promise(url)


def _own_link(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if "link" in request.GET:
        response.headers["Link"] = request.GET["link"]
    return response


def register_view(request: HttpRequest) -> HttpResponse:
    _register_from_query(request)
    return _own_link(request, HttpResponse("page"))  # type: ignore[return-value]


async def async_register_view(request: HttpRequest) -> HttpResponse:
    _register_from_query(request)
    await asyncio.sleep(0)
    return _own_link(request, HttpResponse("async page"))  # type: ignore[return-value]


def tolerant_view(request: HttpRequest) -> HttpResponse:
    """Registers each ``u``, skipping those the package refuses."""
    for url in request.GET.getlist("u"):
        with contextlib.suppress(ValueError):
            make_push_promise(url)
    return _own_link(request, HttpResponse("tolerant"))  # type: ignore[return-value]


def options_view(request: HttpRequest) -> HttpResponse:
    make_push_promise("/static/fonts/a.woff2")
    make_push_promise("/static/css/base.css", as_="style", nopush=True)
    make_push_promise("/api/data", as_="fetch", crossorigin="use-credentials")
    make_push_promise("https://cdn.example/lib.js", crossorigin="anonymous")
    make_push_promise("/static/js/module.js", as_="worker")
    return HttpResponse("options")


def duplicate_view(request: HttpRequest) -> HttpResponse:
    make_push_promise("/static/a.css")
    make_push_promise("/static/b.js")
    make_push_promise("/static/a.css", nopush=True)  # the first registration stays
    response = HttpResponse("dup")
    response.push_promises.add("/static/b.js")  # type: ignore[attr-defined]
    response.push_promises.add("/static/c.png")  # type: ignore[attr-defined]
    return response


def many_view(request: HttpRequest) -> HttpResponse:
    for number in range(40):
        make_push_promise(f"/static/img/{number}.png")
    return _own_link(request, HttpResponse("many"))  # type: ignore[return-value]


def _chunks() -> Any:
    for number in range(3):
        yield f"chunk {number}\n".encode()


def streaming_view(request: HttpRequest) -> StreamingHttpResponse:
    make_push_promise("/static/css/base.css")
    return StreamingHttpResponse(_chunks(), content_type="text/plain")


async def async_streaming_view(request: HttpRequest) -> StreamingHttpResponse:
    make_push_promise("/static/css/base.css")

    async def chunks() -> Any:
        for number in range(3):
            await asyncio.sleep(0)
            yield f"chunk {number}\n".encode()

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def file_view(request: HttpRequest) -> FileResponse:
    make_push_promise("/static/js/app.js")
    return FileResponse(open(STATIC_DIR / "css" / "base.css", "rb"), content_type="text/css")


def plain_view(request: HttpRequest) -> HttpResponse:
    return _own_link(request, HttpResponse("plain"))  # type: ignore[return-value]


def error_view(request: HttpRequest) -> HttpResponse:
    make_push_promise("/static/css/base.css")
    raise RuntimeError("boom")


THREADS: dict[str, int] = {}


async def thread_view(request: HttpRequest) -> HttpResponse:
    THREADS["view"] = threading.get_ident()
    make_push_promise("/static/css/base.css")
    return HttpResponse("thread")


urlpatterns = [
    path("register/", register_view),
    path("async-register/", async_register_view),
    path("tolerant/", tolerant_view),
    path("options/", options_view),
    path("duplicate/", duplicate_view),
    path("many/", many_view),
    path("streaming/", streaming_view),
    path("async-streaming/", async_streaming_view),
    path("file/", file_view),
    path("plain/", plain_view),
    path("h2-register/", register_view),
    path("h2-plain/", plain_view),
    path("error/", error_view),
    path("thread/", thread_view),
]


# --- helpers ----------------------------------------------------------------------------


def wsgi_get(url: str, **query: Any) -> HttpResponseBase:
    return Client().get(url, query)


def asgi_get(url: str, **query: Any) -> HttpResponseBase:
    async def get() -> HttpResponseBase:
        response = await AsyncClient().get(url, query)
        # Read the body inside the event loop, as a server would.
        if response.streaming:
            if response.is_async:
                body = b"".join([chunk async for chunk in response.streaming_content])
            else:
                body = b"".join(response.streaming_content)
            response._h2push_test_body = body  # type: ignore[attr-defined]
        return response

    return async_to_sync(get)()


def body_of(response: HttpResponseBase) -> bytes:
    if hasattr(response, "_h2push_test_body"):
        return response._h2push_test_body  # type: ignore[no-any-return]
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined, no-any-return]


def links(response: HttpResponseBase) -> list[str]:
    header = response.headers.get("Link")
    return list(split_links(header)) if header else []


def preload_urls(response: HttpResponseBase) -> list[str]:
    return [
        link.url
        for link in map(parse_link, links(response))
        if link is not None and link.is_preload
    ]


GETTERS = pytest.mark.parametrize("get", [wsgi_get, asgi_get], ids=["wsgi", "asgi"])
REGISTER_URLS = pytest.mark.parametrize(
    "url", ["/register/", "/async-register/"], ids=["sync-view", "async-view"]
)


# --- the Link header --------------------------------------------------------------------


@GETTERS
@REGISTER_URLS
def test_registrations_become_link_header_in_order(get: Any, url: str) -> None:
    response = get(url, u=["/static/js/app.js", "/static/css/base.css", "/api/menu.json"])
    assert response.status_code == 200
    assert links(response) == [
        "</static/js/app.js>; rel=preload; as=script",
        "</static/css/base.css>; rel=preload; as=style",
        "</api/menu.json>; rel=preload; as=fetch; crossorigin",
    ]
    assert list(response.push_promises) == [
        "/static/js/app.js",
        "/static/css/base.css",
        "/api/menu.json",
    ]


@GETTERS
@REGISTER_URLS
def test_merges_with_the_views_own_link_header(get: Any, url: str) -> None:
    own = '</next/>; rel=next, </static/css/base.css>; rel=preload; as=style; title="a, b"'
    response = get(url, link=own, u=["/static/css/base.css", "/static/js/app.js"])
    assert links(response) == [
        "</next/>; rel=next",
        '</static/css/base.css>; rel=preload; as=style; title="a, b"',
        "</static/js/app.js>; rel=preload; as=script",
    ]
    # Only what the middleware added is reported as its push promises.
    assert list(response.push_promises) == ["/static/js/app.js"]


@GETTERS
def test_view_link_header_untouched_without_registrations(get: Any) -> None:
    own = "</next/>; rel=next"
    response = get("/plain/", link=own)
    assert response.headers["Link"] == own
    assert list(response.push_promises) == []
    assert "Link" not in get("/plain/").headers


@GETTERS
def test_a_non_preload_link_to_the_same_url_still_gets_its_preload(get: Any) -> None:
    response = get("/register/", link="</static/a.css>; rel=prefetch", u=["/static/a.css"])
    assert links(response) == [
        "</static/a.css>; rel=prefetch",
        "</static/a.css>; rel=preload; as=style",
    ]


@GETTERS
def test_duplicates_removed_first_registration_wins(get: Any) -> None:
    response = get("/duplicate/")
    assert links(response) == [
        "</static/a.css>; rel=preload; as=style",
        "</static/b.js>; rel=preload; as=script",
        "</static/c.png>; rel=preload; as=image",
    ]
    assert list(response.push_promises) == ["/static/a.css", "/static/b.js", "/static/c.png"]


@GETTERS
@override_settings(H2PUSH_ASSET_ORIGINS=["https://cdn.example"])
def test_as_crossorigin_and_nopush_written(get: Any) -> None:
    response = get("/options/")
    preloads = [value for value in links(response) if parse_link(value).is_preload]  # type: ignore[union-attr]
    assert preloads == [
        "</static/fonts/a.woff2>; rel=preload; as=font; crossorigin",
        "</static/css/base.css>; rel=preload; as=style; nopush",
        "</api/data>; rel=preload; as=fetch; crossorigin=use-credentials",
        "<https://cdn.example/lib.js>; rel=preload; as=script; crossorigin",
        "</static/js/module.js>; rel=preload; as=worker",
    ]


@GETTERS
def test_a_preload_of_an_origin_the_site_does_not_name_is_left_out(get: Any) -> None:
    response = get("/options/")
    values = links(response)
    assert not any("cdn.example" in value for value in values), values
    assert "/static/lib.js" not in response.push_promises
    assert "https://cdn.example/lib.js" not in response.push_promises


@GETTERS
def test_default_cap_is_16(get: Any) -> None:
    response = get("/many/")
    assert preload_urls(response) == [f"/static/img/{number}.png" for number in range(16)]
    assert len(response.push_promises) == 16


@GETTERS
@pytest.mark.parametrize("cap", [0, 1, 3])
def test_cap_setting(get: Any, cap: int) -> None:
    with override_settings(H2PUSH_MAX_PRELOADS=cap):
        response = get("/many/")
    assert preload_urls(response) == [f"/static/img/{number}.png" for number in range(cap)]
    assert list(response.push_promises) == preload_urls(response)
    if cap == 0:
        assert "Link" not in response.headers


@GETTERS
def test_cap_counts_the_views_own_preloads(get: Any) -> None:
    own = "</own1.css>; rel=preload; as=style, </own2.css>; rel=preload; as=style, </n>; rel=next"
    with override_settings(H2PUSH_MAX_PRELOADS=3):
        response = get("/many/", link=own)
    assert preload_urls(response) == ["/own1.css", "/own2.css", "/static/img/0.png"]
    with override_settings(H2PUSH_MAX_PRELOADS=0):
        response = get("/many/", link=own)
    # A cap of 0 never removes the view's own links.
    assert response.headers["Link"] == own


@GETTERS
def test_an_odd_registration_never_corrupts_the_other_links(get: Any) -> None:
    """A URL the package accepts must not spoil the header for every other link:
    a non-Latin-1 character makes Django MIME-encode the whole ``Link`` value."""
    own = "</next/>; rel=next"
    response = get("/tolerant/", link=own, u=["/static/a.css", "/static/caf\u20ac.css", "/b.js"])
    values = links(response)
    assert values[0] == own
    assert "</static/a.css>; rel=preload; as=style" in values
    assert "</b.js>; rel=preload; as=script" in values


def test_a_quote_in_one_url_never_hides_the_next_push() -> None:
    """``/static/a"b.css`` is either refused or kept to itself: the links after it
    in the same header are still found and pushed."""
    query = urlencode([("u", '/static/a"b.css'), ("u", "/static/c.css")])
    client = H2TestClient()
    response = client.get(f"/tolerant/?{query}")
    assert response.status == 200
    assert "/static/c.css" in [path for path, _ in client.push_promises]
    assert all('"' not in path for path, _ in client.push_promises)


# --- streaming and file responses -------------------------------------------------------


@GETTERS
def test_streaming_response_unchanged_but_linked(get: Any) -> None:
    response = get("/streaming/")
    assert response.streaming
    assert response["Content-Type"] == "text/plain"
    assert preload_urls(response) == ["/static/css/base.css"]
    assert body_of(response) == b"chunk 0\nchunk 1\nchunk 2\n"


def test_async_streaming_response_under_asgi() -> None:
    response = asgi_get("/async-streaming/")
    assert response.streaming
    assert preload_urls(response) == ["/static/css/base.css"]
    assert body_of(response) == b"chunk 0\nchunk 1\nchunk 2\n"


@GETTERS
def test_file_response_unchanged_but_linked(get: Any) -> None:
    response = get("/file/")
    assert isinstance(response, FileResponse)
    assert response.streaming
    assert response["Content-Type"] == "text/css"
    assert response["Content-Length"] == str(len(BASE_CSS))
    assert preload_urls(response) == ["/static/js/app.js"]
    assert body_of(response) == BASE_CSS


def test_streaming_through_the_whole_asgi_stack_chunk_by_chunk() -> None:
    client = H2TestClient()
    response = client.get("/async-streaming/")
    bodies = [m.get("body", b"") for m in response.messages if m["type"] == "http.response.body"]
    assert [b for b in bodies if b] == [b"chunk 0\n", b"chunk 1\n", b"chunk 2\n"]
    assert response.content == b"chunk 0\nchunk 1\nchunk 2\n"
    assert response.header("link") == "</static/css/base.css>; rel=preload; as=style"


@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
def test_file_response_through_the_whole_asgi_stack() -> None:
    response = H2TestClient().get("/file/")
    assert response.status == 200
    assert response.content == BASE_CSS
    assert response.header("content-length") == str(len(BASE_CSS))
    assert response.header("link") == "</static/js/app.js>; rel=preload; as=script"


# --- registry lifetime ------------------------------------------------------------------


@GETTERS
def test_registry_inactive_after_request_and_after_an_exception(get: Any) -> None:
    assert registry.current() is None
    get("/register/", u=["/a.css"])
    assert registry.current() is None
    client = Client(raise_request_exception=False)
    response = client.get("/error/")
    assert response.status_code == 500
    assert registry.current() is None
    response = get("/plain/")
    assert "Link" not in response.headers


def test_h2_testclient_sees_no_registration_of_the_previous_request() -> None:
    # Routes of their own: no other test teaches h2push anything about them.
    client = H2TestClient()
    first = client.get("/h2-register/?u=/static/a.css")
    second = client.get("/h2-plain/")
    assert first.header("link") == "</static/a.css>; rel=preload; as=style"
    assert second.header("link") is None
    assert [path for path, _ in client.push_promises] == ["/static/a.css"]


# --- sync and async modes ---------------------------------------------------------------


def _chain_members(handler: Any) -> list[Any]:
    """The handlers of a loaded middleware chain, outermost first."""
    members = []
    current = handler._middleware_chain
    for _ in range(50):
        members.append(current)
        inner = getattr(current, "__wrapped__", None)
        if inner is not None:
            current = inner
            continue
        if hasattr(current, "get_response"):
            current = current.get_response
            continue
        break
    return members


def test_middleware_is_async_in_the_asgi_handler_chain(caplog: pytest.LogCaptureFixture) -> None:
    with override_settings(DEBUG=True), caplog.at_level(logging.DEBUG, logger="django.request"):
        handler = ASGIHandler()
    members = _chain_members(handler)
    ours = [m for m in members if isinstance(m, PreloadMiddleware)]
    assert len(ours) == 1
    middleware = ours[0]
    assert middleware.is_async
    assert iscoroutinefunction(middleware)
    assert iscoroutinefunction(middleware.get_response)
    # Nothing in the chain was adapted from sync to async or back.
    assert not any(isinstance(m, (SyncToAsync, AsyncToSync)) for m in members)
    # Its process_view (if any) is called without a thread hop too.
    assert not any(isinstance(m, (SyncToAsync, AsyncToSync)) for m in handler._view_middleware)
    assert not [r for r in caplog.records if "PreloadMiddleware" in r.getMessage()]
    assert not [r for r in caplog.records if "adapted" in r.getMessage()]


def test_middleware_is_sync_in_the_wsgi_handler_chain() -> None:
    handler = WSGIHandler()
    members = _chain_members(handler)
    ours = [m for m in members if isinstance(m, PreloadMiddleware)]
    assert len(ours) == 1
    assert not ours[0].is_async
    assert not iscoroutinefunction(ours[0])
    assert not any(isinstance(m, (SyncToAsync, AsyncToSync)) for m in members)


def test_middleware_and_async_view_run_in_the_event_loop_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []
    original = PreloadMiddleware.add_links

    def add_links(self: PreloadMiddleware, *args: Any, **kwargs: Any) -> None:
        seen.append(threading.get_ident())
        original(self, *args, **kwargs)

    monkeypatch.setattr(PreloadMiddleware, "add_links", add_links)

    async def run() -> tuple[int, HttpResponseBase]:
        loop_thread = threading.get_ident()
        response = await AsyncClient().get("/thread/")
        return loop_thread, response

    THREADS.clear()
    loop_thread, response = async_to_sync(run)()
    assert response.headers["Link"] == "</static/css/base.css>; rel=preload; as=style"
    assert THREADS["view"] == loop_thread
    assert seen == [loop_thread]


def test_middleware_instance_modes() -> None:
    def sync_get_response(request: HttpRequest) -> HttpResponse:
        make_push_promise("/static/a.css")
        return HttpResponse()

    async def async_get_response(request: HttpRequest) -> HttpResponse:
        make_push_promise("/static/a.css")
        return HttpResponse()

    sync_middleware = PreloadMiddleware(sync_get_response)
    async_middleware = PreloadMiddleware(async_get_response)
    assert not iscoroutinefunction(sync_middleware)
    assert iscoroutinefunction(async_middleware)
    request = HttpRequest()
    assert sync_middleware(request)["Link"] == "</static/a.css>; rel=preload; as=style"  # type: ignore[index]
    coroutine = async_middleware(request)
    assert asyncio.iscoroutine(coroutine)
    response = asyncio.run(coroutine)  # type: ignore[arg-type]
    assert response["Link"] == "</static/a.css>; rel=preload; as=style"


# --- merge_preload_links, the pure function ---------------------------------------------


def test_merge_preload_links_pure() -> None:
    preloads = [Preload("/a.css"), Preload("/b.js"), Preload("/a.css", nopush=True)]
    header, added = merge_preload_links(None, preloads, 16)
    assert header == "</a.css>; rel=preload; as=style, </b.js>; rel=preload; as=script"
    assert [p.url for p in added] == ["/a.css", "/b.js"]

    header, added = merge_preload_links("</b.js>; rel=preload; as=script", preloads, 16)
    assert header == "</b.js>; rel=preload; as=script, </a.css>; rel=preload; as=style"
    assert [p.url for p in added] == ["/a.css"]

    assert merge_preload_links(None, [], 16) == (None, [])
    assert merge_preload_links("", preloads, 0) == (None, [])
    assert merge_preload_links("</n>; rel=next", preloads, 0) == ("</n>; rel=next", [])
    header, added = merge_preload_links("junk, <x", preloads, 1)
    assert header == "junk, <x, </a.css>; rel=preload; as=style"
    assert [p.url for p in added] == ["/a.css"]
