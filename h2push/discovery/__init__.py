"""Discovery: the static assets a page's HTML loads, read from the page itself.

:func:`discover` reads a successful HTML page and returns the assets that block or
start its rendering: stylesheets, scripts (module scripts as ``modulepreload``),
the author's own ``preload``/``modulepreload`` links, and the fonts that the
site's stylesheets load through ``@font-face``. Each carries the ``as``,
``crossorigin`` and ``type`` that the browser's own request will have, so a hint
and the later request are one download. Only URLs under ``STATIC_URL`` are taken
(:mod:`h2push.discovery.urls` says which exactly).

**When a page is parsed.** Most responses are not: a route's pages mostly repeat
what was found last time, and a full parse is the expensive part. Each process
remembers, for the last :data:`MAX_ROUTES` routes it saw (least recently used
first out), the fingerprints of the route's last few parsed pages and what was
found in each. A response is parsed when

* its route is new (or ``STATIC_URL`` changed), or
* its fingerprint is new and only one of the route's pages was parsed so far, or
* its fingerprint is none of those remembered, and at least
  :data:`MIN_RESPONSES_BETWEEN_PARSES` of the route's responses have gone by
  since its last parse (a page with a CSRF token or a clock in it differs every
  time: it is read once in that many responses, not every time), or
* :data:`SAMPLE_EVERY` of the route's responses have gone by since its last
  parse, whatever their fingerprint (so that a change the fingerprint cannot see,
  an edited stylesheet's fonts, or the middle of a very large page, is seen).

Otherwise a page seen before gets what was found in it, and any other page what
all the route's remembered pages had in common
(:mod:`h2push.discovery.routes`): a route whose pages differ never hands one
page's assets to another. A page larger than :data:`MAX_PAGE_BYTES` is never
parsed and yields nothing. The fingerprint is the page's length and the CRC-32
of its bytes (of its first and last 16 KB only, for a page over 256 KB).

Discovery never raises: a page that cannot be read yields nothing, and the
``h2push`` logger writes one warning per kind of failure.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from h2push.discovery import stylesheets
from h2push.discovery.page import find_assets
from h2push.discovery.routes import RouteMemory
from h2push.preload import Preload

__all__ = [
    "MAX_PAGE_BYTES",
    "MAX_ROUTES",
    "MIN_RESPONSES_BETWEEN_PARSES",
    "SAMPLE_EVERY",
    "discover",
    "forget",
]

logger = logging.getLogger("h2push")

#: Routes remembered per process.
MAX_ROUTES = 512
#: A changed page is parsed again only after this many of its route's responses.
MIN_RESPONSES_BETWEEN_PARSES = 10
#: Every route is parsed again after this many responses, changed or not.
SAMPLE_EVERY = 100
#: Pages larger than this are not parsed.
MAX_PAGE_BYTES = 2 * 1024 * 1024

_WHOLE_PAGE_FINGERPRINT = 256 * 1024
_EDGE = 16 * 1024
_MAX_WARNED = 64


_memory = RouteMemory(MAX_ROUTES, MIN_RESPONSES_BETWEEN_PARSES, SAMPLE_EVERY)
_warned: set[tuple[str, str]] = set()
_lock = threading.Lock()


def discover(
    route: str, content: bytes, charset: str | Callable[[], str | None] | None, static_url: str
) -> tuple[Preload, ...]:
    """The page's render-blocking and render-starting static assets, in document
    order, once each. ``charset`` is the response's, or a function that gives it
    (called only if the page is parsed).

    Cheap for most calls: it parses only when the route needs looking at (see the
    module's documentation); otherwise it answers from what it found in the
    route's recent pages.
    """
    if len(content) > MAX_PAGE_BYTES:
        return ()
    fingerprint = _fingerprint(content)
    remembered = _memory.answer(route, static_url, fingerprint)
    if remembered is not None:
        return remembered
    found = _parse(content, charset() if callable(charset) else charset, static_url)
    _memory.store(route, static_url, fingerprint, found)
    return found


def forget() -> None:
    """Forget every route, every stylesheet read, and the warnings given."""
    _memory.clear()
    with _lock:
        _warned.clear()
    stylesheets.clear()


def _fingerprint(content: bytes) -> tuple[int, int]:
    if len(content) <= _WHOLE_PAGE_FINGERPRINT:
        return len(content), zlib.crc32(content)
    # Hashing megabytes on every response would cost what sampling saves; the
    # head (stylesheets, scripts) and the tail (scripts) are where assets change.
    return len(content), zlib.crc32(content[-_EDGE:], zlib.crc32(content[:_EDGE]))


def _parse(content: bytes, charset: str | None, static_url: str) -> tuple[Preload, ...]:
    try:
        return find_assets(content, charset, static_url, _warn)
    except Exception as error:  # discovery must never cost the page
        _warn("reading a page", error)
        return ()


def _warn(doing: str, error: BaseException) -> None:
    cause = (doing, type(error).__name__)
    with _lock:
        if cause in _warned or len(_warned) >= _MAX_WARNED:
            return
        _warned.add(cause)
    logger.warning(
        "h2push discovery failed %s (%s: %s); it finds nothing there until this is fixed.",
        doing,
        type(error).__name__,
        error,
    )


@receiver(setting_changed)
def _forget_on_settings_change(setting: str, **kwargs: Any) -> None:
    # Where static files live, and under which URL, decide what is found.
    if setting.startswith("STATIC") or setting in ("STORAGES", "DEBUG", "INSTALLED_APPS"):
        forget()
