"""A real browser follows the 103 Early Hints that runh2server sends.

Headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright) loads the
test project's slow pages over HTTP/2 from ``manage.py runh2server``:

- It trusts the development certificate by its SPKI pin
  (``--ignore-certificate-errors-spki-list``), never by ignoring certificate errors:
  Chromium does not cache a response that had a certificate error, so a hinted
  asset would be fetched twice.
- A userspace proxy (``harness/proxy.py``) adds 8 ms each way between
  browser and server: on bare loopback Chromium can miss a 103 that arrives within
  about a millisecond of its request, which no real network produces.
- The server runs with ``tests.support.apps.browser_settings``, whose application is wrapped in a
  recorder (``harness/browser_recorder.py``) that logs, with ``time.monotonic()``, when
  each request arrived, when the 103 went out and when each response started.

What the tests prove, from both ends:

- the browser: the hinted stylesheet and script have ``initiatorType ==
  "early-hints"`` and ``transferSize == 0`` in the Resource Timing API (used as
  preloaded, not fetched again); the navigation saw an interim response well before
  the final one; the page rendered, styled and scripted;
- the server: the stylesheet's request arrived after the 103 and long before the
  page's response started (while the view slept), and each asset was asked for once.

Without a hint (``/slow/``'s first visit, nothing learned yet) the same stylesheet is
requested only after the page arrived: the control that shows the checks can fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import BrowserContext

from harness.browser import (
    RecordedSite,
    new_profile_fixture,  # noqa: F401 (the ``new_profile`` fixture, found by pytest)
    playwright_fixture,  # noqa: F401 (the ``playwright`` fixture, found by pytest)
    poll,
    read_listed_page,
    recorded_site,
)
from harness.constants import STATIC_DIR
from harness.servers import H2ServerFactory

pytestmark = pytest.mark.browser

# Each way, between browser and server (a round trip gains twice this).
DELAY_SECONDS = 0.008
# The view's sleep. Long enough that "the stylesheet arrived while the view slept"
# holds with a wide margin even on a busy machine: with a load average of 8 on two
# cores, Chromium took up to 300 ms to act on a 103 it got within 20 ms.
VIEW_MS = 1500
# "Long before the page": the stylesheet's request (and the 103) at least this much
# before the page's response started.
MARGIN_MS = VIEW_MS / 3

CSS = "/static/css/base.css"
JS = "/static/js/app.js"
SIZES = {
    CSS: (STATIC_DIR / "css" / "base.css").stat().st_size,
    JS: (STATIC_DIR / "js" / "app.js").stat().st_size,
}
# --accent in base.css (#0b7a75), the colour of the page's <h1> once it is styled.
ACCENT = "rgb(11, 122, 117)"

# ------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def site(
    h2server_session_factory: H2ServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RecordedSite]:
    """The recorded server behind the delay proxy, for the whole module."""
    events_path = tmp_path_factory.mktemp("browser") / "events.txt"
    with recorded_site(h2server_session_factory, events_path, DELAY_SECONDS) as site:
        # The pin the browser trusts is the one the server announces for its certificate.
        assert f"SPKI pin: {site.pin}" in site.server.output(), site.server.output()
        yield site


# ------------------------------------------------------------------------- helpers


@dataclass
class Visit:
    path: str
    resources: dict[str, dict[str, Any]]
    navigation: dict[str, Any]
    title: str
    heading_color: str
    listed: list[str]
    events: list[tuple[float, str, str]]
    connects: list[float]

    def server_time(self, event: str, detail: str) -> float:
        """When the server recorded ``event`` for ``detail`` (the first time)."""
        for at, name, text in self.events:
            if name == event and text == detail:
                return at
        raise AssertionError(f"the server recorded no {event} {detail}: {self.events}")

    def requests_of(self, path: str) -> int:
        return sum(1 for _at, name, text in self.events if name == "request" and text == path)

    def ms_after_page_request(self, event: str, detail: str) -> float:
        return (self.server_time(event, detail) - self.server_time("request", self.path)) * 1000

    def report(self) -> str:
        page = self.server_time("request", self.path)
        lines = [f"{self.path}:"]
        timeline = [*self.events, *((at, "connect", "(proxy accepted)") for at in self.connects)]
        lines += [
            f"  {(at - page) * 1000:8.1f} ms  {name} {text}" for at, name, text in sorted(timeline)
        ]
        lines.append(f"  navigation: {self.navigation}")
        lines.append(f"  resources: {self.resources}")
        return "\n".join(lines)


def visit(context: BrowserContext, site: RecordedSite, path: str) -> Visit:
    """Load ``path`` in a new tab; return what the browser and the server saw."""
    offset = len(site.events())
    connections = site.proxy.connections
    seen = read_listed_page(context, site.url(path))
    # The recorder writes "start" before the response leaves; poll briefly all the same.
    events = poll(
        lambda: site.events()[offset:],
        lambda events: any(e == "start" and d.startswith(f"{path} ") for _a, e, d in events),
        lambda _events: f"the server recorded no response to {path}",
    )
    connects = site.proxy.accepted_at[connections:]
    return Visit(
        path,
        seen.resources,
        seen.navigation,
        seen.title,
        seen.heading_color,
        seen.listed,
        events,
        connects,
    )


def assert_rendered(seen: Visit) -> None:
    assert seen.title == "h2push demo"
    assert seen.heading_color == ACCENT, "the stylesheet was not applied"
    assert seen.navigation["nextHopProtocol"] == "h2", seen.navigation
    assert seen.navigation["responseStatus"] == 200, seen.navigation
    # The navigation lasted at least the view's sleep (sanity of the whole timing).
    assert seen.navigation["responseEnd"] - seen.navigation["requestStart"] >= VIEW_MS * 0.95
    for path in (CSS, JS):
        entry = seen.resources.get(path)
        assert entry is not None, seen.resources
        assert entry["nextHopProtocol"] == "h2", entry
        assert entry["decodedBodySize"] == SIZES[path], entry


def assert_used_early_hints(seen: Visit) -> None:
    report = seen.report()
    assert_rendered(seen)
    # The browser: both assets preloaded from the 103, and used as such (not fetched
    # again by the page; the early-hints fetch itself is reported with no transfer).
    for path in (CSS, JS):
        entry = seen.resources[path]
        assert entry["initiatorType"] == "early-hints", report
        assert entry["transferSize"] == 0, report
    # The page's own script saw the same (it lists "<path>: <initiatorType>").
    assert f"{CSS}: early-hints" in seen.listed, seen.listed
    # The navigation got an interim response long before the final one.
    navigation = seen.navigation
    assert navigation["firstInterimResponseStart"] > 0, navigation
    interim_lead = navigation["finalResponseHeadersStart"] - navigation["firstInterimResponseStart"]
    assert interim_lead >= MARGIN_MS, report

    # The server: the 103 went out, then the stylesheet's request arrived, long before
    # the page's response started: the browser asked for it while the view slept.
    page_request = seen.server_time("request", seen.path)
    hint = seen.server_time("hint", seen.path)
    css_request = seen.server_time("request", CSS)
    page_start = seen.server_time("start", f"{seen.path} 200")
    assert page_request <= hint < css_request < page_start, report
    assert (page_start - css_request) * 1000 >= MARGIN_MS, report
    assert seen.server_time("request", JS) < page_start, report
    # Each asset was requested once: the preloaded response was the one used.
    assert seen.requests_of(CSS) == 1, report
    assert seen.requests_of(JS) == 1, report


# --------------------------------------------------------------------------- tests


def test_declared_hints_are_followed_on_the_first_visit(
    new_profile: Callable[[], BrowserContext], site: RecordedSite
) -> None:
    path = f"/slow/declared/?ms={VIEW_MS}"
    seen = visit(new_profile(), site, path)
    print(seen.report())
    print(
        f"CSS request reached the server {seen.ms_after_page_request('request', CSS):.1f} ms "
        f"after the page request (page started at "
        f"{seen.ms_after_page_request('start', f'{path} 200'):.1f} ms)"
    )
    assert_used_early_hints(seen)
    assert site.proxy.connections >= 1, "the browser bypassed the delay proxy"


def test_learned_hints_are_followed_once_two_visits_agreed(
    new_profile: Callable[[], BrowserContext], site: RecordedSite
) -> None:
    path = f"/slow/?ms={VIEW_MS}"

    # First visit: nothing learned, no 103. The control: the stylesheet is requested
    # by the parsed page, after the page's response started.
    first = visit(new_profile(), site, path)
    print(first.report())
    print(
        f"without hints: CSS request {first.ms_after_page_request('request', CSS):.1f} ms "
        f"after the page request"
    )
    report = first.report()
    assert_rendered(first)
    assert not any(name == "hint" for _at, name, _text in first.events), report
    # Fetched for the page's Link header or its elements ("link"), not for a 103.
    assert first.resources[CSS]["initiatorType"] == "link", report
    assert first.resources[JS]["initiatorType"] in ("link", "script"), report
    assert first.resources[CSS]["transferSize"] > 0, report
    assert first.navigation["firstInterimResponseStart"] == 0, first.navigation
    assert first.server_time("request", CSS) > first.server_time("start", f"{path} 200"), report

    # One page alone decides nothing for the next visitor: the second visit is not
    # hinted either; it agrees with the first, and so teaches the route.
    agreeing = visit(new_profile(), site, path)
    assert_rendered(agreeing)
    assert not any(name == "hint" for _at, name, _text in agreeing.events), agreeing.report()

    # Third visit, in a fresh profile (nothing cached): the route's learned assets
    # are hinted, and the browser fetches them while the view sleeps.
    second = visit(new_profile(), site, path)
    print(second.report())
    print(
        f"with hints: CSS request {second.ms_after_page_request('request', CSS):.1f} ms "
        f"after the page request"
    )
    assert_used_early_hints(second)
