"""Headless Chromium for the ``lcp`` benchmark: cold loads, warm loads, teaching visits.

One browser (:func:`benchmarks.chromium.chromium`: Debian's Chromium through
Playwright, the test certificate trusted by its SPKI pin only) serves the whole run.

- :meth:`HeroLoader.cold` loads a page in a fresh context: an empty cache and a new
  connection, a first visit.
- :meth:`HeroLoader.warm` is the warm-cache limit (:class:`benchmarks.warm.WarmContext`,
  shared with the ``browser`` benchmark): one context loads the page once, fully, so
  that its stylesheet, font and image are in the context's cache (every static file
  is served with a ``max-age``: see :mod:`benchmarks.lcp_asgi`); each measured load
  then opens the page in a new tab of that context. The HTML is fetched anew
  (Django's page carries no cache headers) and the connection is new too, since the
  warm server closes idle connections after half a second
  (:data:`benchmarks.warm.WARM_KEEP_ALIVE`); each load records whether both held.
- :meth:`HeroLoader.teach` is one visitor that reports to h2push's field endpoint:
  it loads the page with ``X-H2push-Bench-Client`` set to an address of its own,
  waits for the hero's LCP entry, then fires ``pagehide`` at the window, on which
  h2push's own script sends its report, and waits for h2push's answer. Leaving the
  page for real sends the report too, but Chromium then sends it as a keepalive
  request without the headers Playwright adds (``extra_http_headers``): every
  report would come from 127.0.0.1, and h2push rightly counts only the first.

Every load reads, in the page, the last ``largest-contentful-paint`` entry once it
is the hero image (or after 10 s), the first contentful paint, the navigation's
timing and the Resource Timing entries of the hero, stylesheet and font.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Browser, Page

from benchmarks.lcp_urls import FONT_NAME, HERO_NAME, STYLESHEET_NAME
from benchmarks.warm import WarmContext, warm_context

__all__ = ["ASSETS", "CLIENT_HEADER", "HeroLoad", "HeroLoader"]

STATIC = "/static/"
#: The page's assets by the name a report gives them.
ASSETS = {
    "hero": STATIC + HERO_NAME,
    "stylesheet": STATIC + STYLESHEET_NAME,
    "font": STATIC + FONT_NAME,
}
#: The header a teaching visit carries (``H2PUSH_FIELD_CLIENT_HEADER``).
CLIENT_HEADER = "X-H2push-Bench-Client"
TIMEOUT_MS = 30_000
# What leaving the page fires: h2push's script (h2push/field.js) reports on it.
PAGEHIDE_JS = "() => window.dispatchEvent(new PageTransitionEvent('pagehide'))"

# Resolves once the last LCP candidate is the hero image and the expected assets have
# Resource Timing entries (or 10 s passed). A cold load's assets all come over the
# network; a warm load's may come from the renderer's memory cache, which lists no
# entry, so a warm load waits for none.
READ_JS = """([hero, expected]) => new Promise(resolve => {
    const started = performance.now();
    let lcp = null;
    const path = url => {
        try { return new URL(url, location.href).pathname; } catch (e) { return ''; }
    };
    try {
        new PerformanceObserver(list => {
            const entries = list.getEntries();
            if (entries.length) lcp = entries[entries.length - 1];
        }).observe({type: 'largest-contentful-paint', buffered: true});
    } catch (e) {}
    const done = () => {
        const heroPainted = lcp && lcp.element && lcp.element.tagName === 'IMG'
            && path(lcp.url) === hero;
        const listed = performance.getEntriesByType('resource').map(e => path(e.name));
        return heroPainted && expected.every(p => listed.includes(p));
    };
    const finish = () => {
        const nav = performance.getEntriesByType('navigation')[0];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        resolve({
            lcp: lcp ? lcp.startTime : null,
            lcpUrl: lcp ? path(lcp.url) : null,
            lcpTag: lcp && lcp.element ? lcp.element.tagName : null,
            fcp: fcp ? fcp.startTime : null,
            nav: {
                connectStart: nav.connectStart, connectEnd: nav.connectEnd,
                secureConnectionStart: nav.secureConnectionStart,
                requestStart: nav.requestStart,
                interim: nav.firstInterimResponseStart || 0,
                responseStart: nav.responseStart, responseEnd: nav.responseEnd,
                transferSize: nav.transferSize, protocol: nav.nextHopProtocol,
            },
            resources: performance.getEntriesByType('resource').map(e => ({
                path: path(e.name), initiator: e.initiatorType, transferSize: e.transferSize,
                decoded: e.decodedBodySize, delivery: e.deliveryType || '',
                start: e.startTime, end: e.responseEnd,
            })),
        });
    };
    const check = () => {
        if (done() || performance.now() - started > 10000) { finish(); return; }
        setTimeout(check, 5);
    };
    check();
})"""


@dataclass
class HeroLoad:
    """One load of the hero page, in milliseconds from the navigation's start."""

    status: int
    lcp: float  # NaN if the hero never became the LCP
    lcp_url: str | None
    fcp: float
    html_end: float
    interim: float  # when a 103 arrived; 0 for none
    request_start: float  # the navigation's requestStart: after the TLS handshake, if any
    html_bytes: int  # the navigation's transferSize: 0 if the HTML came from a cache
    ends: dict[str, float] = field(default_factory=dict)  # asset name: responseEnd
    from_hints: list[str] = field(default_factory=list)  # assets taken from the 103
    cached: list[str] = field(default_factory=list)  # assets with no bytes transferred
    # What the server recorded, in ms from its reading of the page's request.
    server: dict[str, float] = field(default_factory=dict)

    @property
    def hero_is_lcp(self) -> bool:
        return self.lcp_url == ASSETS["hero"] and self.lcp == self.lcp

    def end(self, asset: str) -> float:
        return self.ends.get(asset, float("nan"))


