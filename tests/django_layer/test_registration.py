"""Every way of registering a preload, seen through Django's ordinary test clients.

The testproject's pages show each form; the views below add the variations the
project does not (class decorators via method_decorator and as_view(), async
class-based views, concurrency, the staticfiles manifest).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template import Context, Template, engines
from django.templatetags.static import static
from django.test import AsyncClient, Client, override_settings
from django.urls import path
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import TemplateView

from h2push import make_push_promise, push_static, push_url
from h2push.core.linkheader import parse_link, split_links
from h2push.django_layer import registry
from h2push.django_layer.decorators import declared_preloads
from h2push.django_layer.preload import Preload
from h2push.django_layer.registry import PushPromises
from harness.constants import CSS_LINK as BASE_CSS_LINK
from harness.constants import JS_LINK as APP_JS_LINK
from harness.constants import STATIC_DIR
from tests.support.staticfiles import collected_manifest

MENU_LINK = "</api/menu.json>; rel=preload; as=fetch; crossorigin"


# --- test-only views --------------------------------------------------------------------


class PlainView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("plain class")


@method_decorator(push_static("css/base.css", "js/app.js"), name="dispatch")
class MethodDecoratedView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("method_decorator")


class MethodDecoratedGetView(View):
    @method_decorator(push_url("/api/menu.json"))
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("method_decorator on get")


@push_static("js/app.js")
class AsyncClassView(View):
    async def get(self, request: HttpRequest) -> HttpResponse:
        await asyncio.sleep(0)
        return HttpResponse("async class")


class AsyncPlainView(View):
    async def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("async plain class")


@push_static("css/base.css")
class DecoratedTemplateView(TemplateView):
    template_name = "home.html"  # also registers with {% push_static %}


@push_static("css/base.css")
class ParentView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("parent")


@push_static("js/app.js")
class ChildView(ParentView):
    pass


as_view_decorated = push_static("css/base.css", "js/app.js")(PlainView.as_view())
as_view_async_decorated = push_url("/api/menu.json")(AsyncPlainView.as_view())


def tag_view(request: HttpRequest) -> HttpResponse:
    source = request.GET["t"]
    template = engines["django"].from_string("{% load static h2push %}" + source)
    return HttpResponse(template.render({"var": request.GET.get("var", "")}, request))


async def make_push_promise_async_view(request: HttpRequest) -> HttpResponse:
    make_push_promise(static("css/base.css"))
    await asyncio.sleep(0)
    make_push_promise("/api/menu.json", as_="fetch")
    return HttpResponse("async make_push_promise")


def response_attribute_set_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("assigned")
    response.push_promises = ["/static/js/app.js", "/static/css/base.css"]  # type: ignore[attr-defined]
    return response


async def async_response_attribute_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("async attribute")
    response.push_promises.add("/static/css/base.css", nopush=True)  # type: ignore[attr-defined]
    return response


def register_view(request: HttpRequest) -> HttpResponse:
    for url in request.GET.getlist("u"):
        make_push_promise(url)
    return HttpResponse("registered")


def nothing_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("nothing")


# Concurrency: each view registers, waits until every other request has registered
# too, then registers again; a shared registry would mix their URLs.
RENDEZVOUS: dict[str, Any] = {}


async def async_concurrent_view(request: HttpRequest, name: str) -> HttpResponse:
    make_push_promise(f"/static/{name}/first.css")
    await RENDEZVOUS["async"].wait()
    make_push_promise(f"/static/{name}/second.js")
    return HttpResponse(name)


def sync_concurrent_view(request: HttpRequest, name: str) -> HttpResponse:
    make_push_promise(f"/static/{name}/first.css")
    RENDEZVOUS["sync"].wait(timeout=10)
    make_push_promise(f"/static/{name}/second.js")
    return HttpResponse(name)


urlpatterns = [
    path("method-decorated/", MethodDecoratedView.as_view()),
    path("method-decorated-get/", MethodDecoratedGetView.as_view()),
    path("async-class/", AsyncClassView.as_view()),
    path("decorated-template/", DecoratedTemplateView.as_view()),
    path("child/", ChildView.as_view()),
    path("as-view/", as_view_decorated),
    path("as-view-async/", as_view_async_decorated),
    path("tag/", tag_view),
    path("make-async/", make_push_promise_async_view),
    path("attribute-set/", response_attribute_set_view),
    path("attribute-async/", async_response_attribute_view),
    path("register/", register_view),
    path("nothing/", nothing_view),
    path("async-concurrent/<str:name>/", async_concurrent_view),
    path("sync-concurrent/<str:name>/", sync_concurrent_view),
]

LOCAL_URLS = pytest.mark.urls(__name__)


# --- helpers ----------------------------------------------------------------------------


def wsgi_get(url: str, data: Any = None) -> HttpResponseBase:
    return Client().get(url, data)


def asgi_get(url: str, data: Any = None) -> HttpResponseBase:
    return async_to_sync(AsyncClient().get)(url, data)


GETTERS = pytest.mark.parametrize("get", [wsgi_get, asgi_get], ids=["wsgi", "asgi"])


def links(response: HttpResponseBase) -> list[str]:
    header = response.headers.get("Link")
    return list(split_links(header)) if header else []


def preload_links(response: HttpResponseBase) -> list[str]:
    return [v for v in links(response) if (link := parse_link(v)) and link.is_preload]


def render_registering(source: str, context: dict[str, Any] | None = None) -> tuple[str, list[str]]:
    """Render a template inside an active registry; the output and what it registered."""
    promises, token = registry.activate()
    try:
        output = Template("{% load static h2push %}" + source).render(Context(context or {}))
    finally:
        registry.deactivate(token)
    return output, [preload.link_value() for preload in promises.preloads()]


# --- the testproject's pages ------------------------------------------------------------


@GETTERS
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/", [BASE_CSS_LINK, APP_JS_LINK]),
        ("/decorated/", [BASE_CSS_LINK, APP_JS_LINK]),
        ("/decorated-async/", [BASE_CSS_LINK, MENU_LINK]),
        ("/decorated-class/", [BASE_CSS_LINK, APP_JS_LINK]),
        ("/function/", [BASE_CSS_LINK, APP_JS_LINK]),
        ("/response-attribute/", [BASE_CSS_LINK, APP_JS_LINK]),
    ],
)
def test_testproject_pages(get: Any, url: str, expected: list[str]) -> None:
    response = get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b'<link rel="stylesheet" href="/static/css/base.css">' in response.content
    assert b'<script src="/static/js/app.js" defer></script>' in response.content
    assert links(response) == expected
    assert list(response.push_promises) == [parse_link(v).url for v in expected]  # type: ignore[union-attr]


@GETTERS
def test_testproject_json_page_registers_nothing(get: Any) -> None:
    response = get("/api/menu.json")
    assert response.status_code == 200
    assert "Link" not in response.headers
    assert list(response.push_promises) == []


# --- the template tags ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["css/base.css", "js/app.js", "img/logo.png", "img/a b&c.png", "fonts/x.woff2", "x.css?v=1"],
)
def test_push_static_renders_what_static_renders(name: str) -> None:
    context = {"name": name}
    static_output, _ = render_registering("{% static name %}", context)
    output, registered = render_registering("{% push_static name %}", context)
    assert output == static_output
    assert registered == [Preload(static(name)).link_value()]


def test_push_static_registers_the_static_url() -> None:
    output, registered = render_registering('{% push_static "css/base.css" %}')
    assert output == "/static/css/base.css"
    assert registered == [BASE_CSS_LINK]


def test_push_static_as_var() -> None:
    static_output, _ = render_registering('{% static "img/a b&c.png" as u %}[{{ u }}]')
    output, registered = render_registering('{% push_static "img/a b&c.png" as u %}[{{ u }}]')
    assert output == static_output == "[/static/img/a%20b%26c.png]"
    assert registered == ["</static/img/a%20b%26c.png>; rel=preload; as=image"]
    output, registered = render_registering(
        '{% push_static "css/base.css" as u %}<link href="{{ u }}"><a href="{{ u }}">'
    )
    assert output == '<link href="/static/css/base.css"><a href="/static/css/base.css">'
    assert registered == [BASE_CSS_LINK]


def test_push_static_options() -> None:
    output, registered = render_registering(
        '{% push_static "fonts/a.woff2" %}{% push_static "css/base.css" nopush=True %}'
        '{% push_static "js/w.js" as_="worker" %}'
        '{% push_static "img/logo.png" crossorigin="use-credentials" %}'
    )
    assert output == "/static/fonts/a.woff2/static/css/base.css/static/js/w.js/static/img/logo.png"
    assert registered == [
        "</static/fonts/a.woff2>; rel=preload; as=font; crossorigin",
        "</static/css/base.css>; rel=preload; as=style; nopush",
        "</static/js/w.js>; rel=preload; as=worker",
        "</static/img/logo.png>; rel=preload; as=image; crossorigin=use-credentials",
    ]


def test_push_static_with_a_cdn_static_url() -> None:
    with override_settings(STATIC_URL="https://cdn.example/static/"):
        static_output, _ = render_registering('{% static "css/base.css" %}')
        output, registered = render_registering('{% push_static "css/base.css" %}')
        as_var, _ = render_registering('{% push_static "js/app.js" as u %}{{ u }}')
        static_as_var, _ = render_registering('{% static "js/app.js" as u %}{{ u }}')
    assert output == static_output == "https://cdn.example/static/css/base.css"
    assert as_var == static_as_var == "https://cdn.example/static/js/app.js"
    assert registered == ["<https://cdn.example/static/css/base.css>; rel=preload; as=style"]


@GETTERS
def test_cdn_static_url_in_the_link_header(get: Any) -> None:
    with override_settings(STATIC_URL="https://cdn.example/static/"):
        response = get("/")
    assert b'href="https://cdn.example/static/css/base.css"' in response.content
    assert preload_links(response) == [
        "<https://cdn.example/static/css/base.css>; rel=preload; as=style",
        "<https://cdn.example/static/js/app.js>; rel=preload; as=script",
    ]


def test_push_static_outside_a_request_renders_and_registers_nothing() -> None:
    assert registry.current() is None
    output = Template('{% load h2push %}{% push_static "css/base.css" %}').render(Context())
    assert output == "/static/css/base.css"
    assert registry.current() is None


def test_push_url_tag() -> None:
    output, registered = render_registering('{% push_url "/api/menu.json" %}')
    assert output == "/api/menu.json"
    assert registered == [MENU_LINK]
    output, registered = render_registering(
        '{% push_url var as_="style" nopush=True %}', {"var": "/theme.css?a=1&b=2"}
    )
    # Rendered escaped like any other template output; registered as the raw URL.
    assert output == "/theme.css?a=1&amp;b=2"
    assert registered == ["</theme.css?a=1&b=2>; rel=preload; as=style; nopush"]
    output, registered = render_registering(
        '{% push_url "https://cdn.example/f.woff2" as u %}<{{ u }}>'
    )
    assert output == "<https://cdn.example/f.woff2>"
    assert registered == ["<https://cdn.example/f.woff2>; rel=preload; as=font; crossorigin"]


@pytest.mark.parametrize(
    "source",
    [
        '{% push_url "javascript:alert(1)" %}',
        '{% push_static "css/base.css" as_="stylesheet" %}',
        '{% push_static "css/base.css" crossorigin="yes" %}',
    ],
)
def test_tags_refuse_unsafe_values(source: str) -> None:
    promises, token = registry.activate()
    try:
        with pytest.raises(ValueError):
            Template("{% load h2push %}" + source).render(Context({"var": "/a\r\nX: 1"}))
    finally:
        registry.deactivate(token)
    assert list(promises) == []


@LOCAL_URLS
@GETTERS
def test_tags_through_a_view(get: Any) -> None:
    response = get(
        "/tag/",
        {
            "t": '{% push_static "css/base.css" %} {% push_url var %} {% static "js/app.js" %}',
            "var": "/api/menu.json",
        },
    )
    assert response.content == b"/static/css/base.css /api/menu.json /static/js/app.js"
    assert links(response) == [BASE_CSS_LINK, MENU_LINK]
    assert list(response.push_promises) == ["/static/css/base.css", "/api/menu.json"]


# --- the staticfiles manifest -----------------------------------------------------------


@pytest.fixture
def manifest_storage(tmp_path: Path) -> Iterator[Path]:
    """ManifestStaticFilesStorage over a fresh STATIC_ROOT that collectstatic filled."""
    with collected_manifest(tmp_path / "staticfiles") as root:
        assert (root / "staticfiles.json").exists()
        yield root


HASHED_CSS = re.compile(r"^/static/css/base\.[0-9a-f]{12}\.css$")
HASHED_JS = re.compile(r"^/static/js/app\.[0-9a-f]{12}\.js$")


def test_manifest_hashed_names(manifest_storage: Path) -> None:
    static_output, _ = render_registering('{% static "css/base.css" %}')
    output, registered = render_registering('{% push_static "css/base.css" %}')
    assert HASHED_CSS.match(output)
    assert output == static_output
    assert (manifest_storage / output.removeprefix("/static/")).read_bytes() == (
        STATIC_DIR / "css" / "base.css"
    ).read_bytes()
    assert registered == [f"<{output}>; rel=preload; as=style"]

    static_as_var, _ = render_registering('{% static "js/app.js" as u %}{{ u }}')
    as_var, registered = render_registering('{% push_static "js/app.js" as u %}{{ u }}')
    assert HASHED_JS.match(as_var)
    assert as_var == static_as_var
    assert registered == [f"<{as_var}>; rel=preload; as=script"]


def _error_of(source: str) -> Exception:
    with pytest.raises(Exception) as info:
        render_registering(source)
    return info.value


def test_manifest_missing_name_raises_like_static_and_registers_nothing(
    manifest_storage: Path,
) -> None:
    expected = _error_of('{% static "css/missing.css" %}')
    assert isinstance(expected, ValueError)
    got = _error_of('{% push_static "css/missing.css" %}')
    assert type(got) is type(expected)
    assert str(got) == str(expected)
    got_as_var = _error_of('{% push_static "css/missing.css" as u %}')
    assert type(got_as_var) is type(expected)
    assert str(got_as_var) == str(expected)

    promises, token = registry.activate()
    try:
        with pytest.raises(ValueError):
            Template('{% load h2push %}{% push_static "css/missing.css" %}').render(Context())
    finally:
        registry.deactivate(token)
    assert list(promises) == []


@LOCAL_URLS
def test_manifest_missing_name_through_a_view(manifest_storage: Path) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/tag/", {"t": '{% push_static "css/missing.css" %}'})
    assert response.status_code == 500
    assert "Link" not in response.headers
    assert list(response.push_promises) == []


@GETTERS
@pytest.mark.parametrize("url", ["/", "/decorated/", "/decorated-class/", "/decorated-async/"])
def test_manifest_names_in_pages(manifest_storage: Path, get: Any, url: str) -> None:
    response = get(url)
    assert response.status_code == 200
    urls = [parse_link(v).url for v in preload_links(response)]  # type: ignore[union-attr]
    assert HASHED_CSS.match(urls[0])
    assert urls[0].encode() in response.content
    assert list(response.push_promises) == urls


# --- the decorators ---------------------------------------------------------------------


@LOCAL_URLS
@GETTERS
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/method-decorated/", [BASE_CSS_LINK, APP_JS_LINK]),
        ("/method-decorated-get/", [MENU_LINK]),
        ("/async-class/", [APP_JS_LINK]),
        ("/decorated-template/", [BASE_CSS_LINK, APP_JS_LINK]),
        ("/child/", [APP_JS_LINK, BASE_CSS_LINK]),
        ("/as-view/", [BASE_CSS_LINK, APP_JS_LINK]),
        ("/as-view-async/", [MENU_LINK]),
    ],
)
def test_decorated_class_based_views(get: Any, url: str, expected: list[str]) -> None:
    response = get(url)
    assert response.status_code == 200
    assert links(response) == expected
    assert list(response.push_promises) == [parse_link(v).url for v in expected]  # type: ignore[union-attr]


def test_decorators_keep_view_kind_and_declare() -> None:
    from asgiref.sync import iscoroutinefunction

    from testproject import views

    assert iscoroutinefunction(views.decorated_async)
    assert not iscoroutinefunction(views.decorated)
    assert iscoroutinefunction(as_view_async_decorated)
    assert not iscoroutinefunction(as_view_decorated)
    assert AsyncClassView.view_is_async
    assert [d.target for d in declared_preloads(views.decorated)] == ["css/base.css", "js/app.js"]
    assert [d.target for d in declared_preloads(views.DecoratedClassView.as_view())] == [
        "css/base.css",
        "js/app.js",
    ]
    assert [d.target for d in declared_preloads(as_view_decorated)] == ["css/base.css", "js/app.js"]
    assert as_view_decorated.view_class is PlainView  # type: ignore[attr-defined]


def test_stacked_decorators_declare_in_the_order_they_register() -> None:
    """What a view declares (read before it runs, e.g. for Early Hints) lists its
    preloads in the order its Link header does: the topmost decorator first."""
    from testproject import views

    response = wsgi_get("/decorated-async/")
    assert list(response.push_promises) == ["/static/css/base.css", "/api/menu.json"]
    declared = [d.resolve().url for d in declared_preloads(views.decorated_async)]
    assert declared == list(response.push_promises)


def test_decorated_view_called_outside_a_request_just_runs() -> None:
    from django.test import RequestFactory

    from testproject import views

    response = views.decorated(RequestFactory().get("/decorated/"))
    assert response.status_code == 200
    assert registry.current() is None


def test_push_url_decorator_refuses_unsafe_urls_at_decoration_time() -> None:
    with pytest.raises(ValueError):
        push_url("/a.css\r\nX-Evil: 1")
    with pytest.raises(ValueError):
        push_url("javascript:alert(1)")


# --- make_push_promise and response.push_promises ---------------------------------------


def test_make_push_promise_outside_a_request() -> None:
    assert registry.current() is None
    with pytest.raises(RuntimeError, match="PreloadMiddleware"):
        make_push_promise("/static/css/base.css")

    async def in_a_coroutine() -> None:
        make_push_promise("/static/css/base.css")

    with pytest.raises(RuntimeError):
        asyncio.run(in_a_coroutine())

    errors: list[BaseException] = []

    def in_a_thread() -> None:
        try:
            make_push_promise("/static/css/base.css")
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError)


def test_tags_percent_encode_what_a_header_cannot_carry() -> None:
    """As ``{% push_static %}`` does through ``static()``: a URL made from request
    input registers its odd path, encoded, instead of failing the page."""
    promises, token = registry.activate()
    try:
        output = Template("{% load h2push %}{% push_url var %}").render(
            Context({"var": '/a\r\nX: 1<b>"c'})
        )
    finally:
        registry.deactivate(token)
    assert output == "/a\r\nX: 1&lt;b&gt;&quot;c"  # rendered as {{ var }} would be
    assert list(promises) == ["/a%0D%0AX:%201%3Cb%3E%22c"]


def test_make_push_promise_validates_before_anything() -> None:
    with pytest.raises(ValueError):
        make_push_promise("javascript:alert(1)")
    promises, token = registry.activate()
    try:
        preload = make_push_promise("/static/a.woff2", nopush=True)
        with pytest.raises(ValueError):
            make_push_promise("data:text/css,x")
    finally:
        registry.deactivate(token)
    assert preload.as_ == "font" and preload.crossorigin == "anonymous" and preload.nopush
    assert list(promises) == ["/static/a.woff2"]


@LOCAL_URLS
@GETTERS
def test_make_push_promise_in_an_async_view(get: Any) -> None:
    response = get("/make-async/")
    assert links(response) == [BASE_CSS_LINK, MENU_LINK]
    assert list(response.push_promises) == ["/static/css/base.css", "/api/menu.json"]


@LOCAL_URLS
@GETTERS
def test_response_push_promises_forms(get: Any) -> None:
    response = get("/attribute-set/")
    assert links(response) == [APP_JS_LINK, BASE_CSS_LINK]
    assert isinstance(response.push_promises, PushPromises)
    response = get("/attribute-async/")
    assert links(response) == [BASE_CSS_LINK + "; nopush"]
    assert list(response.push_promises) == ["/static/css/base.css"]


def test_push_promises_set_semantics() -> None:
    promises = PushPromises(["/b.js", "/a.css"])
    promises.add("/a.css", nopush=True)
    promises.add("/c.png")
    assert list(promises) == ["/b.js", "/a.css", "/c.png"]
    assert "/a.css" in promises
    assert not promises.preloads()[1].nopush
    promises.discard("/b.js")
    promises.discard("/not-there")
    assert list(promises) == ["/a.css", "/c.png"]
    assert len(promises) == 2
    with pytest.raises(ValueError):
        promises.add("javascript:x")
    response = HttpResponse()
    assert list(response.push_promises) == []  # type: ignore[attr-defined]
    assert response.push_promises is response.push_promises  # type: ignore[attr-defined]
    assert HttpResponse().push_promises is not response.push_promises  # type: ignore[attr-defined]


# --- no leak between requests -----------------------------------------------------------


@LOCAL_URLS
@GETTERS
def test_no_leak_between_sequential_requests(get: Any) -> None:
    first = get("/register/", {"u": ["/static/a.css", "/static/b.js"]})
    assert links(first) == [
        "</static/a.css>; rel=preload; as=style",
        "</static/b.js>; rel=preload; as=script",
    ]
    second = get("/nothing/")
    assert "Link" not in second.headers
    assert list(second.push_promises) == []
    third = get("/register/", {"u": "/static/c.png"})
    assert links(third) == ["</static/c.png>; rel=preload; as=image"]
    assert list(third.push_promises) == ["/static/c.png"]


@LOCAL_URLS
def test_no_leak_between_concurrent_async_requests() -> None:
    names = [f"r{number}" for number in range(6)]

    async def run() -> list[HttpResponseBase]:
        RENDEZVOUS["async"] = asyncio.Barrier(len(names))
        client = AsyncClient()
        return await asyncio.gather(*(client.get(f"/async-concurrent/{n}/") for n in names))

    responses = async_to_sync(run)()
    for name, response in zip(names, responses, strict=True):
        assert response.content == name.encode()
        assert links(response) == [
            f"</static/{name}/first.css>; rel=preload; as=style",
            f"</static/{name}/second.js>; rel=preload; as=script",
        ]
        assert list(response.push_promises) == [
            f"/static/{name}/first.css",
            f"/static/{name}/second.js",
        ]


@LOCAL_URLS
def test_no_leak_between_concurrent_wsgi_requests_in_threads() -> None:
    names = [f"t{number}" for number in range(4)]
    RENDEZVOUS["sync"] = threading.Barrier(len(names))
    results: dict[str, HttpResponseBase] = {}

    def fetch(name: str) -> None:
        results[name] = Client().get(f"/sync-concurrent/{name}/")

    threads = [threading.Thread(target=fetch, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(results) == sorted(names)
    for name, response in results.items():
        assert links(response) == [
            f"</static/{name}/first.css>; rel=preload; as=style",
            f"</static/{name}/second.js>; rel=preload; as=script",
        ]


def test_the_middlewares_promises_become_a_set_when_read() -> None:
    response = HttpResponse()
    registry.set_response_promises(response, (Preload("/static/css/base.css"),))
    promises = response.push_promises  # type: ignore[attr-defined]
    assert isinstance(promises, PushPromises)
    promises.add("/static/js/app.js")
    after = response.push_promises  # type: ignore[attr-defined]
    assert list(after) == ["/static/css/base.css", "/static/js/app.js"]
    own = registry.response_promises(response)
    assert own is not None and list(own) == ["/static/css/base.css", "/static/js/app.js"]
