"""A real browser gets the 103 over HTTP/3 from the shipped Caddy recipe.

The Deploying page says Caddy serves HTTP/3; this is the proof. The stack is the
one of ``test_behind_caddy.py`` (:mod:`harness.caddy_stack`: ``deploy/Caddyfile``
and ``deploy/gunicorn.conf.py`` as shipped, Gunicorn under WSGI). Caddy 2.6 listens
for QUIC on UDP at the same port as TLS over TCP, with no line in the Caddyfile for
it. Headless Chromium (:mod:`harness.browser`) is forced onto QUIC for Caddy's
origin (``quic_origin``: ``--enable-quic --origin-to-force-quic-on``), so every
request is HTTP/3 from the first, and trusts the test certificate by its pin, which
covers QUIC's TLS as well.

There is no delay proxy here: the one in :mod:`harness.proxy` relays TCP, and QUIC is
UDP. The browser talks to Caddy directly on loopback.

The page is the sync view whose assets are named only in its template, so the 103
comes from what h2push learned: one profile visits it twice (no hint yet, the pages
have to agree first), then a second, fresh profile (a cold cache) visits it with a
view that sleeps ``VIEW_MS``. The test asserts

- the teaching visits: over ``h3``, without an interim response;
- the cold visit: the navigation's ``nextHopProtocol == "h3"``; an interim response
  long before the final one; the stylesheet's Resource Timing entry has
  ``initiatorType == "early-hints"`` and ``transferSize == 0`` and came over ``h3``;
  the page rendered styled;
- Caddy's access log: the page and the stylesheet were requested over
  ``HTTP/3.0``, the stylesheet once, and Caddy finished sending it long before it
  finished the page (that is, while the view slept).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Playwright

from harness.browser import (
    ListedPage,
    certificate_pin,
    launch_profile,
    playwright_fixture,  # noqa: F401 (the ``playwright`` fixture, found by pytest)
    poll,
    read_listed_page,
    require_chromium,
)
from harness.caddy_stack import CaddyStack, start_stack
from harness.constants import CSS_PATH

pytestmark = pytest.mark.browser

PAGE = "/caddy/sync/learned/"
VIEW_MS = 1000
MARGIN_MS = VIEW_MS / 3
# --accent in base.css, the colour of the page's <h1> once it is styled.
ACCENT = "rgb(11, 122, 117)"
HTTP3 = "HTTP/3.0"  # how Caddy's access log names the protocol


@dataclass
class Site:
    """Caddy in front of Gunicorn, reached directly (no proxy), trusted by its pin."""

    stack: CaddyStack
    pin: str

    @property
    def origin(self) -> str:
        return f"{self.stack.host}:{self.stack.port}"

    def url(self, path: str) -> str:
        return self.stack.url(path)


@pytest.fixture(scope="module")
def site(
    dev_cert_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    require_chromium()
    certfile, keyfile = dev_cert_pair
    stack = start_stack(tmp_path_factory.mktemp("caddy-http3"), certfile, keyfile)
    try:
        yield Site(stack=stack, pin=certificate_pin(certfile))
    finally:
        stack.stop()


@pytest.fixture
def new_quic_profile(
    playwright: Playwright, site: Site, tmp_path: Path
) -> Iterator[Callable[[], BrowserContext]]:
    """``new_quic_profile()``: Chromium in a fresh profile, on QUIC for the site."""
    contexts: list[BrowserContext] = []

    def launch() -> BrowserContext:
        profile = tmp_path / f"profile-{len(contexts)}"
        context = launch_profile(playwright, profile, site.pin, quic_origin=site.origin)
        contexts.append(context)
        return context

    yield launch
    for context in contexts:
        context.close()


def caddy_saw(site: Site, offset: int, path: str) -> list[dict[str, Any]]:
    """Caddy's access log from line ``offset`` on, once it has a line for ``path``
    (Caddy writes it after the response, so it can trail the browser's load event)."""
    return poll(
        lambda: site.stack.access_log()[offset:],
        lambda log: any(entry["request"]["uri"] == path for entry in log),
        lambda log: f"Caddy logged no request for {path}: {log}",
    )


def report(seen: ListedPage, log: list[dict[str, Any]]) -> str:
    lines = [
        f"  {entry['request']['proto']} {entry['request']['uri']} {entry['status']} "
        f"ts={entry['ts']:.3f}"
        for entry in log
    ]
    return "\n".join([*lines, f"  navigation: {seen.navigation}", f"  resources: {seen.resources}"])


def test_a_cold_visit_gets_the_learned_hint_over_http3(
    new_quic_profile: Callable[[], BrowserContext], site: Site
) -> None:
    # Teach the route: two pages that agree on their assets, no hint yet.
    teacher = new_quic_profile()
    for _ in range(2):
        taught = read_listed_page(teacher, site.url(f"{PAGE}?ms=0"))
        assert taught.navigation["nextHopProtocol"] == "h3", taught.navigation
        assert taught.navigation["firstInterimResponseStart"] == 0, taught.navigation

    # A new visitor: an empty cache, a fresh QUIC connection.
    path = f"{PAGE}?ms={VIEW_MS}"
    offset = len(site.stack.access_log())
    seen = read_listed_page(new_quic_profile(), site.url(path))
    log = caddy_saw(site, offset, path)
    details = report(seen, log)
    print(details)

    navigation = seen.navigation
    assert navigation["nextHopProtocol"] == "h3", details
    assert navigation["firstInterimResponseStart"] > 0, details
    interim_lead = navigation["finalResponseHeadersStart"] - navigation["firstInterimResponseStart"]
    assert interim_lead >= MARGIN_MS, details
    stylesheet = seen.resources[CSS_PATH]
    assert stylesheet["initiatorType"] == "early-hints", details
    assert stylesheet["transferSize"] == 0, details
    assert stylesheet["nextHopProtocol"] == "h3", details
    assert seen.heading_color == ACCENT, details

    (page,) = [entry for entry in log if entry["request"]["uri"] == path]
    (css,) = [entry for entry in log if entry["request"]["uri"] == CSS_PATH]
    assert page["request"]["proto"] == css["request"]["proto"] == HTTP3, details
    lead = (page["ts"] - css["ts"]) * 1000
    assert lead >= MARGIN_MS, details
    hint_after = navigation["firstInterimResponseStart"] - navigation["requestStart"]
    print(
        f"over HTTP/3: the 103 came {hint_after:.1f} ms after the request; "
        f"Caddy sent the stylesheet {lead:.0f} ms before the page ended"
    )
