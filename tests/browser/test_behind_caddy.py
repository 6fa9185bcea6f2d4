"""A real browser follows the 103 that Gunicorn sends and Caddy forwards.

The Deploying page's first recipe as shipped (``deploy/Caddyfile`` and
``deploy/gunicorn.conf.py``, started by :mod:`tests.support.apps.caddy_stack`):
Gunicorn serves the test project under WSGI behind Caddy, which terminates TLS with a
certificate this session made and serves the collected static files itself. Headless
Chromium (:mod:`tests.support.browser`, trusting that certificate by its pin) loads
slow pages through a delay proxy that adds 8 ms each way: on bare loopback Chromium
can miss a 103 that arrives within about a millisecond of its request.

Chromium sends ``Accept-Encoding`` with every navigation, so a Caddy that
compressed the page would hold the 103 back (Caddy 2.6's ``encode``); the shipped
file compresses static files only, and this test is the proof that the hint gets
through.

What the test shows, for an async and a sync view that declare their assets:

- the browser: the stylesheet's and the script's Resource Timing entries have
  ``initiatorType == "early-hints"`` and ``transferSize == 0`` (fetched for the 103,
  used as such); the navigation saw an interim response long before the final one;
  the page rendered styled, over HTTP/2;
- Caddy's access log: each asset was requested once (never downloaded twice), and
  its response was complete long before the page's, that is while the view slept.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Playwright, sync_playwright

from tests.support.apps.caddy_stack import CaddyStack, start_stack
from tests.support.browser import (
    certificate_pin,
    launch_profile,
    navigation_entry,
    require_chromium,
    resource_entries,
)
from tests.support.constants import CSS_PATH, JS_PATH
from tests.support.proxy import DelayProxy

pytestmark = pytest.mark.browser

DELAY_SECONDS = 0.008
# Long enough that "fetched while the view slept" holds with a wide margin on a
# busy machine, where Chromium can take a few hundred ms to act on a 103.
VIEW_MS = 1500
MARGIN_MS = VIEW_MS / 3
# --accent in base.css, the colour of the page's <h1> once it is styled.
ACCENT = "rgb(11, 122, 117)"

PAGES = {"async": "/slow/declared/", "sync": "/caddy/sync/declared/"}


@dataclass
class Site:
    stack: CaddyStack
    proxy: DelayProxy
    pin: str

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.proxy.port}{path}"


@dataclass
class Visit:
    path: str
    resources: dict[str, dict[str, Any]]
    navigation: dict[str, Any]
    heading_color: str
    listed: list[str]
    log: list[dict[str, Any]]

    def requests_of(self, path: str) -> list[dict[str, Any]]:
        """Caddy's access log entries for ``path`` (query included) in this visit."""
        return [entry for entry in self.log if entry["request"]["uri"] == path]

    def ended_at(self, path: str) -> float:
        """When Caddy finished answering ``path`` (its log line's time, in seconds)."""
        (entry,) = self.requests_of(path)
        return float(entry["ts"])

    def report(self) -> str:
        lines = [f"{self.path}:"]
        lines += [
            f"  {entry['request']['uri']} {entry['status']} ended "
            f"{(entry['ts'] - self.ended_at(self.path)) * 1000:+.1f} ms from the page's end"
            for entry in self.log
        ]
        lines += [f"  navigation: {self.navigation}", f"  resources: {self.resources}"]
        return "\n".join(lines)


@pytest.fixture(scope="module")
def site(
    dev_cert_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    require_chromium()
    certfile, keyfile = dev_cert_pair
    stack = start_stack(tmp_path_factory.mktemp("caddy-browser"), certfile, keyfile)
    try:
        with DelayProxy(stack.host, stack.port, delay=DELAY_SECONDS) as proxy:
            yield Site(stack, proxy, certificate_pin(certfile))
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright: Playwright, site: Site, tmp_path: Path) -> Iterator[BrowserContext]:
    """Chromium with a fresh profile: an empty cache, so nothing comes from a visit before."""
    context = launch_profile(playwright, tmp_path / "profile", site.pin)
    yield context
    context.close()


def visit(context: BrowserContext, site: Site, path: str) -> Visit:
    """Load ``path`` in a new tab; return what the browser and Caddy saw."""
    offset = len(site.stack.access_log())
    page = context.new_page()
    response = page.goto(site.url(path), wait_until="load")
    assert response is not None
    assert response.status == 200, response.status
    # The page's script lists each resource once DOMContentLoaded fired.
    page.wait_for_selector("#resource-timing li")
    resources = resource_entries(page)
    navigation = navigation_entry(page)
    heading_color = page.eval_on_selector("h1", "h => getComputedStyle(h).color")
    listed = page.eval_on_selector_all(
        "#resource-timing li", "items => items.map(i => i.textContent)"
    )
    page.close()
    return Visit(path, resources, navigation, heading_color, listed, _log_of(site, path, offset))


def _log_of(site: Site, path: str, offset: int) -> list[dict[str, Any]]:
    """Caddy's log lines from ``offset`` on, once the page's own line is there: Caddy
    writes a line after the response, so it can trail the browser's load event."""
    deadline = time.monotonic() + 5
    while True:
        log = site.stack.access_log()[offset:]
        if any(entry["request"]["uri"] == path for entry in log):
            return log
        assert time.monotonic() < deadline, f"Caddy logged no request for {path}: {log}"
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_hinted_assets_are_fetched_while_the_view_sleeps(
    browser: BrowserContext, site: Site, kind: str
) -> None:
    path = f"{PAGES[kind]}?ms={VIEW_MS}"
    seen = visit(browser, site, path)
    report = seen.report()
    print(report)

    # The browser: the page arrived styled over HTTP/2, its assets preloaded from the
    # 103 and used as such.
    assert seen.heading_color == ACCENT, report
    assert seen.navigation["nextHopProtocol"] == "h2", report
    for asset in (CSS_PATH, JS_PATH):
        entry = seen.resources[asset]
        assert entry["initiatorType"] == "early-hints", report
        assert entry["transferSize"] == 0, report
    assert f"{CSS_PATH}: early-hints" in seen.listed, seen.listed
    navigation = seen.navigation
    assert navigation["firstInterimResponseStart"] > 0, report
    interim_lead = navigation["finalResponseHeadersStart"] - navigation["firstInterimResponseStart"]
    assert interim_lead >= MARGIN_MS, report

    # Caddy: one request per asset, answered long before the page was.
    page_end = seen.ended_at(path)
    for asset in (CSS_PATH, JS_PATH):
        assert len(seen.requests_of(asset)) == 1, report
        assert (page_end - seen.ended_at(asset)) * 1000 >= MARGIN_MS, report
    lead = (page_end - seen.ended_at(CSS_PATH)) * 1000
    print(f"{kind} view: the stylesheet was served {lead:.0f} ms before the page ended")
