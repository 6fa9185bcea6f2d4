"""The test project's pages, plus sync twins of its slow ones, for the tests behind
Caddy: the project's ``slow/`` views are async, and Gunicorn's sync workers must hint
sync views as well.

- ``caddy/sync/declared/?ms=N``: declares its assets with ``@push_static`` (hinted
  on every visit), then sleeps ``N`` ms in its thread;
- ``caddy/sync/learned/?ms=N``: names them only in its template (hinted once two
  of its pages agreed), after the same sleep.
"""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from h2push import push_static
from testproject.urls import urlpatterns as project_urlpatterns

MAX_MS = 5000


def _sleep(request: HttpRequest) -> None:
    try:
        milliseconds = int(request.GET.get("ms", "0"))
    except ValueError:
        milliseconds = 0
    time.sleep(min(max(milliseconds, 0), MAX_MS) / 1000)


@push_static("css/base.css", "js/app.js")
def declared_sync(request: HttpRequest) -> HttpResponse:
    _sleep(request)
    return render(request, "plain.html", {"form": "@push_static on a sync view"})


def learned_sync(request: HttpRequest) -> HttpResponse:
    _sleep(request)
    return render(request, "slow.html", {"form": "{% push_static %} in a sync view"})


urlpatterns = [
    *project_urlpatterns,
    path("caddy/sync/declared/", declared_sync, name="caddy-sync-declared"),
    path("caddy/sync/learned/", learned_sync, name="caddy-sync-learned"),
]
