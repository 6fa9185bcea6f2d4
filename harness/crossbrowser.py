"""The browser tests in Chromium and in Firefox ESR alike: one way to load a page and
read what it saw, whichever browser.

- the ``browser`` fixture (:func:`browser_fixture`, module scope, parametrised over
  :data:`BROWSERS`): every test that takes it runs once in Chromium
  (:mod:`harness.browser`, through Playwright) and once in Firefox ESR
  (:mod:`harness.firefox`, over WebDriver BiDi). Both trust the session's
  ``dev_cert_pair`` (Chromium by its SPKI pin, Firefox through its profile's NSS
  database), so the site under test must serve that pair. A test module takes the
  fixture in by importing :func:`browser_fixture`;
- :meth:`Browser.read`: load a URL as a new visitor (an empty cache and new
  connections: a fresh Chromium profile, a new Firefox user context), evaluate the
  test's own expression, and return a :class:`Seen`: the Resource Timing entries
  (``path``, ``name``, ``initiatorType``, ``nextHopProtocol``, ``requestStart``,
  ``responseEnd``, ``transferSize``, ``decodedBodySize``), the navigation entry
  (``nextHopProtocol``, ``responseStatus``, ``requestStart``,
  ``firstInterimResponseStart``, ``finalResponseHeadersStart``, ``responseStart``,
  ``responseEnd``; null where a browser lacks a field) and that expression's value;
- :data:`LISTED_PAGE_JS`: that expression for a page with a ``#resource-timing`` list.

What differs between the two (Chromium 156, Firefox ESR 153), for the assertions:

- an asset taken from a 103 has ``initiatorType == "early-hints"`` in both, but its
  ``transferSize`` is 0 only in Chromium, which also dates the entry from when the
  document took the preload (after the page's headers); Firefox counts the preload's
  bytes in the entry and times it from the 103, so its ``responseEnd`` comes before
  the navigation's ``finalResponseHeadersStart``;
- a web font's ``initiatorType`` is ``"other"`` in Firefox whatever fetched it (a
  stylesheet or a 103), where Chromium says ``"css"`` or ``"early-hints"``;
- both have ``firstInterimResponseStart`` (0 when no 103 came).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import Playwright, sync_playwright

from harness.browser import certificate_pin, launch_profile, load_page, require_chromium
from harness.firefox import Firefox

BROWSERS = ("chromium", "firefox")

# What a page load showed the browser: the value of the test's own expression (evaluated
# first, so it can wait for the page's scripts), then the timing entries. A field the
# browser lacks reads null (Chromium and Firefox both have firstInterimResponseStart).
_SEEN_JS = """(async () => {
    const page = await (PAGE_JS);
    const field = (entry, name) => (name in entry ? entry[name] : null);
    const n = performance.getEntriesByType('navigation')[0];
    const navigation = {};
    for (const name of ['nextHopProtocol', 'responseStatus', 'requestStart',
            'firstInterimResponseStart', 'finalResponseHeadersStart', 'responseStart',
            'responseEnd']) navigation[name] = field(n, name);
    const resources = performance.getEntriesByType('resource').map(e => ({
        path: new URL(e.name).pathname, name: e.name, initiatorType: e.initiatorType,
        nextHopProtocol: e.nextHopProtocol, requestStart: e.requestStart,
        responseEnd: e.responseEnd, transferSize: e.transferSize,
        decodedBodySize: e.decodedBodySize,
    }));
    return {page, navigation, resources};
})()"""

# For Browser.read: a page that lists its resources (#resource-timing) once
# DOMContentLoaded fired; its heading's colour and the list, as read_listed_page reads.
LISTED_PAGE_JS = """(async () => {
    while (!document.querySelector('#resource-timing li')) {
        await new Promise(resolve => setTimeout(resolve, 20));
    }
    return {
        headingColor: getComputedStyle(document.querySelector('h1')).color,
        listed: [...document.querySelectorAll('#resource-timing li')].map(i => i.textContent),
    };
})()"""


@dataclass
class Seen:
    """What one page load showed the browser (either one)."""

    browser: str
    entries: list[dict[str, Any]]  # Resource Timing, in the browser's order
    navigation: dict[str, Any]
    page: Any  # the JSON value of the caller's expression

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The resource entries by path (the last one of a path wins)."""
        return {entry["path"]: entry for entry in self.entries}

    def entries_of(self, path: str) -> list[dict[str, Any]]:
        return [entry for entry in self.entries if entry["path"] == path]


