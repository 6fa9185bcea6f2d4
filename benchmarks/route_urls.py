"""A URLconf of many routes, for memory against the number of routes h2push learned.

``bench/route-<n>/`` for each ``n`` below :data:`benchmarks.assets.ROUTES`, each its
own URL pattern (h2push learns per pattern), each page loading the test project's
stylesheet and a script of its own (:func:`benchmarks.assets.route_script`), so
every learned entry holds a link no other route has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import path

from benchmarks.assets import ROUTES, route_script

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Route {n}</title>
<link rel="stylesheet" href="{css}"><script src="{js}" defer></script></head>
<body><h1>Route {n}</h1><p>One of many routes.</p></body></html>"""


def _page(route: int) -> Callable[..., Any]:
    async def view(request: HttpRequest) -> HttpResponse:
        css, js = static("css/base.css"), static(route_script(route))
        return HttpResponse(PAGE.format(n=route, css=css, js=js))

    view.__name__ = f"route_{route}"
    return view


urlpatterns = [path(f"bench/route-{n}/", _page(n)) for n in range(ROUTES)]
