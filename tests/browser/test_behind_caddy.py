"""A real browser follows the 103 that Gunicorn sends and Caddy forwards.

The Deploying page's first recipe as shipped (``deploy/Caddyfile`` and
``deploy/gunicorn.conf.py``, started by :mod:`harness.caddy_stack`):
Gunicorn serves the test project under WSGI behind Caddy, which terminates TLS with a
certificate this session made and serves the collected static files itself. Headless
Chromium and headless Firefox ESR (the ``browser`` fixture of :mod:`harness.crossbrowser`:
each test runs once in each, both trusting that certificate) load slow pages through
a delay proxy that adds 8 ms each way: on bare loopback Chromium can miss a 103 that
arrives within about a millisecond of its request.

Chromium sends ``Accept-Encoding`` with every navigation, so a Caddy that
compressed the page would hold the 103 back (Caddy 2.6's ``encode``); the shipped
file compresses static files only, and this test is the proof that the hint gets
through.

What the test shows, for an async and a sync view that declare their assets:

- the browser: the stylesheet's and the script's Resource Timing entries have
  ``initiatorType == "early-hints"`` (fetched for the 103), with ``transferSize == 0``
  in Chromium (used as such); Firefox counts the preload's bytes in that entry and
  shows instead that the asset had arrived before the page's final headers; the
  navigation saw an interim response long before the final one (both browsers have
  ``firstInterimResponseStart``); the page rendered styled, over HTTP/2;
- Caddy's access log: each asset was requested once (never downloaded twice), and
  its response was complete long before the page's, that is while the view slept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.browser import ProxiedSite, certificate_pin, poll
from harness.caddy_stack import CaddyStack, start_stack
from harness.constants import CSS_PATH, JS_PATH
from harness.crossbrowser import (
    LISTED_PAGE_JS,
    Browser,
    browser_fixture,  # noqa: F401 (the ``browser`` fixture, found by pytest)
)
from harness.proxy import DelayProxy

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
class Site(ProxiedSite):
    stack: CaddyStack


@dataclass
class Visit:
    browser: str
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
        lines = [f"{self.path} in {self.browser}:"]
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
    certfile, keyfile = dev_cert_pair  # the certificate the ``browser`` fixture trusts
    stack = start_stack(tmp_path_factory.mktemp("caddy-browser"), certfile, keyfile)
    try:
        with DelayProxy(stack.host, stack.port, delay=DELAY_SECONDS) as proxy:
            yield Site(proxy=proxy, pin=certificate_pin(certfile), stack=stack)
    finally:
        stack.stop()


def visit(browser: Browser, site: Site, path: str) -> Visit:
    """Load ``path`` as a new visitor (an empty cache, so nothing comes from a visit
    before); return what the browser and Caddy saw."""
    offset = len(site.stack.access_log())
    seen = browser.read(site.url(path), LISTED_PAGE_JS)
    # Caddy writes a line after the response, so the page's own line can trail the
    # browser's load event.
    log = poll(
        lambda: site.stack.access_log()[offset:],
        lambda log: any(entry["request"]["uri"] == path for entry in log),
        lambda log: f"Caddy logged no request for {path}: {log}",
    )
    color, listed = seen.page["headingColor"], seen.page["listed"]
    return Visit(browser.name, path, seen.resources, seen.navigation, color, listed, log)


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_hinted_assets_are_fetched_while_the_view_sleeps(
    browser: Browser, site: Site, kind: str
) -> None:
    path = f"{PAGES[kind]}?ms={VIEW_MS}"
    seen = visit(browser, site, path)
    report = seen.report()
    print(report)

    # The browser: the page arrived styled over HTTP/2, its assets preloaded from the
    # 103 and used as such.
    assert seen.heading_color == ACCENT, report
    assert seen.navigation["nextHopProtocol"] == "h2", report
    navigation = seen.navigation
    for asset in (CSS_PATH, JS_PATH):
        entry = seen.resources[asset]
        assert entry["initiatorType"] == "early-hints", report
        if seen.browser == "chromium":
            # No transfer of its own: the page used the preloaded response.
            assert entry["transferSize"] == 0, report
        else:
            # Firefox counts the preload's bytes in this entry, and times it from the
            # 103: the asset had fully arrived before the page's final headers.
            assert entry["responseEnd"] < navigation["finalResponseHeadersStart"], report
    assert f"{CSS_PATH}: early-hints" in seen.listed, seen.listed
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
