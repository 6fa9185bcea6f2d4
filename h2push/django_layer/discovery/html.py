"""The render-blocking and render-starting assets that a page's markup names.

Lexbor (through ``selectolax``) builds the same tree a browser builds, so markup
that a browser would not act on is not read either: the content of ``<template>``,
comments, ``<textarea>``, ``<noscript>`` (parsed as a browser with scripts on reads
it), and SVG or MathML elements that happen to be named ``link`` or ``script``.

What reading a page may cost is bounded (:mod:`h2push.django_layer.discovery.budget`): Lexbor
reads as much of it as it can in its CPU budget (:mod:`h2push.django_layer.discovery.lexbor`),
and at most :data:`~h2push.django_layer.discovery.budget.MAX_TAGS` of its tags are examined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from h2push.django_layer.discovery.budget import MAX_TAGS, Budget, Deferred
from h2push.django_layer.discovery.lexbor import affordable_length

__all__ = ["Tag", "tags_in"]

# The `as` values of an author's own `<link rel=preload>` that h2push repeats: what
# styles and scripts the page, its fonts and its data. Images, media and documents
# are left to the browser (a hero image's preload often depends on the viewport).
_PRELOAD_DESTINATIONS = frozenset({"style", "script", "font", "fetch"})

# A `<script type>` that runs as a classic script (the HTML standard's JavaScript
# MIME type essences); any other type is data or a template, never fetched.
_CLASSIC_SCRIPT_TYPES = frozenset(
    {
        "",
        "application/ecmascript",
        "application/javascript",
        "application/x-ecmascript",
        "application/x-javascript",
        "text/ecmascript",
        "text/javascript",
        "text/javascript1.0",
        "text/javascript1.1",
        "text/javascript1.2",
        "text/javascript1.3",
        "text/javascript1.4",
        "text/javascript1.5",
        "text/jscript",
        "text/livescript",
        "text/x-ecmascript",
        "text/x-javascript",
    }
)

# How an examined tag starts, in the page's bytes lowered (the parser ignores case).
_TAG_NAMES = (b"<link", b"<script", b"<base")
_TAG_START = re.compile(rb"<(?:link|script|base)")
_LONGEST = max(len(name) for name in _TAG_NAMES)
_SLICE = 64 * 1024

# Elements inside these are SVG or MathML, unless an element whose content the
# parser reads as HTML again (an HTML or MathML text integration point) lies between.
_FOREIGN_ROOTS = frozenset({"svg", "math"})
_INTEGRATION_POINTS = frozenset(
    {"foreignobject", "desc", "title", "annotation-xml", "mi", "mo", "mn", "ms", "mtext"}
)


@dataclass(frozen=True, slots=True)
class Tag:
    """One asset the markup asks for, with the attributes its request will carry."""

    href: str
    as_: str
    crossorigin: str | None = None
    type_: str | None = None
    module: bool = False
    stylesheet: bool = False  # its fonts are worth reading


def tags_in(page: bytes, budget: Budget) -> tuple[list[Tag], str | None, int]:
    """The page's assets in document order, its first ``<base href>``, and how
    many of its bytes (UTF-8) were read: a page Lexbor cannot parse within the
    budget is read only as far as it got (on the event loop, it is not read here
    at all: :class:`~h2push.django_layer.discovery.budget.Deferred`)."""
    read = affordable_length(page[: _tags_end(page)], budget.parse_seconds, budget.chunk)
    if read < len(page) and budget.inline:
        raise Deferred("the page takes longer to parse than the event loop may wait")
    # With scripting on, `<noscript>` holds text, as in the browsers that matter.
    tree = LexborHTMLParser(page if read >= len(page) else page[:read], scripting=True)
    budget.check()
    foreign = _Foreign() if tree.css_first("svg, math") is not None else None
    found: list[Tag] = []
    base: str | None = None
    for count, node in enumerate(tree.css("base, link, script")[:MAX_TAGS]):
        budget.check(count)
        if foreign is not None and foreign(node):
            continue
        attrs = node.attributes
        if node.tag == "base":
            if base is None and attrs.get("href") is not None:
                base = attrs["href"]
            continue
        tag = _link(attrs) if node.tag == "link" else _script(attrs)
        if tag is not None:
            found.append(tag)
    return found, base, read


def _tags_end(page: bytes) -> int:
    """Where the page's :data:`MAX_TAGS` + 1st ``<link``, ``<script`` or ``<base``
    starts (those in comments and scripts count too, so it is never later than the
    parser's): no tag after it would be examined. Reading no further keeps the
    query's result short, and selectolax builds it all at once, holding the GIL.

    The page is lowered and counted a slice at a time, for the same reason."""
    seen = 0
    for start in range(0, len(page), _SLICE):
        # Each slice overlaps the next by a tag name less one byte, so that every
        # occurrence is counted once: in the slice where it starts.
        piece = page[start : start + _SLICE + _LONGEST - 1].lower()
        here = sum(piece.count(name, 0, _SLICE + len(name) - 1) for name in _TAG_NAMES)
        if seen + here > MAX_TAGS:
            starts = sorted(m.start() for m in _TAG_START.finditer(piece) if m.start() < _SLICE)
            return start + starts[MAX_TAGS - seen]
        seen += here
    return len(page)


class _Foreign:
    """Whether an element is SVG or MathML content: the nearest of its ancestors
    that is a foreign root or an integration point decides. What is learned of
    each ancestor is kept, so a page costs one walk up per element, not one per
    tag and level (a tag 30,000 levels deep, thousands of times, would not)."""

    def __init__(self) -> None:
        self._known: dict[int, bool] = {}

    def __call__(self, node: LexborNode) -> bool:
        walked: list[int] = []
        verdict = False
        parent = node.parent
        while parent is not None:
            key = parent.mem_id
            if key in self._known:
                verdict = self._known[key]
                break
            walked.append(key)
            name = (parent.tag or "").lower()  # SVG names keep their case: foreignObject
            if name in _INTEGRATION_POINTS or name in _FOREIGN_ROOTS:
                verdict = name in _FOREIGN_ROOTS
                break
            parent = parent.parent
        for key in walked:
            self._known[key] = verdict
        return verdict


def _crossorigin(attrs: dict[str, str | None]) -> str | None:
    """The CORS settings attribute as a browser reads it: present and not
    ``use-credentials`` (an empty or unknown value included) means anonymous."""
    if "crossorigin" not in attrs:
        return None
    value = (attrs["crossorigin"] or "").strip().lower()
    return "use-credentials" if value == "use-credentials" else "anonymous"


def _link(attrs: dict[str, str | None]) -> Tag | None:
    href = attrs.get("href")
    if not href:
        return None
    rels = (attrs.get("rel") or "").lower().split()
    if "stylesheet" in rels:
        # An alternate or disabled stylesheet is not applied, and a `type` other
        # than CSS is not even fetched.
        css_type = (attrs.get("type") or "").strip().lower()
        if "alternate" in rels or "disabled" in attrs or css_type not in ("", "text/css"):
            return None
        return Tag(href, "style", _crossorigin(attrs), stylesheet=True)
    if "modulepreload" in rels:
        destination = (attrs.get("as") or "script").strip().lower()
        if destination != "script":
            return None  # a worker's module graph: not the page's rendering
        return Tag(href, "script", _crossorigin(attrs), _type(attrs), module=True)
    if "preload" in rels:
        destination = (attrs.get("as") or "").strip().lower()
        if destination not in _PRELOAD_DESTINATIONS:
            return None
        return Tag(href, destination, _crossorigin(attrs), _type(attrs))
    return None


def _type(attrs: dict[str, str | None]) -> str | None:
    value = (attrs.get("type") or "").strip()
    return value or None


def _script(attrs: dict[str, str | None]) -> Tag | None:
    src = attrs.get("src")
    if not src:
        return None  # an inline script
    script_type = attrs.get("type")
    if script_type is None and attrs.get("language"):
        # The legacy `language` attribute counts when `type` is absent.
        script_type = f"text/{attrs['language']}"
    script_type = (script_type or "").strip().lower()
    if script_type == "module":
        return Tag(src, "script", _crossorigin(attrs), module=True)
    # `nomodule` marks a fallback for browsers without modules: every current one
    # skips it (it means nothing on a module script).
    if script_type in _CLASSIC_SCRIPT_TYPES and "nomodule" not in attrs:
        return Tag(src, "script", _crossorigin(attrs))
    return None
