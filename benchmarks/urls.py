"""The URLconf of every benchmark site (:mod:`benchmarks.settings`): the test
project's pages, and these:

- ``bench/static/`` and ``bench/push/``: one page twice, its assets named once with
  ``{% static %}`` (``plain.html``, so found by discovery) and once with
  ``{% push_static %}`` (``home.html``), for requests per second and CPU per request;
- ``bench/view-<ms>/``: the test project's discovery page (``discovery/page.html``: a
  stylesheet with an ``@font-face`` font, a classic script and a module script, all
  named with ``{% static %}`` only), after ``<ms>`` milliseconds of pretend work.
  Each view time is a route of its own, so h2push's per-route view timing of one
  cell never leaks into another;
- ``bench/floor-<ms>/``: the same HTML with its stylesheet and scripts left out
  (``discovery/base.html``), after the same wait: the paint floor;
- ``bench/preloads-<n>/``: a page naming ``n`` static files with ``{% static %}``
  (see :mod:`benchmarks.assets`), for CPU per request against preloads per page.

The growth benchmark's many routes are a URLconf of their own,
:mod:`benchmarks.route_urls`, switched to only where memory per route is measured:
5,000 patterns would slow every other request's URL resolution.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import engines
from django.urls import include, path

from benchmarks.assets import PRELOAD_COUNTS, asset_names

FORM = "a benchmark page"

#: The view times a page exists for, in milliseconds.
VIEW_MS = (0, 50, 100, 200, 300, 500, 1000)


def static_page(request: HttpRequest) -> HttpResponse:
    """plain.html: assets named with ``{% static %}``, so nothing is registered."""
    return render(request, "plain.html", {"form": FORM})


def push_page(request: HttpRequest) -> HttpResponse:
    """home.html: the same HTML, assets named with ``{% push_static %}``."""
    return render(request, "home.html", {"form": FORM})


def _waiting(template: str, milliseconds: int) -> Callable[..., Any]:
    """An async view: Django's URL resolver types only sync ones."""

    async def view(request: HttpRequest) -> HttpResponse:
        if milliseconds:
            await asyncio.sleep(milliseconds / 1000)
        return render(request, template)

    view.__name__ = f"{template.replace('/', '_').removesuffix('.html')}_{milliseconds}"
    return view


PRELOADS_PAGE = """{% load static %}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ count }} assets</title>
{% for name in stylesheets %}<link rel="stylesheet" href="{% static name %}">
{% endfor %}{% for name in scripts %}<script src="{% static name %}" defer></script>
{% endfor %}</head><body><h1>A page with {{ count }} assets</h1><p>Some text.</p></body></html>
"""


@functools.cache
def _preloads_template() -> Any:
    return engines["django"].from_string(PRELOADS_PAGE)


def _preloads(count: int) -> Callable[..., Any]:
    names = asset_names(count)
    context = {
        "count": count,
        "stylesheets": [name for name in names if name.endswith(".css")],
        "scripts": [name for name in names if name.endswith(".js")],
    }

    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(_preloads_template().render(context, request))

    view.__name__ = f"preloads_{count}"
    return view


# The overhead and cost benchmarks' pages first: Django tries the patterns in turn,
# and theirs are the requests counted by the thousand.
urlpatterns = [
    path("bench/static/", static_page, name="bench-static"),
    path("bench/push/", push_page, name="bench-push"),
    path("", include("testproject.urls")),
    *(path(f"bench/view-{ms}/", _waiting("discovery/page.html", ms)) for ms in VIEW_MS),
    *(path(f"bench/floor-{ms}/", _waiting("discovery/base.html", ms)) for ms in VIEW_MS),
    *(path(f"bench/preloads-{n}/", _preloads(n)) for n in PRELOAD_COUNTS),
]
