"""Field learning (issue 20) in real browsers: what visitors' browsers report changes
what the next visitor is hinted.

Headless Chromium and headless Firefox ESR (the ``browser`` fixture of
:mod:`harness.crossbrowser`) load the pages of
:mod:`tests.support.apps.field_browser_urls` with ``H2PUSH_FIELD`` on, a quorum of
three distinct clients and no holdout (:mod:`tests.support.apps.field_common`), on
two stacks (the ``site`` fixture): ``runh2server`` (Hypercorn, ASGI) with the request
recorder, and Gunicorn (WSGI) behind Caddy from ``deploy/`` as shipped
(:mod:`harness.caddy_stack`), where the report goes through Caddy like any request.

Each visit is a new visitor: a new Chromium browser context or Firefox user context
(empty cache, new connections), through a delay proxy of its own (8 ms each way: on
bare loopback Chromium can miss a 103) whose connections to the server come from an
address of its own, ``127.0.0.N``. That is what makes the clients distinct: the
server (or Caddy, which writes the address it was connected from into
``X-Forwarded-For``, the settings' client header) sees one peer per visitor, in both
browsers. A request header set by the browser would not do: Chromium's extra
headers are a DevTools feature the Firefox driver lacks, and Caddy replaces a
client's own ``X-Forwarded-For``.

A visit reads what the browser saw (the Largest Contentful Paint entry, the web
fonts' states, Navigation and Resource Timing), then leaves the page for
``about:blank``: ``pagehide`` makes ``h2push/field.js`` send its report with
``navigator.sendBeacon``, and the visit ends once the server's log (the recorder's,
or Caddy's access log) shows the report answered 204. The samples are kept in a
throwaway Redis, so ``manage.py h2push_field --json`` reads what the server was told;
the h2 probe reads the 103 and the ``Link`` header the next visitor would get.

- ``test_the_field_hints_the_lcp_image``: two visitors report the hero ``<img>`` as
  their LCP element; the 103 then carries the stylesheet, font and script that
  discovery found, and no image. The third report makes the quorum: the 103 and the
  ``Link`` header carry ``</static/img/hero.jpg>; rel=preload; as=image;
  fetchpriority=high``, and the next cold visit (a view of 1.2 s) takes the image from
  the 103: its LCP entry names the hero, whose Resource Timing entry has
  ``initiatorType == "early-hints"``, and the server was asked for it once, while the
  view still slept. The command counts four samples from four clients, all naming
  the hero, which is hinted.
- ``test_a_page_that_stops_loading_its_script_loses_the_hint``: the same route's page
  without its ``<script>`` (``&lean=1``) is hinted the script once (the learned entry
  still had it), preloads it for nothing and reports it unused; from then on neither
  variant is hinted it. Learning drops it after that one page (its rule: the last two
  pages must agree), before the field could: the field holds one client's vote.
- ``test_a_font_no_visitor_uses_leaves_the_hints``: a page whose stylesheet declares a
  web font it sets no text in. Discovery hints the font (it is in the stylesheet);
  three visitors download it from the 103, never load the face, and report it unused;
  then the 103 and the ``Link`` header keep the stylesheet without the font, and the
  next visitor's browser never downloads it.
- ``test_a_font_every_visitor_uses_keeps_its_hint``: expected to fail until
  ``field.js`` reads an ``@font-face`` rule's relative ``url()`` right (its reason).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser as PlaywrightBrowser

from h2push.probe import Exchange, fetch
from harness.browser import CHROMIUM, CHROMIUM_FLAGS, TIMEOUT_MS, load_page, poll
from harness.browser_recorder import ENV_VAR, read_events
from harness.caddy_stack import CaddyStack, start_stack
from harness.crossbrowser import (
    Browser,
    ChromiumBrowser,
    FirefoxBrowser,
    browser_fixture,  # noqa: F401 (the ``browser`` fixture, found by pytest)
)
from harness.firefox import Firefox
from harness.proxy import DelayProxy
from harness.redis import RedisServer
from harness.servers import H2ServerFactory, run_manage

pytestmark = pytest.mark.browser

DELAY_SECONDS = 0.008
# The hinted visit's view: long enough that "asked for while the view slept" holds
# with a wide margin on a busy machine.
VIEW_MS = 1200
MARGIN_S = VIEW_MS / 3 / 1000
# The other visits only teach and report: a short view still sends its 103 first.
QUICK_MS = 100
QUORUM = 3  # H2PUSH_FIELD_QUORUM in tests/support/apps/field_common.py

HERO_PAGE = "/field/hero/"
PLAIN_PAGE = "/field/plain/"
REPORT = "/__h2push__/field/"
HERO = "/static/img/hero.jpg"
CSS = "/static/css/discovery.css"
FONT = "/static/fonts/h2push-pixel.woff2"
SCRIPT = "/static/js/app.js"
HERO_LINK = f"<{HERO}>; rel=preload; as=image; fetchpriority=high"

RUNH2SERVER_SETTINGS = "tests.support.apps.field_browser_settings"
CADDY_SETTINGS = "tests.support.apps.field_caddy_settings"
STACKS = ("runh2server", "caddy")

# What a page load showed the browser, once its LCP is known: the last LCP entry
# (waiting up to WAIT_MS for one whose element is an <img> when IMAGE is true), the
# web fonts' states, Navigation and Resource Timing.
PAGE_JS = """(async () => {
    const lcp = await new Promise(resolve => {
        let last = null;
        const done = () => resolve(last && {
            url: last.url ? new URL(last.url).pathname : null,
            tag: last.element ? last.element.tagName : null,
            startTime: last.startTime,
        });
        new PerformanceObserver(list => {
            const entries = list.getEntries();
            last = entries[entries.length - 1];
            if (!IMAGE || (last.element && last.element.tagName === 'IMG')) done();
        }).observe({type: 'largest-contentful-paint', buffered: true});
        setTimeout(done, WAIT_MS);
    });
    await document.fonts.ready;
    const fonts = [];
    document.fonts.forEach(face => fonts.push({family: face.family, status: face.status}));
    const n = performance.getEntriesByType('navigation')[0];
    return {
        lcp,
        fonts,
        navigation: {
            nextHopProtocol: n.nextHopProtocol,
            responseStatus: n.responseStatus,
            firstInterimResponseStart: n.firstInterimResponseStart,
            finalResponseHeadersStart: n.finalResponseHeadersStart,
        },
        resources: performance.getEntriesByType('resource').map(e => ({
            path: new URL(e.name).pathname, initiatorType: e.initiatorType,
            transferSize: e.transferSize, responseEnd: e.responseEnd,
        })),
    };
})()"""


def page_js(image: bool) -> str:
    return PAGE_JS.replace("IMAGE", "true" if image else "false").replace("WAIT_MS", "5000")


# ------------------------------------------------------------------------ the server


@dataclass(frozen=True)
class Served:
    """One request the server (or Caddy) answered."""

    target: str  # path and query
    status: int
    requested_at: float  # seconds, the clock of the log it came from
    ended_at: float

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


def _recorded(events: list[tuple[float, str, str]]) -> list[Served]:
    """The recorder's events as answered requests, in the order they ended."""
    open_requests: dict[str, list[list[Any]]] = {}
    served = []
    for at, event, detail in events:
        if event == "request":
            open_requests.setdefault(detail, []).append([at, 0])
        elif event == "start":
            target, status = detail.rsplit(" ", 1)
            pending = open_requests.get(target)
            if pending:
                pending[0][1] = int(status)
        elif event == "end":
            pending = open_requests.get(detail)
            if pending:
                requested_at, status = pending.pop(0)
                served.append(Served(detail, status, requested_at, at))
    return served


