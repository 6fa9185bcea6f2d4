"""The URLconf of the ``lcp`` benchmark's site (:mod:`benchmarks.lcp_settings`).

- ``bench/lcp-<ms>/``: the hero page after ``<ms>`` milliseconds of pretend work (an
  async view; each view time is a route of its own, so h2push's per-route learning
  and field samples of one cell never leak into another). Its head names a
  stylesheet whose ``@font-face`` loads the test project's web font; its body has a
  heading in that font and, below it, a 1200 x 600 JPEG (about 260 KB) that is the
  page's largest contentful paint. All three are named with ``{% static %}`` only:
  h2push finds the stylesheet and the font by discovery, never the image;
- ``bench/ready/``: a short page the starter polls, so that waiting for a server
  teaches no route.

The stylesheet and the image are written at run time by :mod:`benchmarks.lcp_site`
into the folder ``H2PUSH_BENCH_ASSETS`` names.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from benchmarks.urls import VIEW_MS

__all__ = ["HERO_NAME", "PAGE", "STYLESHEET_NAME", "page_path", "urlpatterns"]

#: The static names of the page's generated assets (under ``H2PUSH_BENCH_ASSETS``).
STYLESHEET_NAME = "lcp/hero.css"
HERO_NAME = "lcp/hero.jpg"
#: The test project's font, which the stylesheet names by a relative URL.
FONT_NAME = "fonts/h2push-pixel.woff2"

PAGE = """{% load static %}<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>h2push: a hero page</title>
  <link rel="stylesheet" href="{% static "lcp/hero.css" %}">
</head>
<body>
  <header>
    <h1>The hero page</h1>
    <p>A stylesheet with a web font, then one large image: the page's largest
       contentful paint, which only field data can teach h2push to hint.</p>
  </header>
  <img class="hero" src="{% static "lcp/hero.jpg" %}" alt="A generated hero image"
       width="1200" height="600">
  <p>Text below the hero.</p>
</body>
</html>
"""


def page_path(view_ms: int) -> str:
    return f"/bench/lcp-{view_ms}/"


@functools.cache
def _template() -> Any:
    return engines["django"].from_string(PAGE)


def _hero_page(milliseconds: int) -> Callable[..., Any]:
    async def view(request: HttpRequest) -> HttpResponse:
        if milliseconds:
            await asyncio.sleep(milliseconds / 1000)
        return HttpResponse(_template().render({}, request))

    view.__name__ = f"lcp_hero_{milliseconds}"
    return view


async def ready(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ready\n", content_type="text/plain")


urlpatterns = [
    path("bench/ready/", ready),
    *(path(page_path(ms).strip("/") + "/", _hero_page(ms)) for ms in VIEW_MS),
]