def _read(page: Page, status: int, warm: bool) -> HeroLoad:
    expected = [] if warm else list(ASSETS.values())
    seen: dict[str, Any] = page.evaluate(READ_JS, [ASSETS["hero"], expected])
    nav = seen["nav"]
    load = HeroLoad(
        status=status,
        lcp=float(seen["lcp"]) if seen["lcp"] is not None else float("nan"),
        lcp_url=seen["lcpUrl"],
        fcp=float(seen["fcp"]) if seen["fcp"] is not None else float("nan"),
        html_end=float(nav["responseEnd"]),
        interim=float(nav["interim"]),
        request_start=float(nav["requestStart"]),
        html_bytes=int(nav["transferSize"]),
    )
    by_path = {entry["path"]: entry for entry in seen["resources"]}
    for name, asset_path in ASSETS.items():
        entry = by_path.get(asset_path)
        if entry is None:
            # Listed by no entry: taken from the renderer's memory cache (warm loads).
            if warm:
                load.cached.append(name)
            continue
        load.ends[name] = float(entry["end"])
        if entry["initiator"] == "early-hints":
            load.from_hints.append(name)
        if entry["transferSize"] == 0 and (entry["decoded"] > 0 or entry["delivery"] == "cache"):
            load.cached.append(name)
    return load


class HeroLoader:
    """Loads pages in contexts of one running browser."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser

    def cold(self, url: str) -> HeroLoad:
        """A first visit: a fresh context, its cache empty, its connection new."""
        context = self.browser.new_context()
        try:
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            response = page.goto(url, wait_until="commit")
            return _read(page, response.status if response is not None else 0, warm=False)
        finally:
            context.close()

    def teach(self, url: str, client: str, answered: Callable[[], int | None]) -> int | None:
        """One reporting visitor, from ``client``'s address; ``answered`` (polled until
        it gives a status, for up to 10 s) reads h2push's answer from the server's
        record. None if no answer came."""
        context = self.browser.new_context(extra_http_headers={CLIENT_HEADER: client})
        try:
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.goto(url, wait_until="load")
            _read(page, 200, warm=False)
            page.evaluate(PAGEHIDE_JS)
            deadline = time.monotonic() + 10
            while (status := answered()) is None and time.monotonic() < deadline:
                time.sleep(0.05)
            return status
        finally:
            context.close()

    def warm(
        self, url: str | None
    ) -> contextlib.AbstractContextManager[WarmContext[HeroLoad] | None]:
        """The warm-cache limit's context, primed with ``url`` (none for no ``url``)."""
        return warm_context(self.browser, url, _read)