def _logged(stack: CaddyStack) -> list[Served]:
    """Caddy's access log as answered requests (its ``ts`` is when a request ended)."""
    return [
        Served(
            entry["request"]["uri"],
            int(entry["status"]),
            float(entry["ts"]) - float(entry["duration"]),
            float(entry["ts"]),
        )
        for entry in stack.access_log()
    ]


@dataclass
class Site:
    """A server with field learning on, which browsers reach through delay proxies."""

    kind: str
    host: str
    port: int
    settings: str
    env: dict[str, str]  # what the server's settings read from the environment
    home: Path
    read_served: Callable[[], list[Served]]
    clients: Iterator[int] = field(default_factory=lambda: count(11))

    def served(self) -> list[Served]:
        return self.read_served()

    def probe(self, target: str) -> Exchange:
        """``target`` as a browser's navigation asks for it (no push), straight to the
        server: the 103 and the ``Link`` header the next visitor would get."""
        headers = [("sec-fetch-mode", "navigate"), ("sec-fetch-dest", "document")]
        exchange = fetch(self.url(target), headers=headers, enable_push=False, timeout=15)
        assert exchange.status == 200, exchange
        return exchange

    def url(self, target: str) -> str:
        return f"https://{self.host}:{self.port}{target}"

    def field_report(self, route: str) -> dict[str, Any]:
        """``manage.py h2push_field --json``'s desktop group of ``route`` (its path)."""
        done = run_manage(
            self.home,
            "h2push_field",
            "--json",
            "--route",
            route,
            settings=self.settings,
            env=self.env,
        )
        assert done.returncode == 0, done.stderr
        groups = json.loads(done.stdout)["groups"]
        [desktop] = [group for group in groups if group["group"] == "desktop"]
        return desktop  # type: ignore[no-any-return]


