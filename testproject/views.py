"""Pages that show each way of naming what a page needs."""

from __future__ import annotations

import asyncio

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.generic import TemplateView

from h2push import make_push_promise, push_static, push_url


def home(request: HttpRequest) -> HttpResponse:
    """Registers its assets with ``{% push_static %}`` in the template."""
    return render(request, "home.html", {"form": "the {% push_static %} template tag"})


@push_static("css/base.css", "js/app.js")
def decorated(request: HttpRequest) -> HttpResponse:
    return render(request, "plain.html", {"form": "the @push_static view decorator"})


@push_static("css/base.css")
@push_url("/api/menu.json")
async def decorated_async(request: HttpRequest) -> HttpResponse:
    return render(request, "plain.html", {"form": "@push_static and @push_url on an async view"})


@push_static("css/base.css", "js/app.js")
class DecoratedClassView(TemplateView):
    template_name = "plain.html"
    extra_context = {"form": "@push_static on a class-based view"}  # noqa: RUF012 (Django API)


def function(request: HttpRequest) -> HttpResponse:
    make_push_promise(static("css/base.css"))
    make_push_promise(static("js/app.js"))
    return render(request, "plain.html", {"form": "make_push_promise() in view code"})


def response_attribute(request: HttpRequest) -> HttpResponse:
    response = render(request, "plain.html", {"form": "response.push_promises.add()"})
    response.push_promises.add(static("css/base.css"))  # type: ignore[attr-defined]
    response.push_promises.add(static("js/app.js"))  # type: ignore[attr-defined]
    return response


def menu(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"items": ["home", "decorated", "function"]})


def streaming(request: HttpRequest) -> StreamingHttpResponse:
    make_push_promise(static("css/base.css"))

    async def chunks():  # type: ignore[no-untyped-def]
        for number in range(3):
            await asyncio.sleep(0)
            yield f"chunk {number}\n".encode()

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def _delay_seconds(request: HttpRequest) -> float:
    """The view's pretend work: 300 ms, or ``?ms=`` (capped at 10 s)."""
    try:
        milliseconds = int(request.GET.get("ms", "300"))
    except ValueError:
        milliseconds = 300
    return min(max(milliseconds, 0), 10_000) / 1000


async def slow(request: HttpRequest) -> HttpResponse:
    """Waits like a view waiting on its database, then registers its assets in the
    template: from the second visit on, they are hinted (and pushed) before it ends."""
    await asyncio.sleep(_delay_seconds(request))
    return render(request, "slow.html", {"form": "{% push_static %}, learned for early hints"})


@push_static("css/base.css", "js/app.js")
async def slow_declared(request: HttpRequest) -> HttpResponse:
    """Declares its assets with the decorator: hinted before it runs, on every visit."""
    await asyncio.sleep(_delay_seconds(request))
    return render(request, "plain.html", {"form": "@push_static, hinted before the view runs"})


# Discovery: pages that name their assets with {% static %} (or Jinja2's static())
# only. h2push finds the assets in the HTML they send.


async def discovery(request: HttpRequest) -> HttpResponse:
    """A stylesheet with a web font, a classic and a module script, all by ``{% static %}``."""
    await asyncio.sleep(_delay_seconds(request))
    return render(request, "discovery/page.html")


async def discovery_jinja2(request: HttpRequest) -> HttpResponse:
    """The same page from a Jinja2 template (``static()`` only)."""
    await asyncio.sleep(_delay_seconds(request))
    return render(request, "discovery/page.html", using="jinja2")


async def discovery_cached(request: HttpRequest) -> HttpResponse:
    """The scripts come from a ``{% cache %}`` fragment."""
    await asyncio.sleep(_delay_seconds(request))
    return render(request, "discovery/cached.html")


async def discovery_cached_tag(request: HttpRequest) -> HttpResponse:
    """A ``{% push_static %}`` inside a ``{% cache %}`` fragment: a cache hit registers nothing."""
    await asyncio.sleep(_delay_seconds(request))
    return render(request, "discovery/cached_tag.html")


# The stylesheets ?theme= may name: only existing files, never the request's text.
THEMES = {"light": "css/theme-light.css", "dark": "css/theme-dark.css"}


async def discovery_theme(request: HttpRequest) -> HttpResponse:
    """Its stylesheet's name changes with ``?theme=``, as a deploy changes a hashed name."""
    await asyncio.sleep(_delay_seconds(request))
    stylesheet = THEMES.get(request.GET.get("theme", ""), THEMES["light"])
    return render(request, "discovery/theme.html", {"stylesheet": stylesheet})


async def cms(request: HttpRequest, slug: str) -> HttpResponse:
    """A catch-all route, as a CMS has: galleries and articles load different scripts."""
    await asyncio.sleep(_delay_seconds(request))
    template = "cms/gallery.html" if slug.startswith("gallery/") else "cms/article.html"
    return render(request, template, {"title": slug})
