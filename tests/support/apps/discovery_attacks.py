"""Pages and stylesheets built to make discovery's reading expensive (issue 17).

Each page starts with the head a normal page has (:data:`HEAD`: a stylesheet and
a script of the test project, :data:`NORMAL_URLS`), then the attack. Sizes are
parameters so that a test can build a version the code before the bounds could
still finish; the defaults are the issue's.

The same pages are served, for ``runh2server`` (settings
``tests.support.apps.discovery_attacks_settings``), at ``attack/<name>/`` (any of
:data:`PAGES`, each answered from memory once built) and a small page at
``attack/small/``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.urls import path

NORMAL_URLS = ("/static/css/discovery.css", "/static/js/app.js")
HEAD = (
    b'<!doctype html><html><head><meta charset="utf-8"><title>attack</title>'
    b'<link rel="stylesheet" href="/static/css/discovery.css">'
    b'<script src="/static/js/app.js" defer></script></head><body>'
)
#: The size of the issue's page of nested ``<div>``\s.
ISSUE_SIZE = 900_000


def _fill(unit: bytes, size: int) -> bytes:
    return HEAD + unit * max(0, (size - len(HEAD)) // len(unit))


def nested_divs(size: int = ISSUE_SIZE) -> bytes:
    """Each ``<div>`` scans the whole stack of open elements: quadratic."""
    return _fill(b"<div>", size)


def nested_lists(size: int = ISSUE_SIZE) -> bytes:
    """Each ``<li>`` walks the stack looking for an open ``<li>``: quadratic."""
    return _fill(b"<ul><li>", size)


def distinct_formatting(size: int = ISSUE_SIZE) -> bytes:
    """Formatting elements that differ in an attribute all stay in the list of
    active formatting elements, which each new one scans: quadratic."""
    tags: list[bytes] = []
    total = len(HEAD)
    while total < size:
        tags.append(b"<b id=%d>" % len(tags))
        total += len(tags[-1])
    return HEAD + b"".join(tags)


def reopened_formatting(kinds: int = 1000, size: int = ISSUE_SIZE) -> bytes:
    """A paragraph closes ``kinds`` formatting elements without ending them, and
    every later text node opens them all again: 12 bytes make ``kinds`` elements
    (70 KB took 4.8 s and 1.8 GB before the bounds)."""
    opened = b"<p>" + b"".join(b"<b id=%d>" % n for n in range(kinds)) + b"</p>"
    return HEAD + opened + b"<div>x</div>" * max(0, (size - len(HEAD) - len(opened)) // 12)


def distinct_stylesheets(count: int = 40_000) -> bytes:
    """As many stylesheets, each a URL of its own (1.6 MB for 40,000)."""
    links = b"".join(b"<link rel=stylesheet href=/static/css/s%d.css>" % n for n in range(count))
    return HEAD + links


def deep_foreign_scripts(depth: int = 50_000, scripts: int = 2_000) -> bytes:
    """An ``<svg>`` makes every script's ancestors matter; nested ``<span>``\\s
    (cheap for the parser) give each script ``depth`` of them."""
    tags = b"".join(b'<script src="/static/js/x%d.js"></script>' % n for n in range(scripts))
    return HEAD + b"<svg></svg>" + b"<span>" * depth + tags


def stylesheet_variants(name: str, count: int = 64) -> bytes:
    """The same stylesheet under ``count`` URLs (``?v=n``), after the normal head."""
    link = b'<link rel="stylesheet" href="/static/%s?v=%%d">' % name.encode()
    return HEAD + b"".join(link % n for n in range(count))


# ------------------------------------------------------------------ stylesheets

LATIN_FONT = "/static/fonts/attack-latin.woff2"


def many_font_faces(size: int = 1_000_000) -> bytes:
    """One Latin ``@font-face``, then as many others for other scripts (each one
    parsed, none taken) as fill ``size``."""
    latin = b"@font-face{font-family:A;src:url(%s) format('woff2')}\n" % LATIN_FONT.encode()
    other = (
        b"@font-face{font-family:A;src:url(/static/fonts/c.woff2) format('woff2');"
        b"unicode-range:U+0400-045F,U+0490-0491}\n"
    )
    return latin + other * max(0, (size - len(latin)) // len(other))


def nested_css(size: int = 1_000_000) -> bytes:
    """``@supports`` blocks nested as deep as ``size`` allows."""
    return b"@supports (display:grid) {" * (size // 26)


def ordinary_css(size: int = 1_000_000) -> bytes:
    """Rules as a framework's stylesheet has them, with one Latin font first."""
    font = b"@font-face{font-family:B;src:url(%s) format('woff2')}\n" % LATIN_FONT.encode()
    rule = (
        b".btn-primary:hover,.btn-primary:focus{color:#fff;background:url(/static/i.png);"
        b"background-color:rgba(11,94,215,.9);box-shadow:0 0 0 .25rem rgba(49,132,253,.5)}\n"
    )
    return font + rule * max(0, (size - len(font)) // len(rule))


# ------------------------------------------------------------------ served pages

PAGES: dict[str, Callable[[], bytes]] = {
    "nested-divs": nested_divs,
    "nested-lists": nested_lists,
    "distinct-formatting": distinct_formatting,
    "reopened-formatting": reopened_formatting,
    "distinct-stylesheets": distinct_stylesheets,
    "deep-foreign-scripts": deep_foreign_scripts,
}
SMALL = HEAD + b"<main><p>A small page.</p></main></body></html>"


@cache
def _built(name: str) -> bytes:
    return PAGES[name]()


def attack_page(request: HttpRequest, name: str) -> HttpResponse:
    if name not in PAGES:
        return HttpResponse(status=404)
    return HttpResponse(_built(name), content_type="text/html; charset=utf-8")


def small_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(SMALL, content_type="text/html; charset=utf-8")


urlpatterns = [
    path("attack/small/", small_page),
    path("attack/<str:name>/", attack_page),
]
