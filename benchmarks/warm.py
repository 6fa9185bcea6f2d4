"""The warm-cache limit of the browser benchmarks (``browser``'s variant w, ``lcp``'s
limit): the same page with every asset already in the browser's cache, its HTML
fetched anew over a new connection. No hint can bring a page sooner than this.

Both halves of it live here, shared by :mod:`benchmarks.paint` and :mod:`benchmarks.lcp`:

- the server's: :class:`StaticMaxAge` gives static files a lifetime, and
  :data:`WARM_KEEP_ALIVE` is the idle timeout (Hypercorn's ``keep_alive_timeout``)
  of the server the limit's loads go to;
- the browser's: :class:`WarmContext`, one browser context primed with the page.

Why a lifetime: Django's static file view, which ``runh2server`` serves static files
with, sends ``Last-Modified`` and no ``Cache-Control``, so a browser may keep a file
only heuristically (a tenth of its age since it was modified) and revalidates a file
written a moment ago with a round trip. A site in production serves its static files
with a lifetime.

Why a new tab per load: a cold load's new context starts a new renderer too, and the
tab that primed the cache, navigated again, painted about 100 ms sooner than a new
tab with the same cache (a reused renderer, not a cache, at work). Why a new
connection: a cold load pays for one, so the limit's server closes idle connections
after :data:`WARM_KEEP_ALIVE` seconds and each load waits that long after the last.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from h2push.core.contract import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

__all__ = [
    "MAX_AGE",
    "WARM_KEEP_ALIVE",
    "StaticMaxAge",
    "WarmContext",
    "limit_checks",
    "warm_context",
]

#: The lifetime given to every static file: an hour, longer than any run.
MAX_AGE = 3600
#: Seconds an idle connection to the limit's server stays open.
WARM_KEEP_ALIVE = 0.5
TIMEOUT_MS = 30_000

LoadT = TypeVar("LoadT")
#: Reads a load from a page: the page, the navigation's status, and whether the load
#: is a warm one (the priming load is not).
Read = Callable[["Page", int, bool], LoadT]


class StaticMaxAge:
    """Adds ``Cache-Control: public, max-age=...`` to answers under ``prefix`` that
    carry none; everything else passes through untouched."""

    def __init__(self, app: Any, prefix: str, max_age: int = MAX_AGE) -> None:
        self.app: ASGIApp = app
        self.prefix = prefix
        self.value = f"public, max-age={max_age}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def send_with_lifetime(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", self.value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_lifetime)


class WarmContext(Generic[LoadT]):
    """One context whose cache holds the page's assets: the warm-cache limit.

    On construction it loads ``url`` once, to its load event, and reads it with
    ``read`` (:attr:`priming`); :meth:`load` then opens the page in a new tab."""

    def __init__(self, browser: Browser, url: str, keep_alive: float, read: Read[LoadT]) -> None:
        self.url = url
        self.keep_alive = keep_alive
        self.read = read
        self.context: BrowserContext = browser.new_context()
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.page.goto(url, wait_until="load")
        self.priming = read(self.page, 200, False)
        self.idle_since = time.monotonic()

    def load(self, rtt_ms: float) -> LoadT:
        """The page again in a new tab, its HTML fetched anew over a new connection:
        the server closes the last one after ``keep_alive`` seconds idle, and the news
        takes half an RTT through the proxy."""
        wait = self.keep_alive + rtt_ms / 2000 + 0.25 - (time.monotonic() - self.idle_since)
        if wait > 0:
            time.sleep(wait)
        self.page.close()
        self.page = self.context.new_page()
        response = self.page.goto(self.url, wait_until="commit")
        load = self.read(self.page, response.status if response is not None else 0, True)
        self.idle_since = time.monotonic()
        return load

    def close(self) -> None:
        self.context.close()


@contextlib.contextmanager
def warm_context(
    browser: Browser, url: str | None, read: Read[LoadT], keep_alive: float = WARM_KEEP_ALIVE
) -> Iterator[WarmContext[LoadT] | None]:
    """A :class:`WarmContext` primed with ``url`` (None for no ``url``), closed on leaving."""
    context = WarmContext(browser, url, keep_alive, read) if url is not None else None
    try:
        yield context
    finally:
        if context is not None:
            context.close()


def limit_checks(
    results: Mapping[tuple[int, int, str], Sequence[Any]],
    limit: str,
    assets: Iterable[str],
    **more: Callable[[Any], bool],
) -> dict[str, int]:
    """How many of the limit's loads (variant ``limit`` in ``results``, keyed by RTT,
    view and variant) paid for a new connection (their request went out at least 0.8
    RTT after the navigation began: the TLS handshake's round trip; Chromium's
    connect timings read 0 for a connection it opened ahead of the request), fetched
    the HTML anew, passed each of ``more``'s checks, and took each asset from the
    cache."""
    loads = [
        (rtt, load) for (rtt, _, key), cell in results.items() if key == limit for load in cell
    ]
    checks = {
        "loads": len(loads),
        "new_connection": sum(load.request_start >= 0.8 * rtt for rtt, load in loads),
        "html_fetched": sum(load.html_bytes > 0 for _, load in loads),
    }
    for name, check in more.items():
        checks[name] = sum(check(load) for _, load in loads)
    for asset in assets:
        checks[f"{asset}_cached"] = sum(asset in load.cached for _, load in loads)
    return checks
