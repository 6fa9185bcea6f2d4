"""Test-only pages for the end-to-end tests of Early Hints through other servers.

Each page sleeps ``?ms=`` milliseconds (default 0, at most 5 s) like a view waiting
on its database, so a 103 sent before the view shows up long before the page:

- ``servers/sync/`` and ``servers/async/``: a sync and an async view, both declaring
  their two assets with ``@push_static``, so the very first request is hinted;
- ``servers/learned/``: names its assets only in its template (``{% push_static %}``),
  so it is hinted once two of its pages agreed on them;
- ``servers/both/``: declares two assets and names a third in its template, so once
  learned its one 103 carries declared and learned links together;
- ``servers/witness/``: a declared sync view that reports, in ``x-hints-seen``, how
  many times the environ's ``wsgi.early_hints`` had been called when the view ran
  (read from the ``calls`` list of the unit tests' recorder; ``-`` without one).
"""

from __future__ import annotations

import asyncio
import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from h2push import push_static

MAX_MS = 5000


def _milliseconds(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("ms", "0")), 0), MAX_MS)
    except ValueError:
        return 0


def _page(request: HttpRequest, kind: str, ms: int) -> HttpResponse:
    return render(request, "servers/page.html", {"kind": kind, "ms": ms})


@push_static("css/base.css", "js/app.js")
def declared_sync(request: HttpRequest) -> HttpResponse:
    ms = _milliseconds(request)
    time.sleep(ms / 1000)
    return _page(request, "sync", ms)


@push_static("css/base.css", "js/app.js")
async def declared_async(request: HttpRequest) -> HttpResponse:
    ms = _milliseconds(request)
    await asyncio.sleep(ms / 1000)
    return _page(request, "async", ms)


def learned(request: HttpRequest) -> HttpResponse:
    ms = _milliseconds(request)
    time.sleep(ms / 1000)
    return render(request, "servers/learned.html", {"kind": "learned", "ms": ms})


@push_static("css/base.css", "js/app.js")
async def both(request: HttpRequest) -> HttpResponse:
    ms = _milliseconds(request)
    await asyncio.sleep(ms / 1000)
    context = {"kind": "declared and learned", "ms": ms, "logo": True}
    return render(request, "servers/learned.html", context)


@push_static("css/base.css", "js/app.js")
def witness(request: HttpRequest) -> HttpResponse:
    calls = getattr(request.META.get("wsgi.early_hints"), "calls", None)
    response = _page(request, "witness", 0)
    response["x-hints-seen"] = "-" if calls is None else str(len(calls))
    return response


urlpatterns = [
    path("servers/sync/", declared_sync, name="servers-sync"),
    path("servers/async/", declared_async, name="servers-async"),
    path("servers/learned/", learned, name="servers-learned"),
    path("servers/both/", both, name="servers-both"),
    path("servers/witness/", witness, name="servers-witness"),
]
