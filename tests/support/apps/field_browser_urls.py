"""The pages of ``tests/browser/test_field.py``, beside the test project's own.

- ``field/hero/?ms=N``: a slow page (its view sleeps ``N`` ms, so a 103 goes out
  well before it) whose Largest Contentful Paint is a hero image: a stylesheet, the
  web font its ``<h1>`` is set in, a deferred script, then a 1440x720 JPEG shown as
  wide as the column. h2push's discovery never hints an image; only the field can
  name this one. ``&lean=1`` is the same page after its template stopped loading the
  script (same route, so same learned entry and same field samples).
- ``field/plain/?ms=N``: a page whose stylesheet declares that web font but which
  sets no text in it: a browser downloads the font only if a hint tells it to.
  Discovery finds the font in the stylesheet all the same; only the field can tell
  that no visitor uses it.

Both are async views (Gunicorn's WSGI worker runs them through ``async_to_sync``) and
render templates given here as strings, so the test project's folders stay as they are.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.template.backends.base import BaseEngine
from django.urls import path

from testproject.urls import urlpatterns as project_urlpatterns

MAX_MS = 5000

HERO = """{% load static %}<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>h2push field: hero</title>
  <link rel="stylesheet" href="{% static "css/discovery.css" %}">
  {% if not lean %}<script src="{% static "js/app.js" %}" defer></script>{% endif %}
</head>
<body>
  <h1>Learned from the field</h1>
  <img src="{% static "img/hero.jpg" %}" alt="" width="1440" height="720"
       style="display:block;width:100%;height:auto">
  <p>The image above is this page's Largest Contentful Paint. Nothing in the HTML
     says so; the browsers that load the page report it.</p>
</body>
</html>
"""

PLAIN = """{% load static %}<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>h2push field: plain</title>
  <link rel="stylesheet" href="{% static "css/discovery.css" %}">
</head>
<body>
  <h2>No web font on this page</h2>
  <p>Its stylesheet declares one for headings of the first level, and this page has
     none: a browser never downloads the font unless a hint asks it to.</p>
</body>
</html>
"""


@cache
def _template(source: str) -> Any:
    engine: BaseEngine = engines["django"]
    return engine.from_string(source)


async def _sleep(request: HttpRequest) -> None:
    try:
        milliseconds = int(request.GET.get("ms", "0"))
    except ValueError:
        milliseconds = 0
    await asyncio.sleep(min(max(milliseconds, 0), MAX_MS) / 1000)


async def hero(request: HttpRequest) -> HttpResponse:
    await _sleep(request)
    context = {"lean": request.GET.get("lean") == "1"}
    return HttpResponse(_template(HERO).render(context, request))


async def plain(request: HttpRequest) -> HttpResponse:
    await _sleep(request)
    return HttpResponse(_template(PLAIN).render({}, request))


urlpatterns = [
    *project_urlpatterns,
    path("field/hero/", hero, name="field-hero"),
    path("field/plain/", plain, name="field-plain"),
]
