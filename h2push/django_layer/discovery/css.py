"""What one stylesheet makes the browser fetch before it can draw text: the font
files of its ``@font-face`` rules, and the stylesheets it ``@import``\\ s.

``tinycss2`` tokenises the CSS as the CSS Syntax standard says, so comments,
strings and escapes are read as a browser reads them. Only the source a browser
would choose is taken from each ``@font-face`` (see :func:`_chosen_source`).
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import tinycss2  # type: ignore[import-untyped]
from tinycss2.bytes import decode_stylesheet_bytes  # type: ignore[import-untyped]

from h2push.django_layer.discovery.cssscan import Scanner, TooCostly, normalise, unsure

__all__ = ["MAX_RULE_CHARS", "MAX_TOKENISED_CHARS", "FontSource", "SheetContents", "read_sheet"]

# A hostile or generated stylesheet must not make one page read without end.
MAX_FONTS = 32
MAX_IMPORTS = 8
_MAX_NESTING = 8
#: An `@import` or `@font-face` rule longer than this is skipped: a real one is a
#: few hundred bytes (a font inlined as a ``data:`` URL is never hinted anyway).
MAX_RULE_CHARS = 8 * 1024
#: A stylesheet that must be tokenised whole (see :func:`cssscan.unsure`) is read
#: only up to this many characters: tinycss2 takes about 0.1 s for them at worst.
MAX_TOKENISED_CHARS = 16 * 1024

# `format()` values browsers load, with the MIME type the hint carries. An unknown
# format (embedded-opentype, svg) is one the browser skips for the next source.
_TYPE_BY_FORMAT = {
    "woff2": "font/woff2",
    "woff2-variations": "font/woff2",
    "woff": "font/woff",
    "woff-variations": "font/woff",
    "truetype": "font/ttf",
    "truetype-variations": "font/ttf",
    "opentype": "font/otf",
    "opentype-variations": "font/otf",
    "collection": "font/collection",
}
_TYPE_BY_EXTENSION = {
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".ttc": "font/collection",
}
# Formats a browser tries without a `format()` hint but cannot use today.
_UNUSABLE_EXTENSIONS = frozenset({".eot", ".svg"})
# `tech()` values current Chromium and Firefox support; a source needing anything
# else is skipped by the browser, so it is skipped here too.
_SUPPORTED_TECH = frozenset(
    {"features-opentype", "variations", "color-colrv0", "color-colrv1", "palettes"}
)
# A `unicode-range` subset is downloaded only when the page has text in it. Sites
# that self-host a font per script (latin, latin-ext, cyrillic, ...) would otherwise
# get every subset hinted; the one with Basic Latin letters is the one almost every
# page draws.
_BASIC_LATIN_LETTERS = (0x61, 0x7A)


@dataclass(frozen=True, slots=True)
class FontSource:
    """The ``url()`` a browser would download for one ``@font-face``."""

    href: str
    type_: str | None


@dataclass(frozen=True, slots=True)
class SheetContents:
    """The references of one stylesheet, as written (not yet resolved), and why
    the rest of it was left unread, if it was."""

    fonts: tuple[FontSource, ...] = ()
    imports: tuple[str, ...] = ()
    unread: str | None = None


def read_sheet(data: bytes, deadline: float = math.inf) -> SheetContents:
    """The fonts and unconditional imports of a stylesheet, in source order: those
    found before this thread's CPU time reached ``deadline``, if it did (then
    ``unread`` says so; see :mod:`h2push.django_layer.discovery.cssscan`)."""
    text, _encoding = decode_stylesheet_bytes(data)
    fonts: list[FontSource] = []
    imports: list[str] = []
    try:
        for rule in _at_rules_of(normalise(text), deadline):
            keyword = rule.lower_at_keyword
            if keyword == "import" and len(imports) < MAX_IMPORTS:
                href = _import_href(rule.prelude)
                if href is not None:
                    imports.append(href)
            elif keyword == "font-face" and len(fonts) < MAX_FONTS and rule.content is not None:
                source = _font_face_source(rule.content)
                if source is not None:
                    fonts.append(source)
            if len(fonts) >= MAX_FONTS and len(imports) >= MAX_IMPORTS:
                break  # nothing further could be taken
    except TooCostly as error:
        return SheetContents(tuple(fonts), tuple(imports), str(error))
    return SheetContents(tuple(fonts), tuple(imports))


def _at_rules_of(text: str, deadline: float) -> Iterator[Any]:
    if not unsure(text):
        scanner = Scanner(text, deadline)
        yield from _scanned(scanner, 0, len(text), True, 0)
        return
    # A spelling the scanner might misread: tinycss2 reads it all, if it is small.
    if len(text) > MAX_TOKENISED_CHARS:
        raise TooCostly(
            f"it spells url() with escapes, and is over {MAX_TOKENISED_CHARS} characters"
        )
    rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    yield from _at_rules(rules, 0)


def _scanned(scanner: Scanner, start: int, end: int, top: bool, depth: int) -> Iterator[Any]:
    """The `@import` and `@font-face` rules the scanner finds, parsed by tinycss2,
    with those of `@layer` and `@supports` blocks (as :func:`_at_rules`)."""
    for rule in scanner.at_rules(start, end, top):
        if rule.keyword in ("layer", "supports") and rule.block is not None:
            if depth < _MAX_NESTING:
                yield from _scanned(scanner, *rule.block, False, depth + 1)
        elif rule.keyword in ("import", "font-face") and rule.stop - rule.start <= MAX_RULE_CHARS:
            scanner.check_deadline()  # tinycss2's share counts too
            parsed = tinycss2.parse_stylesheet(
                scanner.text[rule.start : rule.stop], skip_comments=True, skip_whitespace=True
            )
            if parsed and parsed[0].type == "at-rule":
                yield parsed[0]


def _at_rules(rules: Iterable[Any], depth: int) -> Iterator[Any]:
    """The at-rules of a rule list, with those of `@layer` and `@supports` blocks
    (which apply in every current browser for the fonts sites use). `@media`
    blocks are left out: their fonts depend on the screen."""
    for rule in rules:
        if getattr(rule, "type", None) != "at-rule":
            continue
        if rule.lower_at_keyword in ("layer", "supports") and rule.content is not None:
            if depth < _MAX_NESTING:
                nested = tinycss2.parse_rule_list(
                    rule.content, skip_comments=True, skip_whitespace=True
                )
                yield from _at_rules(nested, depth + 1)
        else:
            yield rule


def _significant(tokens: Iterable[Any]) -> list[Any]:
    # A parse error (an end of file inside `url(`) leaves the tokens before it as
    # valid as a browser finds them.
    return [token for token in tokens if token.type not in ("whitespace", "comment", "error")]


def _url_of(token: Any) -> str | None:
    """The URL of a `url(...)` token, quoted or not."""
    if token.type == "url":
        return str(token.value)
    if token.type == "function" and token.lower_name == "url":
        arguments = _significant(token.arguments)
        if len(arguments) == 1 and arguments[0].type == "string":
            return str(arguments[0].value)
    return None


def _import_href(prelude: list[Any]) -> str | None:
    """An `@import` that always applies: no media query (other than all or screen)
    and no condition but a layer."""
    tokens = _significant(prelude)
    if not tokens:
        return None
    first, rest = tokens[0], tokens[1:]
    href = str(first.value) if first.type == "string" else _url_of(first)
    for token in rest:
        if token.type == "ident" and token.lower_value in ("layer", "all", "screen"):
            continue
        if token.type == "function" and token.lower_name == "layer":
            continue
        return None
    return href


def _font_face_source(content: list[Any]) -> FontSource | None:
    declarations: dict[str, list[Any]] = {}
    for item in tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True):
        if item.type == "declaration":
            declarations[item.lower_name] = item.value  # the last one counts
    if "font-family" not in declarations or "src" not in declarations:
        return None  # an @font-face without them is ignored by browsers
    unicode_range = declarations.get("unicode-range")
    if unicode_range is not None and not _covers_basic_latin(unicode_range):
        return None
    return _chosen_source(declarations["src"])


def _covers_basic_latin(value: list[Any]) -> bool:
    ranges = [token for token in _significant(value) if token.type != "literal"]
    if not ranges or any(token.type != "unicode-range" for token in ranges):
        return True  # an invalid descriptor is ignored: the whole font applies
    low, high = _BASIC_LATIN_LETTERS
    return any(token.start <= high and token.end >= low for token in ranges)


def _chosen_source(value: list[Any]) -> FontSource | None:
    """The first source of a `src` list that a current browser can download:
    `local()` fonts are skipped (whether one is installed is not known here), as
    are sources in a format or needing a technology the browser lacks."""
    for component in _split_commas(value):
        if not component:
            continue
        href = _url_of(component[0])
        if href is None:
            continue  # local(), or not a source at all
        usable, type_ = _hints(component[1:], href)
        if usable:
            return FontSource(href, type_)
    return None


def _hints(tokens: list[Any], href: str) -> tuple[bool, str | None]:
    """Whether a source is usable, and its MIME type, from its `format()` and
    `tech()` (or, without `format()`, from its file extension)."""
    type_: str | None = None
    has_format = False
    for token in tokens:
        if token.type != "function" or token.lower_name not in ("format", "tech"):
            return False, None
        words = [
            str(argument.value).lower()
            for argument in _significant(token.arguments)
            if argument.type in ("string", "ident")
        ]
        if token.lower_name == "tech":
            if not words or not set(words) <= _SUPPORTED_TECH:
                return False, None
            continue
        has_format = True
        # The old syntax lists several formats: the browser takes any it knows.
        type_ = next((_TYPE_BY_FORMAT[w] for w in words if w in _TYPE_BY_FORMAT), None)
        if type_ is None:
            return False, None
    if has_format:
        return True, type_
    # Not urlsplit(): it raises on some malformed URLs, and only the path matters.
    path = href.split("#", 1)[0].split("?", 1)[0]
    extension = posixpath.splitext(path)[1].lower()
    if extension in _UNUSABLE_EXTENSIONS:
        return False, None
    return True, _TYPE_BY_EXTENSION.get(extension)


def _split_commas(tokens: list[Any]) -> Iterator[list[Any]]:
    component: list[Any] = []
    for token in _significant(tokens):
        if token.type == "literal" and token.value == ",":
            yield component
            component = []
        else:
            component.append(token)
    yield component