@pytest.fixture(params=STACKS)
def site(
    request: pytest.FixtureRequest,
    h2server_factory: H2ServerFactory,
    tmp_path: Path,
    dev_cert_pair: tuple[Path, Path],
) -> Iterator[Site]:
    """A site that has learned nothing yet, its samples in an empty Redis, serving the
    certificate the ``browser`` fixture trusts."""
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    env = {"H2PUSH_TEST_REDIS_URL": redis.url}
    try:
        if request.param == "runh2server":
            events = tmp_path / "events.txt"
            certfile, keyfile = dev_cert_pair
            server = h2server_factory(
                settings=RUNH2SERVER_SETTINGS,
                env={**env, ENV_VAR: str(events)},
                certfile=certfile,
                keyfile=keyfile,
            )
            yield Site(
                "runh2server",
                server.host,
                server.port,
                RUNH2SERVER_SETTINGS,
                env,
                tmp_path / "home",
                lambda: _recorded(read_events(events)) if events.exists() else [],
            )
        else:
            certfile, keyfile = dev_cert_pair
            workdir = tmp_path / "caddy"
            stack = start_stack(workdir, certfile, keyfile, settings=CADDY_SETTINGS, env=env)
            try:
                manage_env = {**env, "H2PUSH_TEST_STATIC_ROOT": str(stack.static_root)}
                yield Site(
                    "caddy",
                    stack.host,
                    stack.port,
                    CADDY_SETTINGS,
                    manage_env,
                    workdir / "home",
                    lambda: _logged(stack),
                )
            finally:
                stack.stop()
    finally:
        redis.stop()


# ------------------------------------------------------------------------- visits


@dataclass
class Visit:
    """What one visitor's browser saw, and what the server answered meanwhile."""

    browser: str
    target: str
    address: str
    seen: dict[str, Any]
    served: list[Served]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return {entry["path"]: entry for entry in self.seen["resources"]}

    @property
    def navigation(self) -> dict[str, Any]:
        return self.seen["navigation"]  # type: ignore[no-any-return]

    def requests_of(self, path: str) -> list[Served]:
        return [served for served in self.served if served.path == path]

    def page(self) -> Served:
        [page] = [served for served in self.served if served.target == self.target]
        return page

    def report(self) -> str:
        lines = [f"{self.target} in {self.browser} from {self.address}:"]
        lines += [f"  served {s.target} {s.status}" for s in self.served]
        lines.append(f"  lcp: {self.seen['lcp']}  fonts: {self.seen['fonts']}")
        lines.append(f"  navigation: {self.navigation}")
        lines += [f"  {path}: {entry}" for path, entry in sorted(self.resources.items())]
        return "\n".join(lines)


@dataclass
class Visitor:
    """Loads a page as a new visitor in the module's browser, then leaves it.

    Chromium: one browser for the module, a new browser context per visit (its own
    cache, in memory, and its own connections), trusting the session certificate's
    pin as :func:`harness.browser.launch_profile` does; a fresh profile per visit
    would cost a browser start each. Firefox: a new user context per visit, as
    :class:`harness.crossbrowser.FirefoxBrowser` does."""

    name: str
    chromium: PlaywrightBrowser | None = None
    firefox: Firefox | None = None

    def load_and_leave(self, url: str, js: str, reported: Callable[[], None]) -> Any:
        """Load ``url``, evaluate ``js``, leave for ``about:blank`` (the page's
        ``pagehide``), and call ``reported`` before the context goes: a beacon still
        on its way would die with it."""
        if self.chromium is not None:
            context = self.chromium.new_context()
            context.set_default_timeout(TIMEOUT_MS)
            try:
                page = load_page(context, url)
                value = page.evaluate(js)
                page.goto("about:blank")
                reported()
                return value
            finally:
                context.close()
        assert self.firefox is not None
        user_context = self.firefox.new_user_context()
        try:
            tab = self.firefox.new_tab(user_context)
            self.firefox.navigate(tab, url)
            value = self.firefox.evaluate(tab, js)
            self.firefox.navigate(tab, "about:blank")
            reported()
            return value
        finally:
            self.firefox.remove_user_context(user_context)


