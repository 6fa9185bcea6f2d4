"""Test-only pages that work a while before they answer, in a sync or an async view.

Each declares the test project's two assets with ``@push_static``, so they are pushed
(and hinted) before the view runs; each sleeps ``?ms=`` milliseconds (1000 unless
told, at most 10 s), like a view waiting on its database. A sync view sleeps in its
request's sync thread, which is what the pushed requests must not wait behind.

``/syncview/sync-api/`` also declares ``/syncview/menu.json`` (a sync view, so not a
static file) with ``@push_url``: its promised request runs Django's whole stack.
"""

from __future__ import annotations

import asyncio
import time

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from h2push import push_static, push_url

PAGE = "<!doctype html><title>syncview</title><p>page</p>\n"
DEFAULT_MS = 1000


def _sleep_seconds(request: HttpRequest) -> float:
    try:
        milliseconds = int(request.GET.get("ms", DEFAULT_MS))
    except ValueError:
        milliseconds = DEFAULT_MS
    return min(max(milliseconds, 0), 10_000) / 1000


@push_static("css/base.css", "js/app.js")
def sync_page(request: HttpRequest) -> HttpResponse:
    time.sleep(_sleep_seconds(request))
    return HttpResponse(PAGE)


@push_static("css/base.css", "js/app.js")
async def async_page(request: HttpRequest) -> HttpResponse:
    await asyncio.sleep(_sleep_seconds(request))
    return HttpResponse(PAGE)


@push_url("/syncview/menu.json", as_="fetch")
def sync_page_with_api(request: HttpRequest) -> HttpResponse:
    time.sleep(_sleep_seconds(request))
    return HttpResponse(PAGE)


def menu(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"items": ["syncview"]})


urlpatterns = [
    path("syncview/sync/", sync_page, name="syncview-sync"),
    path("syncview/async/", async_page, name="syncview-async"),
    path("syncview/sync-api/", sync_page_with_api, name="syncview-sync-api"),
    path("syncview/menu.json", menu, name="syncview-menu"),
]
