"""Test-only views for the Early Hints, learning, digest and budget tests.

Views that take part in an ordering proof wait on an ``asyncio.Event`` the test puts
in the ASGI scope under ``GATE``: the test's own ``send`` sets it only once it has
seen the ``http.response.early_hint`` message, so such a view cannot finish unless
the 103 went out before it ran. Without a gate in the scope they answer at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
    JsonResponse,
)
from django.templatetags.static import static
from django.urls import path, re_path
from django.views import View

from h2push import make_push_promise, push_static

GATE = "tests.early_gate"
GATE_TIMEOUT_KEY = "tests.early_gate_timeout"
LOG = "tests.early_log"
GATE_TIMEOUT = 5.0

PAGE = "<!doctype html><title>early</title><p>page</p>\n"


async def _pass_gate(request: HttpRequest) -> None:
    scope: dict[str, Any] = getattr(request, "scope", {})
    log = scope.get(LOG)
    if log is not None:
        log.append("view entered")
    gate = scope.get(GATE)
    if gate is not None:
        # A missing 103 makes this raise, and the request ends in a 500.
        await asyncio.wait_for(gate.wait(), scope.get(GATE_TIMEOUT_KEY, GATE_TIMEOUT))
    if log is not None:
        log.append("view passed the gate")


def _register_static(request: HttpRequest) -> None:
    """Registers ``?s=<static name>`` through ``static()``, ``?u=<url>`` as given."""
    for name in request.GET.getlist("s"):
        make_push_promise(static(name))
    for url in request.GET.getlist("u"):
        make_push_promise(url)


@push_static("css/base.css", "js/app.js")
async def declared(request: HttpRequest) -> HttpResponse:
    await _pass_gate(request)
    return HttpResponse(PAGE)


@push_static("css/base.css", "js/app.js")
def declared_sync(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


@push_static("css/base.css", "js/app.js")
class DeclaredClassView(View):
    async def get(self, request: HttpRequest) -> HttpResponse:
        await _pass_gate(request)
        return HttpResponse(PAGE)


async def learn(request: HttpRequest, **kwargs: str) -> HttpResponse:
    """A page that registers what its query names: the route learns from it.

    ``?status=302`` (or any status), ``?as=json`` and ``?raise=1`` make the same
    route answer with a redirect, an error or a non-HTML response instead.
    """
    await _pass_gate(request)
    _register_static(request)
    if "raise" in request.GET:
        raise RuntimeError("the view failed")
    if request.GET.get("as") == "json":
        return JsonResponse({"ok": True})
    status = int(request.GET.get("status", "200"))
    if 300 <= status < 400:
        return HttpResponseRedirect("/early/learn/", status=status)
    return HttpResponse(PAGE, status=status)


async def private(request: HttpRequest, user: str) -> HttpResponse:
    """Registers one user's own URLs next to the shared static assets."""
    await _pass_gate(request)
    make_push_promise(static("css/base.css"))
    make_push_promise(f"/media/private/{user}.jpg")
    make_push_promise(f"/api/user/{user}.json")
    make_push_promise(static("js/app.js"))
    return HttpResponse(PAGE)


async def redirect(request: HttpRequest) -> HttpResponse:
    _register_static(request)
    return HttpResponseRedirect("/early/learn/")


async def not_found(request: HttpRequest) -> HttpResponse:
    _register_static(request)
    return HttpResponseNotFound(PAGE)


async def boom(request: HttpRequest) -> HttpResponse:
    _register_static(request)
    raise RuntimeError("the view failed")


async def json_view(request: HttpRequest) -> JsonResponse:
    _register_static(request)
    return JsonResponse({"ok": True})


async def plain_text(request: HttpRequest) -> HttpResponse:
    _register_static(request)
    return HttpResponse("text", content_type="text/plain")


urlpatterns = [
    path("early/declared/", declared, name="early-declared"),
    path("early/declared-sync/", declared_sync, name="early-declared-sync"),
    path("early/declared-class/", DeclaredClassView.as_view(), name="early-declared-class"),
    path("early/learn/", learn, name="early-learn"),
    path("early/learn/<int:number>/", learn, name="early-learn-number"),
    path("early/private/<str:user>/", private, name="early-private"),
    path("early/redirect/", redirect, name="early-redirect"),
    path("early/not-found/", not_found, name="early-not-found"),
    path("early/boom/", boom, name="early-boom"),
    path("early/json/", json_view, name="early-json"),
    path("early/text/", plain_text, name="early-text"),
    # A route pattern with characters cache backends refuse in keys.
    re_path(r"^early/odd (?P<word>[^/]+)/é:{}%$", learn, name="early-odd"),
]