@pytest.fixture(scope="module")
def visitor(browser: Browser) -> Iterator[Visitor]:
    """The ``browser`` fixture's browser (Chromium, then Firefox) as a :class:`Visitor`."""
    if isinstance(browser, ChromiumBrowser):
        chromium = browser.playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_FLAGS, f"--ignore-certificate-errors-spki-list={browser.pin}"],
            timeout=TIMEOUT_MS,
        )
        try:
            yield Visitor(browser.name, chromium=chromium)
        finally:
            chromium.close()
        return
    assert isinstance(browser, FirefoxBrowser)
    yield Visitor(browser.name, firefox=browser.firefox)


def visit(visitor: Visitor, site: Site, target: str, *, image: bool = True) -> Visit:
    """Load ``target`` as a new visitor from an address of its own, leave it, and wait
    until the server answered its report (which must be a 204)."""
    address = f"127.0.0.{next(site.clients)}"
    offset = len(site.served())

    def since() -> list[Served]:
        return site.served()[offset:]

    def reported() -> None:
        poll(
            since,
            lambda served: (
                any(s.path == REPORT for s in served) and any(s.target == target for s in served)
            ),
            lambda served: f"no report of {target} from {address}: {served}",
            seconds=10,
        )

    with DelayProxy(site.host, site.port, delay=DELAY_SECONDS, source_host=address) as proxy:
        url = f"https://127.0.0.1:{proxy.port}{target}"
        seen = visitor.load_and_leave(url, page_js(image), reported)
    result = Visit(visitor.name, target, address, seen, since())
    assert seen["navigation"]["responseStatus"] == 200, result.report()
    [answer] = result.requests_of(REPORT)
    assert answer.status == 204, result.report()
    return result


def early_links(exchange: Exchange) -> list[str]:
    """The values of the 103's ``Link`` fields."""
    assert exchange.early_hints, f"no 103 for {exchange.path}"
    return exchange.early_hints[0].links


def urls_of(links: list[str]) -> list[str]:
    return [link.split(">", 1)[0].lstrip("<") for link in links]


def assert_lcp_is_the_hero(seen: Visit) -> None:
    lcp = seen.seen["lcp"]
    assert lcp is not None and lcp["tag"] == "IMG" and lcp["url"] == HERO, seen.report()


# -------------------------------------------------------------------------- tests


def test_the_field_hints_the_lcp_image(visitor: Visitor, site: Site) -> None:
    quick = f"{HERO_PAGE}?ms={QUICK_MS}"
    # Two visitors teach the route what discovery finds (stylesheet, font, script)
    # and report the hero as their LCP element: fewer clients than the quorum.
    for _ in range(QUORUM - 1):
        assert_lcp_is_the_hero(visit(visitor, site, quick))
    before = site.probe(quick)
    hinted = urls_of(early_links(before))
    assert {CSS, FONT, SCRIPT} <= set(hinted), hinted
    assert HERO not in hinted and HERO not in urls_of(before.links), before.links

    # The third distinct client makes the quorum.
    assert_lcp_is_the_hero(visit(visitor, site, quick))
    after = site.probe(quick)
    print(f"{site.kind}, {visitor.name}: the 103 after {QUORUM} reports: {early_links(after)}")
    assert HERO_LINK in early_links(after), early_links(after)
    assert HERO_LINK in after.links, after.links

    # The next visitor, cold, with a slow view: the hero comes from the 103.
    slow = f"{HERO_PAGE}?ms={VIEW_MS}"
    hinted_visit = visit(visitor, site, slow)
    report = hinted_visit.report()
    print(report)
    assert_lcp_is_the_hero(hinted_visit)
    assert hinted_visit.navigation["nextHopProtocol"] == "h2", report
    assert hinted_visit.navigation["firstInterimResponseStart"] > 0, report
    entry = hinted_visit.resources[HERO]
    assert entry["initiatorType"] == "early-hints", report
    if hinted_visit.browser == "chromium":
        assert entry["transferSize"] == 0, report  # the page used the preloaded response
    else:
        # Firefox counts the preload's bytes in this entry, and times it from the 103.
        assert entry["responseEnd"] < hinted_visit.navigation["finalResponseHeadersStart"], report
    [hero] = hinted_visit.requests_of(HERO)  # asked for once: nothing downloaded twice
    page = hinted_visit.page()
    assert hero.requested_at < page.ended_at - MARGIN_S, report  # while the view slept

    # What the server was told, as its command reads it from the shared store.
    group = site.field_report(HERO_PAGE.strip("/") + "/")
    print(json.dumps(group, indent=1))
    assert group["clients"] == QUORUM + 1 and group["samples"] == QUORUM + 1, group
    assert not group["single_client"], group
    element = group["lcp_element"]
    assert element["url"] == HERO and element["image"] and element["hinted"], group
    assert element["clients"] == QUORUM + 1, group


