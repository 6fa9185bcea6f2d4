"""A real browser takes a CDN's assets from the 103 (issue 19: static files on a CDN).

The same story as ``test_discovery.py``, with ``STATIC_URL`` on a second origin:
``manage.py runh2server`` serves the test project's ``/discovery/`` page (settings
:mod:`tests.support.apps.cdn_settings`), whose ``{% static %}`` URLs now name
``https://127.0.0.1:PORT2/static/...``, and Caddy serves those files on that origin
(:mod:`harness.static_origin`: the project's static folder, the session's
development certificate, ``Access-Control-Allow-Origin: *`` and
``Timing-Allow-Origin: *``, a JSON access log).
Headless Chromium and Firefox ESR (the ``browser`` fixture of
:mod:`harness.crossbrowser`) load the page through an 8 ms delay proxy, each visit
as a new visitor. Two visits teach the route; the third is cold and hinted.

On that third visit, in each browser:

- the stylesheet, the classic script, the module script and the stylesheet's web
  font were each requested exactly once at the static origin (Caddy's log), and that
  request was over before the page's own server sent its final headers (the view
  sleeps 1.5 s): nothing was downloaded twice, so each hint's ``as`` and
  ``crossorigin`` matched the tag or ``@font-face`` rule that used it;
- each has ``initiatorType == "early-hints"`` (with ``transferSize == 0`` in
  Chromium). Firefox reports a font as ``"other"`` whatever fetched it: there its
  entry's ``responseEnd`` before the navigation's ``finalResponseHeadersStart``,
  and Caddy's record, show the 103 fetched it;
- the page rendered with them (styled, font loaded, module run); the image, never
  hinted, was fetched once by its ``<img>``; no asset was asked of the page's own
  server, and that server pushed nothing.

Then the h2 probe asks for the page through the same proxy (the learned route is
per host) as a browser would (``sec-fetch-mode: navigate``, ``sec-fetch-dest:
document``): the 103 opens with ``<https://127.0.0.1:PORT2>; rel=preconnect``,
carries exactly the four preloads on that origin, ``crossorigin`` on the font's
alone (after a ``preconnect`` with ``crossorigin``, the connection a CORS fetch
uses), and the final ``Link`` header opens with the same preconnect. A client that
accepts push and sends no ``Sec-Fetch-*`` gets no push either: push never goes
across origins.

The first visit is the control: no 103, the font fetched by the stylesheet, each
asset once from the static origin. (Chromium lists no Resource Timing entry at all
for a font that a stylesheet of another origin fetched; Caddy's log shows it.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from h2push.core.linkheader import Link, parse_link, split_links
from h2push.probe import Exchange, H2Connection
from harness.browser import RecordedSite, certificate_pin, poll
from harness.browser_recorder import ENV_VAR
from harness.constants import STATIC_DIR
from harness.crossbrowser import (
    Browser,
    assert_taken_from_the_103,
    browser_fixture,  # noqa: F401 (the ``browser`` fixture, found by pytest)
)
from harness.proxy import DelayProxy
from harness.servers import H2ServerFactory
from harness.static_origin import StaticOrigin, start_static_origin

pytestmark = pytest.mark.browser

SETTINGS = "tests.support.apps.cdn_settings"
STATIC_URL_VAR = "H2PUSH_TEST_STATIC_URL"  # read by cdn_settings
DELAY_SECONDS = 0.008
# The view's pretend work on the hinted visit: long enough that the hinted assets are
# fetched while it runs even on a busy machine. Teaching needs no wait.
VIEW_MS = 1500
ROUTE = "/discovery/"
TEACH = f"{ROUTE}?ms=50"
PAGE = f"{ROUTE}?ms={VIEW_MS}"
PROBE_PAGE = f"{ROUTE}?ms=100"
PROBE_TIMEOUT = 30.0
NAVIGATION = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}

CSS = "/static/css/discovery.css"
SCRIPT = "/static/js/app.js"
MODULE = "/static/js/discovery-module.js"
FONT = "/static/fonts/h2push-pixel.woff2"
IMAGE = "/static/img/logo.png"
ASSETS = (CSS, SCRIPT, MODULE, FONT)
SIZES = {
    path: (STATIC_DIR / path.removeprefix("/static/")).stat().st_size for path in (*ASSETS, IMAGE)
}
# What each asset's preload must say for the browser to use it: (rel, as, crossorigin).
# A stylesheet and a classic script are fetched without CORS, a module script in CORS
# mode without credentials for another origin (no attribute: the tag has none), a font
# always with CORS (``crossorigin``).
EXPECTED_PRELOADS = {
    CSS: ("preload", "style", False),
    SCRIPT: ("preload", "script", False),
    MODULE: ("modulepreload", None, False),
    FONT: ("preload", "font", True),
}
ACCENT = "rgb(11, 122, 117)"  # --accent in discovery.css: the <h1> is styled
# The font's Resource Timing entry when the stylesheet fetched it: Chromium 156 lists
# none at all for a font that a stylesheet of another origin fetched (its same-origin
# twin in test_discovery.py says "css"; Timing-Allow-Origin changes nothing), Firefox
# ESR says "other" for any font. From the 103, both list it.
FONT_FROM_CSS = {"chromium": None, "firefox": "other"}

# Waits for the font to load, then (at most 0.5 s) for its Resource Timing entry,
# which Chromium never lists when a stylesheet of another origin fetched the font.
PAGE_STATE_JS = """(async () => {
    await document.fonts.ready;
    const listed = () => performance.getEntriesByType('resource')
        .some(e => e.name.endsWith('/fonts/h2push-pixel.woff2'));
    const waitedFrom = performance.now();
    while (!listed() && performance.now() - waitedFrom < 500) {
        await new Promise(resolve => setTimeout(resolve, 20));
    }
    const h1 = document.querySelector('h1');
    return {
        title: document.title,
        headingColor: getComputedStyle(h1).color,
        headingFont: getComputedStyle(h1).fontFamily,
        fontLoaded: document.fonts.check('16px "H2push Pixel"'),
        moduleRan: document.documentElement.dataset.module === 'ran',
        fontStatus: [...document.fonts].map(face => face.status),
    };
})()"""


@dataclass
class Site(RecordedSite):
    """runh2server with the recorder, behind the delay proxy, its static files on
    ``static``."""

    static: StaticOrigin


@dataclass
class Visit:
    """What the browser, the page's server and the static origin saw of one load."""

    browser: str
    resources: dict[str, dict[str, Any]]
    entries: list[dict[str, Any]]
    navigation: dict[str, Any]
    state: dict[str, Any]
    events: list[tuple[float, str, str]]  # the page's server (time.monotonic())
    static_log: list[dict[str, Any]]  # Caddy's access log entries of this visit
    wall_offset: float  # time.time() - time.monotonic(), to compare the two clocks

    def static_requests(self, path: str) -> list[dict[str, Any]]:
        return [entry for entry in self.static_log if entry["request"]["uri"] == path]

    def static_ended(self, path: str) -> float:
        """When Caddy finished answering ``path``, on the monotonic clock."""
        (entry,) = self.static_requests(path)
        return float(entry["ts"]) - self.wall_offset

    def first(self, event: str, detail: str) -> float:
        for at, name, text in self.events:
            if name == event and text == detail:
                return at
        raise AssertionError(f"the server recorded no {event} {detail}:\n{self.report()}")

    def of(self, event: str) -> list[str]:
        return [text for _at, name, text in self.events if name == event]

    def report(self) -> str:
        start = self.events[0][0] if self.events else 0.0
        lines = [f"  in {self.browser}", "  the page's server:"]
        lines += [
            f"  {(at - start) * 1000:8.1f} ms  {name} {text}" for at, name, text in self.events
        ]
        lines.append("  the static origin (request ended at):")
        lines += [
            f"  {(float(e['ts']) - self.wall_offset - start) * 1000:8.1f} ms  "
            f"{e['request']['uri']} {e['status']} {e['request']['proto']} "
            f"{e['request']['headers'].get('Sec-Fetch-Mode', ['-'])[0]}"
            for e in self.static_log
        ]
        lines.append(f"  navigation: {self.navigation}")
        lines += [f"  {entry['name']}: {entry}" for entry in self.entries]
        lines.append(f"  page: {self.state}")
        return "\n".join(lines)


