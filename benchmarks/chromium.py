"""Headless Chromium for the browser benchmark: one cold page load, and what it saw.

One browser runs for the whole benchmark, launched as the browser tests launch it
(Debian's ``/usr/bin/chromium`` through Playwright, the test certificate trusted by
its SPKI pin only, see ``harness/browser.py``). Each load gets a browser
context of its own: in Chromium a new context is a fresh off-the-record profile,
with an empty HTTP cache and its own connections, so every load is a first visit
that opens its TCP and TLS connection anew. That costs about 50 ms where a new
profile folder and browser would cost a second or more.

From the page it reads the first contentful paint, the navigation's timing and the
Resource Timing entries of its assets (``startTime`` and ``responseEnd``, relative to
the navigation's start, as the paint; whether Chromium took an asset from a 103 or
from its cache).

:meth:`PageLoader.warm` is the warm-cache limit instead (``browser``'s variant w):
one context primed with the page, each load in a new tab of it, the assets in its
cache (see :mod:`benchmarks.warm`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from benchmarks.warm import WarmContext, warm_context
from harness.browser import CHROMIUM, CHROMIUM_FLAGS, certificate_pin, require_chromium

__all__ = ["ASSETS", "Load", "PageLoader", "chromium", "read_load"]

#: The assets of ``discovery/page.html``, by the name a report gives them.
ASSETS = {
    "stylesheet": "/static/css/discovery.css",
    "script": "/static/js/app.js",
    "module": "/static/js/discovery-module.js",
    "font": "/static/fonts/h2push-pixel.woff2",
}
TIMEOUT_MS = 30_000
NAN = float("nan")

# Resolves once the first contentful paint is known (it can come a frame after the
# HTML is in) and the expected assets have Resource Timing entries (or 10 s passed),
# with the navigation's and the resources' timings. Not waiting for the load event
# (the page's image) saves each load some time.
READ_JS = """expected => new Promise(resolve => {
    const started = performance.now();
    const paths = () => performance.getEntriesByType('resource').map(
        e => new URL(e.name).pathname);
    const finish = fcp => {
        if (!expected.every(p => paths().includes(p)) && performance.now() - started < 10000) {
            setTimeout(() => finish(fcp), 5);
            return;
        }
        const nav = performance.getEntriesByType('navigation')[0];
        resolve({
            fcp,
            htmlEnd: nav.responseEnd,
            interim: nav.firstInterimResponseStart || 0,
            requestStart: nav.requestStart,
            htmlStart: nav.finalResponseHeadersStart || nav.responseStart,
            htmlBytes: nav.transferSize,
            resources: performance.getEntriesByType('resource').map(e => ({
                path: new URL(e.name).pathname,
                initiator: e.initiatorType,
                start: e.startTime,
                end: e.responseEnd,
                transferSize: e.transferSize,
                decoded: e.decodedBodySize,
                delivery: e.deliveryType || '',
            })),
        });
    };
    const seen = performance.getEntriesByName('first-contentful-paint');
    if (seen.length) { finish(seen[0].startTime); return; }
    new PerformanceObserver(list => {
        const entry = list.getEntriesByName('first-contentful-paint')[0];
        if (entry) finish(entry.startTime);
    }).observe({type: 'paint', buffered: true});
})"""


@dataclass
class Load:
    """One page load, in milliseconds from the navigation's start."""

    status: int
    fcp: float
    html_end: float
    interim: float  # when a 103 arrived; 0 for none
    request_start: float = NAN  # when the page's request went out (after the TLS handshake)
    html_start: float = NAN  # when the final response's headers arrived
    html_bytes: int = 0  # the navigation's transferSize: 0 if the HTML came from a cache
    ends: dict[str, float] = field(default_factory=dict)  # asset name: responseEnd
    starts: dict[str, float] = field(default_factory=dict)  # asset name: startTime
    from_hints: list[str] = field(default_factory=list)  # assets the browser took from a 103
    cached: list[str] = field(default_factory=list)  # assets Chromium took from its cache
    # What the server recorded, in ms from its reading of the page's request
    # (see benchmarks.server_record); empty where it records nothing.
    server: dict[str, float] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)  # assets the server was asked for

    def end(self, asset: str) -> float:
        return self.ends.get(asset, NAN)

    def start(self, asset: str) -> float:
        return self.starts.get(asset, NAN)


def read_load(page: Page, status: int, assets: bool = True) -> Load:
    """What ``page`` saw once it painted: with ``assets``, after the entries of
    :data:`ASSETS` are listed too (the paint floor's page has none)."""
    seen = page.evaluate(READ_JS, list(ASSETS.values()) if assets else [])
    by_path = {entry["path"]: entry for entry in seen["resources"]}
    load = Load(
        status=status,
        fcp=float(seen["fcp"]),
        html_end=float(seen["htmlEnd"]),
        interim=float(seen["interim"]),
        request_start=float(seen["requestStart"]),
        html_start=float(seen["htmlStart"]),
        html_bytes=int(seen["htmlBytes"]),
    )
    for name, path in ASSETS.items():
        entry = by_path.get(path)
        if entry is None:
            continue
        load.ends[name] = float(entry["end"])
        load.starts[name] = float(entry["start"])
        if entry["initiator"] == "early-hints":
            load.from_hints.append(name)
        if entry["delivery"] == "cache":
            load.cached.append(name)
    return load


def read_warm(page: Page, status: int, warm: bool) -> Load:
    """:func:`read_load` of a page with its assets (a warm context's loads)."""
    return read_load(page, status)


class PageLoader:
    """Loads pages in fresh contexts of one running browser."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser

    def load(self, url: str, assets: bool = True) -> Load:
        """Load ``url`` in a fresh context; with ``assets``, wait for the entries of
        :data:`ASSETS` too (the paint floor's page has none)."""
        context = self.browser.new_context()
        try:
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            response = page.goto(url, wait_until="commit")
            return read_load(page, response.status if response is not None else 0, assets)
        finally:
            context.close()

    def warm(self, url: str | None) -> contextlib.AbstractContextManager[WarmContext[Load] | None]:
        """The warm-cache limit's context, primed with ``url`` (none for no ``url``)."""
        return warm_context(self.browser, url, read_warm)


@contextlib.contextmanager
def chromium(certfile: Path) -> Iterator[PageLoader]:
    """Headless Chromium trusting ``certfile`` by its pin; closed on leaving."""
    require_chromium()
    pin = certificate_pin(certfile)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_FLAGS, f"--ignore-certificate-errors-spki-list={pin}"],
            timeout=TIMEOUT_MS,
        )
        try:
            yield PageLoader(browser)
        finally:
            browser.close()
