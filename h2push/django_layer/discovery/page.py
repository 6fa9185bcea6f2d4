"""One page's static assets: its markup's, then the fonts its stylesheets load."""

from __future__ import annotations

from collections.abc import Callable

from h2push.django_layer.discovery import stylesheets
from h2push.django_layer.discovery.budget import Budget, OverBudget, background
from h2push.django_layer.discovery.html import Tag, tags_in
from h2push.django_layer.discovery.urls import StaticScope, resolve_base
from h2push.django_layer.preload import Preload

__all__ = ["MAX_FOUND", "find_assets"]

#: The most assets one page yields (the middleware's own cap is usually lower);
#: it bounds what the per-route memory keeps.
MAX_FOUND = 64
# How deep `@import`s are followed for fonts.
_MAX_IMPORT_DEPTH = 3
# The stylesheets one page's fonts are looked for in, imports included.
_MAX_SHEETS = 64

Warn = Callable[[str, BaseException], None]

_BYTE_ORDER_MARKS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)


def find_assets(
    content: bytes,
    charset: str | None,
    static_url: str,
    warn: Warn,
    budget: Budget | None = None,
) -> tuple[Preload, ...]:
    """The page's static assets in document order, once each; fonts come last, in
    the order of the stylesheets that load them, as a browser finds them last.

    Within ``budget`` (:func:`~h2push.django_layer.discovery.budget.background`'s by default);
    on the event loop, a page that needs more raises
    :class:`~h2push.django_layer.discovery.budget.Deferred`."""
    budget = budget if budget is not None else background()
    scope = StaticScope(static_url)
    if not scope.usable:
        return ()
    # Lexbor reads UTF-8; the bytes measured and the bytes parsed must be the same.
    page = _decode(content, charset).encode("utf-8", errors="replace")
    tags, base_href, read = tags_in(page, budget)
    if read < len(page):
        cut = f"Lexbor parsed {read:,} of its {len(page):,} bytes in its CPU budget"
        warn("reading a page", OverBudget(cut))
    base = resolve_base(base_href)
    found: dict[str, Preload] = {}
    sheets: dict[str, None] = {}  # a dict: ordered, and a name is looked up in O(1)
    for count, tag in enumerate(tags):
        if len(found) >= MAX_FOUND:
            break  # fonts come after these, and nothing past MAX_FOUND is kept
        budget.check(count)
        url = scope.take(tag.href, base)
        hint = None if url is None else scope.preload(url, *_attributes(tag))
        if hint is None:
            continue
        # The first tag that names a URL says how it is hinted; a stylesheet named
        # earlier by a preload still has its fonts read.
        found.setdefault(hint.url, hint)
        if tag.stylesheet:
            sheets.setdefault(hint.url)
    visited: set[str] = set()
    for sheet in sheets:
        _add_fonts(sheet, scope, found, visited, 0, warn, budget)
    return tuple(found.values())[:MAX_FOUND]


def _attributes(tag: Tag) -> tuple[str, str | None, str | None, bool]:
    return tag.as_, tag.crossorigin, tag.type_, tag.module


def _decode(content: bytes, charset: str | None) -> str:
    """The page as the browser reads it: by its byte order mark, else in the
    response's charset (which wins over any `<meta charset>`), else as UTF-8;
    undecodable bytes become U+FFFD."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if content.startswith(mark):
            return content[len(mark) :].decode(encoding, errors="replace")
    if charset:
        try:
            return content.decode(charset, errors="replace")
        except (LookupError, UnicodeError):
            pass  # a charset Python does not know, or a codec that cannot replace
    return content.decode("utf-8", errors="replace")


def _add_fonts(
    sheet: str,
    scope: StaticScope,
    found: dict[str, Preload],
    visited: set[str],
    depth: int,
    warn: Warn,
    budget: Budget,
) -> None:
    """Add the fonts of ``sheet`` and of the stylesheets it imports to ``found``;
    their URLs are relative to the stylesheet that names them."""
    name = scope.static_name(sheet)
    if sheet in visited or name is None or len(found) >= MAX_FOUND:
        return
    if len(visited) >= _MAX_SHEETS:
        return  # a page of many stylesheets, each importing others
    visited.add(sheet)
    contents = stylesheets.contents_of(name, warn, budget)
    if depth < _MAX_IMPORT_DEPTH:
        for href in contents.imports:
            imported = scope.take(href, sheet)
            if imported is not None:
                _add_fonts(imported, scope, found, visited, depth + 1, warn, budget)
    for font in contents.fonts:
        url = scope.take(font.href, sheet)
        # A font is always fetched in CORS mode, with credentials for the same
        # origin only: `crossorigin` (anonymous), whatever the stylesheet's tag says.
        hint = None if url is None else scope.preload(url, "font", "anonymous", font.type_)
        if hint is not None:
            found.setdefault(hint.url, hint)
