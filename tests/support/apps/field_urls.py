"""Test-only pages for the field-learning wiring tests (``H2PUSH_FIELD``, issue 20):
tests/django_layer/field/test_wiring.py and tests/e2e/test_field.py.

- ``field/hero/``: a page whose hero image (``img/logo.png``, the LCP) comes after a
  stylesheet (``css/discovery.css``, which loads the ``h2push-pixel`` font); the
  image is what the field teaches h2push to hint.
- ``field/hero-srcset/``: the same, its ``<img>`` with ``srcset`` and ``sizes``.
- ``field/scripts/``: a page with a script its HTML loads (``js/app.js``, which
  h2push learns) and one its view declares (``js/explain.js``, ``@push_static``).
- ``field/tagged/``: a template that places the script with ``{% h2push_field %}``.
- ``field/sized/``: a page whose view sets its own ``Content-Length``.
- ``field/json/``, ``field/redirect/``, ``field/stream/``: answers that are not a
  plain HTML page.

:func:`csp_nonce_middleware` gives each request a ``csp_nonce`` (:data:`NONCE`), as
django-csp does. Pages take any method: a POST gets the same HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template import engines
from django.templatetags.static import static
from django.urls import path

from h2push import push_static

HERO_NAME = "img/logo.png"
STYLESHEET_NAME = "css/discovery.css"
FONT_NAME = "fonts/h2push-pixel.woff2"
LEARNED_SCRIPT_NAME = "js/app.js"
DECLARED_SCRIPT_NAME = "js/explain.js"
SRCSET = "/static/img/logo.png 640w, /static/img/logo.png 1280w"
SIZES = "(max-width: 782px) 100vw, 640px"
NONCE = "field-test-nonce-4f2a"
#: Where ``field/tagged/`` puts ``{% h2push_field %}``: right after this heading.
TAGGED_HEADING = "<h1>Tagged</h1>"


def _page(title: str, head: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _hero(srcset: bool) -> str:
    extra = f' srcset="{SRCSET}" sizes="{SIZES}"' if srcset else ""
    return _page(
        "hero",
        f'<link rel="stylesheet" href="{static(STYLESHEET_NAME)}">',
        "<h1>Field</h1>\n"
        f'<img src="{static(HERO_NAME)}"{extra} alt="hero" width="640" height="360">\n'
        "<p>Below the hero.</p>",
    )


def hero(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_hero(srcset=False))


def hero_srcset(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_hero(srcset=True))


@push_static(DECLARED_SCRIPT_NAME)
def scripts(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        _page(
            "scripts",
            f'<link rel="stylesheet" href="{static("css/base.css")}">\n'
            f'<script src="{static(LEARNED_SCRIPT_NAME)}" defer></script>',
            "<h1>Scripts</h1>",
        )
    )


_TAGGED = engines["django"].from_string(
    "{% load h2push %}<!doctype html><html><head><title>tagged</title></head><body>"
    + TAGGED_HEADING
    + "{% h2push_field %}<p>After the script.</p></body></html>"
)


def tagged(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_TAGGED.render({}, request))


def sized(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_hero(srcset=False))
    response["Content-Length"] = str(len(response.content))
    return response


def json_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"html": "</body>"})


def redirect(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect("/field/hero/")


def stream(request: HttpRequest) -> StreamingHttpResponse:
    def parts() -> Iterator[bytes]:
        yield _hero(srcset=False).encode()

    return StreamingHttpResponse(parts(), content_type="text/html; charset=utf-8")


def csp_nonce_middleware(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    """Sets ``request.csp_nonce``, as django-csp does (sync only: Django adapts it)."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        request.csp_nonce = NONCE  # type: ignore[attr-defined]
        return get_response(request)

    return middleware


urlpatterns = [
    path("field/hero/", hero, name="field-hero"),
    path("field/hero-srcset/", hero_srcset, name="field-hero-srcset"),
    path("field/scripts/", scripts, name="field-scripts"),
    path("field/tagged/", tagged, name="field-tagged"),
    path("field/sized/", sized, name="field-sized"),
    path("field/json/", json_view, name="field-json"),
    path("field/redirect/", redirect, name="field-redirect"),
    path("field/stream/", stream, name="field-stream"),
]
