"""The render-blocking and render-starting assets that a page's markup names.

Lexbor (through ``selectolax``) builds the same tree a browser builds, so markup
that a browser would not act on is not read either: the content of ``<template>``,
comments, ``<textarea>``, ``<noscript>`` (parsed as a browser with scripts on reads
it), and SVG or MathML elements that happen to be named ``link`` or ``script``.
"""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

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


def tags_in(text: str) -> tuple[list[Tag], str | None]:
    """The page's assets in document order, and its first ``<base href>``."""
    # With scripting on, `<noscript>` holds text, as in the browsers that matter.
    tree = LexborHTMLParser(text, scripting=True)
    has_foreign = tree.css_first("svg, math") is not None
    found: list[Tag] = []
    base: str | None = None
    for node in tree.css("base, link, script"):
        if has_foreign and _is_foreign(node):
            continue
        attrs = node.attributes
        if node.tag == "base":
            if base is None and attrs.get("href") is not None:
                base = attrs["href"]
            continue
        tag = _link(attrs) if node.tag == "link" else _script(attrs)
        if tag is not None:
            found.append(tag)
    return found, base


def _is_foreign(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        name = (parent.tag or "").lower()  # SVG names keep their case: foreignObject
        if name in _INTEGRATION_POINTS:
            return False
        if name in _FOREIGN_ROOTS:
            return True
        parent = parent.parent
    return False


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