@pytest.fixture(scope="module")
def static_origin(
    dev_cert_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StaticOrigin]:
    """One Caddy for the module, serving the test project's static files with the
    certificate both browsers trust."""
    certfile, keyfile = dev_cert_pair
    origin = start_static_origin(
        tmp_path_factory.mktemp("static-origin"), STATIC_DIR, certfile, keyfile, probe_path=CSS
    )
    yield origin
    origin.stop()


@pytest.fixture
def site(
    h2server_factory: H2ServerFactory,
    tmp_path: Path,
    dev_cert_pair: tuple[Path, Path],
    static_origin: StaticOrigin,
) -> Iterator[Site]:
    """A recorded runh2server that has learned nothing yet, its ``STATIC_URL`` on the
    static origin, behind the delay proxy."""
    certfile, keyfile = dev_cert_pair
    events = tmp_path / "events.txt"
    server = h2server_factory(
        settings=SETTINGS,
        env={ENV_VAR: str(events), STATIC_URL_VAR: static_origin.static_url},
        certfile=certfile,
        keyfile=keyfile,
    )
    with DelayProxy(server.host, server.port, delay=DELAY_SECONDS) as proxy:
        yield Site(proxy, certificate_pin(certfile), server, events, static_origin)
    assert server.alive(), server.errors()