def test_a_page_that_stops_loading_its_script_loses_the_hint(visitor: Visitor, site: Site) -> None:
    quick = f"{HERO_PAGE}?ms={QUICK_MS}"
    for _ in range(2):
        visit(visitor, site, quick)
    assert SCRIPT in urls_of(early_links(site.probe(quick)))

    # The template stopped loading the script; the route's learned entry still has
    # it, so this visitor is hinted it, and reports it unused.
    lean = f"{HERO_PAGE}?ms={QUICK_MS}&lean=1"
    dropped = visit(visitor, site, lean)
    assert SCRIPT in dropped.resources, dropped.report()  # preloaded from the 103
    for target in (lean, quick):
        exchange = site.probe(target)
        assert SCRIPT not in urls_of(early_links(exchange)), early_links(exchange)
        assert SCRIPT not in urls_of(exchange.links), exchange.links
    # Learning dropped it (the last two pages no longer agree on it), before the
    # field could: the field holds one client's word, short of the quorum.
    [script] = [h for h in site.field_report("field/hero/")["hints"] if h["url"] == SCRIPT]
    assert script == {"url": SCRIPT, "used_by": 0, "unused_by": 1, "verdict": "undecided"}


def test_a_font_no_visitor_uses_leaves_the_hints(visitor: Visitor, site: Site) -> None:
    target = f"{PLAIN_PAGE}?ms={QUICK_MS}"
    for _ in range(2):
        visit(visitor, site, target, image=False)
    assert {CSS, FONT} <= set(urls_of(early_links(site.probe(target))))
    # Hinted the font, three visitors download it (a preload) and never use it.
    for _ in range(QUORUM):
        wasted = visit(visitor, site, target, image=False)
        assert FONT in wasted.resources, wasted.report()
        assert all(face["status"] != "loaded" for face in wasted.seen["fonts"]), wasted.report()
    after = site.probe(target)
    print(f"{site.kind}, {visitor.name}: the 103 after {QUORUM} reports: {early_links(after)}")
    assert CSS in urls_of(early_links(after)) and CSS in urls_of(after.links)
    assert FONT not in urls_of(early_links(after)), early_links(after)
    assert FONT not in urls_of(after.links), after.links
    # The next visitor's browser never downloads it.
    spared = visit(visitor, site, target, image=False)
    assert FONT not in spared.resources and not spared.requests_of(FONT), spared.report()
    [font] = [h for h in site.field_report("field/plain/")["hints"] if h["url"] == FONT]
    assert font == {"url": FONT, "used_by": 0, "unused_by": QUORUM, "verdict": "unused"}


def test_a_font_every_visitor_uses_keeps_its_hint(visitor: Visitor, site: Site) -> None:
    quick = f"{HERO_PAGE}?ms={QUICK_MS}"
    for _ in range(2):
        visit(visitor, site, quick)
    for _ in range(QUORUM):
        used = visit(visitor, site, quick)
        loaded = [face for face in used.seen["fonts"] if face["status"] == "loaded"]
        assert loaded, used.report()  # the <h1> is set in the web font
    exchange = site.probe(quick)
    assert FONT in urls_of(early_links(exchange)), early_links(exchange)
