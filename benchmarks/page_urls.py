"""The URLconf of :mod:`benchmarks.page_settings`: pages for the browser, push-vs-pull and
growth benchmarks, beside everything :mod:`benchmarks.urls` serves.

- ``bench/view-<ms>/``: the test project's discovery page (``discovery/page.html``: a
  stylesheet with an ``@font-face`` font, a classic script and a module script, all
  named with ``{% static %}`` only), after ``<ms>`` milliseconds of pretend work.
  Each view time is a route of its own, so h2push's per-route view timing of one
  cell never leaks into another.
- ``bench/floor-<ms>/``: the same HTML with its stylesheet and scripts left out
  (``discovery/base.html``), after the same wait: the paint floor.
- ``bench/preloads-<n>/``: a page naming ``n`` static files with ``{% static %}``
  (see :mod:`benchmarks.assets`), for CPU per request against preloads per page.
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

#: The view times a page exists for, in milliseconds.
VIEW_MS = (0, 50, 100, 200, 300, 500, 1000)


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


urlpatterns = [
    *(path(f"bench/view-{ms}/", _waiting("discovery/page.html", ms)) for ms in VIEW_MS),
    *(path(f"bench/floor-{ms}/", _waiting("discovery/base.html", ms)) for ms in VIEW_MS),
    *(path(f"bench/preloads-{n}/", _preloads(n)) for n in PRELOAD_COUNTS),
    path("", include("benchmarks.urls")),
]