def visit(browser: Browser, site: Site, path: str) -> Visit:
    """Load ``path`` as a new visitor; what the browser and both servers saw."""
    offset, static_offset = len(site.events()), len(site.static.access_log())
    seen = browser.read(site.url(path), PAGE_STATE_JS)
    events = poll(
        lambda: site.events()[offset:],
        lambda events: any(e == "end" and d == path for _a, e, d in events),
        lambda _events: f"the server recorded no end of {path}",
    )
    # Caddy writes a line once it answered: wait for every file the page uses, then a
    # little more, so that a second download would be logged too.
    wanted = {*ASSETS, IMAGE}
    poll(
        lambda: site.static.requests(static_offset),
        lambda uris: wanted <= set(uris),
        lambda uris: f"the static origin logged {uris}, not all of {sorted(wanted)}",
    )
    time.sleep(0.2)
    return Visit(
        browser.name,
        seen.resources,
        seen.entries,
        seen.navigation,
        seen.page,
        events,
        site.static.access_log()[static_offset:],
        time.time() - time.monotonic(),
    )


def assert_rendered(seen: Visit, static: StaticOrigin) -> None:
    report = seen.report()
    assert seen.state["title"] == "h2push demo", report
    assert seen.state["headingColor"] == ACCENT, report
    assert seen.state["fontLoaded"], report
    assert seen.state["fontStatus"] == ["loaded"], report
    assert seen.state["headingFont"].startswith('"H2push Pixel"'), report
    assert seen.state["moduleRan"], report
    assert seen.navigation["nextHopProtocol"] == "h2", report
    for path in (*ASSETS, IMAGE):
        # Asked for once at the static origin, whatever fetched it, and sent whole.
        assert len(seen.static_requests(path)) == 1, f"{path}\n{report}"
        (logged,) = seen.static_requests(path)
        assert (logged["status"], logged["size"]) == (200, SIZES[path]), f"{path}\n{report}"
        entry = seen.resources.get(path)
        if entry is None and path == FONT and not seen.of("hint"):
            continue  # see FONT_FROM_CSS
        assert entry is not None, f"{path}\n{report}"
        assert entry["name"] == static.url(path), f"{path}\n{report}"
        if seen.browser == "chromium":
            # Firefox gives no sizes for another origin's files fetched without CORS
            # (its opaque responses), Timing-Allow-Origin or not.
            assert entry["decodedBodySize"] == SIZES[path], f"{path}\n{report}"
    # The page's own server was asked for no static file, and pushed nothing.
    assert not [target for target in seen.of("request") if target.startswith("/static/")], report
    assert not seen.of("push"), report


