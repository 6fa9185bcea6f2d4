"""Discovery: the static assets a page's HTML loads, read from the page itself.

:func:`discover` reads a successful HTML page and returns the assets that block or
start its rendering: stylesheets, scripts (module scripts as ``modulepreload``),
the author's own ``preload``/``modulepreload`` links, and the fonts that the
site's stylesheets load through ``@font-face``. Each carries the ``as``,
``crossorigin`` and ``type`` that the browser's own request will have, so a hint
and the later request are one download. Only URLs under ``STATIC_URL`` are taken
(:mod:`h2push.django_layer.discovery.urls` says which exactly).

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
(:mod:`h2push.django_layer.discovery.routes`): a route whose pages differ never hands one
page's assets to another. A page larger than :data:`MAX_PAGE_BYTES` is never
parsed and yields nothing. The fingerprint is the page's length and the CRC-32
of its bytes (of its first and last 16 KB only, for a page over 256 KB).

**What a reading may cost** is bounded in CPU time, whatever the page holds
(:mod:`h2push.django_layer.discovery.budget`): Lexbor parses as much of it as it can in its
share (:mod:`h2push.django_layer.discovery.lexbor`), stylesheets are scanned rather than
tokenised (:mod:`h2push.django_layer.discovery.cssscan`), and tags, assets and stylesheets are
counted. On an event loop (ASGI), a page is read there only if that takes a few
milliseconds; any other goes to one background thread
(:mod:`h2push.django_layer.discovery.background`), and its response gets what the route's
remembered pages tell until the reading ends.

Discovery never raises: a page that cannot be read yields nothing, and the
``h2push`` logger writes one warning per kind of failure (and one when a bound
left part of a page or a stylesheet unread).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import zlib
from collections.abc import Callable

from h2push.core import caches
from h2push.django_layer.discovery import budget, stylesheets
from h2push.django_layer.discovery.background import Background
from h2push.django_layer.discovery.page import find_assets
from h2push.django_layer.discovery.routes import Fingerprint, RouteMemory
from h2push.django_layer.preload import Preload

__all__ = [
    "MAX_PAGE_BYTES",
    "MAX_ROUTES",
    "MAX_WAITING",
    "MIN_RESPONSES_BETWEEN_PARSES",
    "SAMPLE_EVERY",
    "discover",
    "forget",
    "reading",
    "wait_for_background",
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


#: Pages waiting to be read in the background, at most (one per route).
MAX_WAITING = 4

_memory = RouteMemory(MAX_ROUTES, MIN_RESPONSES_BETWEEN_PARSES, SAMPLE_EVERY)
_background = Background(MAX_WAITING)
_generation = 0  # counts forget()s
_lock = threading.Lock()


def discover(
    route: str,
    content: bytes,
    charset: str | Callable[[], str | None] | None,
    static_url: str,
    *,
    guess: bool = True,
) -> tuple[Preload, ...]:
    """The page's render-blocking and render-starting static assets, in document
    order, once each. ``charset`` is the response's, or a function that gives it
    (called only if the page is parsed).

    Cheap for most calls: it parses only when the route needs looking at (see the
    module's documentation); otherwise it answers from what it found in the
    route's recent pages. On an event loop, a page that takes more than a few
    milliseconds to read is read in the background: this response gets what the
    route's remembered pages tell, and a later one what the page had. With
    ``guess`` off, a page not seen before is read rather than answered with what
    the route's pages share.
    """
    if len(content) > MAX_PAGE_BYTES:
        return ()
    fingerprint = _fingerprint(content)
    remembered = _memory.answer(route, static_url, fingerprint, guess)
    if remembered is not None:
        return remembered
    resolved = charset() if callable(charset) else charset
    if _on_event_loop():
        found = _read_on_event_loop(route, content, resolved, static_url, fingerprint)
        if found is None:
            return _memory.meanwhile(route, static_url, fingerprint)
    else:
        found = _parse(content, resolved, static_url, budget.background())
    _memory.store(route, static_url, fingerprint, found)
    return found


def reading(route: str) -> bool:
    """Whether a page of ``route`` is being read, or queued to be, in the background:
    what discovery answers for the route meanwhile is not the page's own."""
    return _background.busy_with(route)


def wait_for_background(timeout: float = 5.0) -> bool:
    """Wait until no page is being read, or queued to be, in the background;
    ``False`` if ``timeout`` seconds passed first. For tests and benchmarks."""
    return _background.wait_idle(timeout)


def forget() -> None:
    """Forget every route and every stylesheet read."""
    global _generation
    with _lock:
        _generation += 1  # what a reading under way finds is not kept
    _memory.clear()
    stylesheets.clear()


def _fingerprint(content: bytes) -> Fingerprint:
    if len(content) <= _WHOLE_PAGE_FINGERPRINT:
        return len(content), zlib.crc32(content)
    # Hashing megabytes on every response would cost what sampling saves; the
    # head (stylesheets, scripts) and the tail (scripts) are where assets change.
    return len(content), zlib.crc32(content[-_EDGE:], zlib.crc32(content[:_EDGE]))


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _read_on_event_loop(
    route: str, content: bytes, charset: str | None, static_url: str, fingerprint: Fingerprint
) -> tuple[Preload, ...] | None:
    """The page's assets if they can be read in a few milliseconds; else ``None``,
    and the page is queued to be read in the background."""
    if len(content) <= budget.INLINE_MAX_PAGE_BYTES:
        try:
            return _parse(content, charset, static_url, budget.on_event_loop())
        except budget.Deferred:
            pass
    generation = _generation

    def read_later() -> None:
        found = _parse(content, charset, static_url, budget.background())
        with _lock:
            if generation != _generation:
                return  # forgotten meanwhile (settings changed): found with the old ones
        _memory.store(route, static_url, fingerprint, found)

    _background.submit(route, read_later)
    return None


def _parse(
    content: bytes, charset: str | None, static_url: str, limits: budget.Budget
) -> tuple[Preload, ...]:
    try:
        return find_assets(content, charset, static_url, _warn, limits)
    except budget.Deferred:
        raise  # not a failure: the page is to be read elsewhere
    except Exception as error:  # discovery must never cost the page
        _warn("reading a page", error)
        return ()


def _warn(doing: str, error: BaseException) -> None:
    cause = ("discovery", doing, type(error).__name__)
    if isinstance(error, budget.OverBudget):
        caches.warn_once(
            logger,
            cause,
            "h2push discovery stopped %s early (%s); what it found until then is used. "
            "See 'What one page may cost' in docs/discovery.rst.",
            doing,
            error,
        )
        return
    caches.warn_once(
        logger,
        cause,
        "h2push discovery failed %s (%s: %s); it finds nothing there until this is fixed.",
        doing,
        type(error).__name__,
        error,
    )


def _depends_on(setting: str) -> bool:
    # Where static files live, and under which URL, decide what is found.
    return setting.startswith("STATIC") or setting in ("STORAGES", "DEBUG", "INSTALLED_APPS")


caches.on_forget(forget, when=_depends_on)
