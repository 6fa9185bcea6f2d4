"""A page that names assets on many origins, for the end-to-end test that only the
site's own origins are ever hinted or pushed (issue 19,
``tests/e2e/test_foreign_origins.py``).

Its HTML loads stylesheets, scripts and fonts from :data:`FOREIGN` URLs (another
host, a look-alike host, a user name, another scheme or port, scheme-relative, a
``<base href>`` on another origin), and its view registers them in every way a view
can (``@push_url``, ``make_push_promise()``, ``response.push_promises``). Beside
them, its own stylesheet and one asset of the trusted :data:`ASSET_ORIGIN` are the
controls that must be hinted.
"""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import path

from h2push import make_push_promise, push_url

ASSET_ORIGIN = "https://cdn.trusted.example"
TRUSTED_SCRIPT = f"{ASSET_ORIGIN}/lib/app.js"
OWN_STYLESHEET = "/static/css/base.css"
FOREIGN = (
    "https://evil.example/static/css/base.css",
    "//evil.example/static/js/app.js",
    "https://cdn.trusted.example.evil.example/lib/app.js",
    "https://user@cdn.trusted.example/lib/x.js",
    "http://cdn.trusted.example/lib/y.js",
    "https://cdn.trusted.example:8443/lib/z.js",
    "https://127.0.0.1:9/static/css/base.css",
    "http://127.0.0.1/static/js/app.js",
)
# A view that answers slower than H2PUSH_EARLY_HINTS_MIN_VIEW_MS gets a 103.
VIEW_SECONDS = 0.05


def _page() -> bytes:
    tags = [f'<link rel="stylesheet" href="{OWN_STYLESHEET}">']
    for url in FOREIGN:
        tags.append(f'<link rel="stylesheet" href="{url}">')
        tags.append(f'<script src="{url}" defer></script>')
        tags.append(f'<link rel="preload" as="font" href="{url}" crossorigin>')
    head = "".join(tags)
    body = '<base href="https://evil.example/"><link rel="stylesheet" href="static/b.css">'
    return f"<!doctype html><html><head>{head}</head><body>{body}<p>hi</p></body></html>".encode()


@push_url(TRUSTED_SCRIPT, as_="script")
@push_url(FOREIGN[0], as_="style")
@push_url(FOREIGN[4], as_="script")
def page(request: HttpRequest) -> HttpResponse:
    time.sleep(VIEW_SECONDS)
    make_push_promise(static("css/base.css"))
    for url in FOREIGN:
        make_push_promise(url, as_="script")
    response = HttpResponse(_page())
    response.push_promises.add(FOREIGN[1])  # type: ignore[attr-defined]
    response.push_promises.add(FOREIGN[3])  # type: ignore[attr-defined]
    return response


urlpatterns = [path("page/", page)]