def test_cold_visit_takes_the_cdn_assets_from_the_103(
    browser: Browser, site: Site, static_origin: StaticOrigin
) -> None:
    first = visit(browser, site, TEACH)
    print(f"first visit:\n{first.report()}")
    assert_rendered(first, static_origin)
    # The control: nothing learned, no 103; the font is found by the stylesheet.
    assert not first.of("hint"), first.report()
    assert first.navigation["firstInterimResponseStart"] == 0, first.report()
    font = first.resources.get(FONT)
    font_initiator = None if font is None else font["initiatorType"]
    assert font_initiator == FONT_FROM_CSS[first.browser], first.report()
    if first.browser == "chromium":
        # Timing-Allow-Origin shows the transfer: a 0 on the hinted visit means something.
        assert first.resources[CSS]["transferSize"] > 0, first.report()

    second = visit(browser, site, TEACH)
    assert_rendered(second, static_origin)
    assert not second.of("hint"), second.report()  # one page alone decides nothing

    third = visit(browser, site, PAGE)
    print(f"cold visit after learning:\n{third.report()}")
    report = third.report()
    assert_rendered(third, static_origin)
    assert third.of("hint") == [PAGE], report
    assert third.navigation["firstInterimResponseStart"] > 0, report
    page_started = third.first("start", f"{PAGE} 200")
    for path in ASSETS:
        entry = third.resources[path]
        assert_taken_from_the_103(
            third.browser, third.navigation, entry, font=path == FONT, report=f"{path}\n{report}"
        )
        # The static origin had answered it while the view still worked.
        assert third.static_ended(path) < page_started, f"{path}\n{report}"
    # The image is not hinted: the page's <img> asks for it.
    assert third.resources[IMAGE]["initiatorType"] == "img", report

    assert_what_the_server_sends(site, static_origin)


# ---------------------------------------------------------------- what was sent


def links_of(fields: list[str]) -> list[tuple[str, Link]]:
    """Each link value of ``fields`` (one or more header lines), parsed."""
    parsed = []
    for field in fields:
        for value in split_links(field):
            link = parse_link(value)
            assert link is not None, value
            parsed.append((value.strip(), link))
    return parsed


def assert_preloads(links: list[tuple[str, Link]], static: StaticOrigin, what: str) -> None:
    """``links`` preload exactly the four assets, on ``static``, each as its tag wants;
    besides them, two preconnects to ``static`` (without, then with ``crossorigin``),
    the second before the module script's and the font's preloads (both are fetched
    in CORS mode, on a connection of their own)."""
    preloads = {link.url: link for _value, link in links if link.is_preload}
    expected = {static.url(path): spec for path, spec in EXPECTED_PRELOADS.items()}
    assert set(preloads) == set(expected), f"{what}: {links}"
    for url, (rel, as_, crossorigin) in expected.items():
        link = preloads[url]
        assert rel in link.rels, f"{what}: {url} {link}"
        assert link.params.get("as") == as_, f"{what}: {url} {link}"
        assert ("crossorigin" in link.params) == crossorigin, f"{what}: {url} {link}"
    preconnects = [value for value, link in links if not link.is_preload]
    cors_preconnect = f"<{static.origin}>; rel=preconnect; crossorigin"
    assert preconnects == [f"<{static.origin}>; rel=preconnect", cors_preconnect], what
    values = [value for value, _link in links]
    for cors_asset in (MODULE, FONT):
        at = next(i for i, (_v, link) in enumerate(links) if link.url == static.url(cors_asset))
        assert values.index(cors_preconnect) < at, f"{what}: {values}"


def assert_what_the_server_sends(site: Site, static: StaticOrigin) -> None:
    """The learned route's 103 and final ``Link`` header, read with the h2 probe."""
    preconnect = f"<{static.origin}>; rel=preconnect"
    with H2Connection(
        "127.0.0.1", site.proxy.port, cafile=site.server.certfile, timeout=PROBE_TIMEOUT
    ) as connection:
        navigation = connection.request(PROBE_PAGE, headers=NAVIGATION)
    with H2Connection(
        "127.0.0.1", site.proxy.port, cafile=site.server.certfile, timeout=PROBE_TIMEOUT
    ) as connection:
        pushable = connection.request(PROBE_PAGE)  # push enabled, no Sec-Fetch-*
    exchanges: dict[str, Exchange] = {"navigation": navigation, "push-accepting": pushable}
    for name, exchange in exchanges.items():
        report = f"{name}: 103s {exchange.early_hints}, links {exchange.links}"
        assert exchange.status == 200, report
        (hint,) = exchange.early_hints
        early = links_of(hint.links)
        print(f"{name} 103: {[value for value, _link in early]}")
        assert early[0][0] == preconnect, report
        assert_preloads(early, static, f"{name} 103")
        final = links_of(exchange.links)
        assert final[0][0] == preconnect, report
        assert_preloads(final, static, f"{name} Link header")
        # Push never crosses origins, and nothing here is the page's own.
        assert not exchange.promises, f"{name}: pushed {exchange.pushed_paths}"