#: A web font's ``initiatorType`` when a 103 fetched it, per browser.
FONT_FROM_HINT = {"chromium": "early-hints", "firefox": "other"}


def assert_taken_from_the_103(
    browser: str,
    navigation: dict[str, Any],
    entry: dict[str, Any],
    *,
    font: bool,
    report: str,
) -> None:
    """That the page took the asset of Resource Timing ``entry`` from its 103's
    preload, as each browser shows it (see the module's documentation): fetched for
    the 103, and then no transfer of its own in Chromium, the whole response in
    before the page's final headers in Firefox."""
    hinted = FONT_FROM_HINT[browser] if font else "early-hints"
    assert entry["initiatorType"] == hinted, report
    if browser == "chromium":
        assert entry["transferSize"] == 0, report
    else:
        assert entry["responseEnd"] < navigation["finalResponseHeadersStart"], report


def _seen(browser: str, value: dict[str, Any]) -> Seen:
    seen = Seen(browser, value["resources"], value["navigation"], value["page"])
    assert seen.navigation["responseStatus"] == 200, seen.navigation
    return seen


class Browser(Protocol):
    """A browser a test runs in, whichever it is."""

    name: str

    def read(self, url: str, page_js: str = "null") -> Seen:
        """Load ``url`` as a new visitor (empty cache, new connections) and wait for its
        load event; evaluate ``page_js`` (an expression; a promise is awaited) there,
        then read the timing entries. The page must answer 200."""
        ...


@dataclass
class ChromiumBrowser:
    """Each read in a fresh Chromium profile trusting ``pin`` (:func:`launch_profile`)."""

    playwright: Playwright
    pin: str
    folder: Path
    name: str = "chromium"

    def read(self, url: str, page_js: str = "null") -> Seen:
        context = launch_profile(self.playwright, Path(tempfile.mkdtemp(dir=self.folder)), self.pin)
        try:
            page = load_page(context, url)
            return _seen(self.name, page.evaluate(_SEEN_JS.replace("PAGE_JS", page_js)))
        finally:
            context.close()


@dataclass
class FirefoxBrowser:
    """Each read in a new user context of one running Firefox: a container with its
    own cache, cookies and connections, as a new visitor's browser would have."""

    firefox: Firefox
    name: str = "firefox"

    def read(self, url: str, page_js: str = "null") -> Seen:
        user_context = self.firefox.new_user_context()
        try:
            tab = self.firefox.new_tab(user_context)
            self.firefox.navigate(tab, url)
            value = self.firefox.evaluate(tab, _SEEN_JS.replace("PAGE_JS", page_js))
            return _seen(self.name, value)
        finally:
            self.firefox.remove_user_context(user_context)


@pytest.fixture(scope="module", params=BROWSERS, name="browser")
def browser_fixture(
    request: pytest.FixtureRequest,
    dev_cert_pair: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Browser]:
    """Chromium, then Firefox, for a whole test module: each test that takes
    ``browser`` runs in both. Both trust the session's development certificate
    (``dev_cert_pair``), so the sites must serve it. A missing browser fails the test
    (``scripts/setup.sh --debian`` installs both). Imported like
    :func:`playwright_fixture`."""
    certfile = dev_cert_pair[0]
    if request.param == "chromium":
        require_chromium()
        with sync_playwright() as playwright:
            folder = tmp_path_factory.mktemp("chromium")
            yield ChromiumBrowser(playwright, certificate_pin(certfile), folder)
        return
    firefox = Firefox.launch(trust=certfile)
    try:
        yield FirefoxBrowser(firefox)
    finally:
        firefox.quit()
    assert not firefox.leftovers(), f"Firefox left processes behind: {firefox.leftovers()}"
