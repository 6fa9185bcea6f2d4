"""A real browser follows what h2push found in a page's HTML, web font included.

Headless Chromium and headless Firefox ESR (the ``browser`` fixture of
:mod:`harness.crossbrowser`: the test runs once in each) load the test project's
``/discovery/`` page, whose template names its stylesheet and scripts with
``{% static %}`` only, over HTTP/2 from ``manage.py runh2server``. Each visit comes
as a new visitor's (an empty cache: a fresh Chromium profile, a new Firefox user
context). The first two visits teach the route (issue 10's two-page rule); the third
is hinted. On that third visit:

- the stylesheet, the classic script, the module script (``rel=modulepreload``) and
  the stylesheet's web font each have ``initiatorType == "early-hints"`` in the
  Resource Timing API: the browser took them from the 103 (Firefox reports a font as
  ``"other"`` whatever fetched it; there the font entry's timing, which ends before
  the page's final headers, and the server's record show it);
- the server received each of them exactly once, while the view still worked:
  every hint carried the ``as``, ``crossorigin`` and ``type`` of the tag (or
  ``@font-face`` rule) that uses it, so nothing was fetched a second time;
- the page rendered with them: styled, the font loaded, the module run.

The first visit is the control: no 103, and the font was fetched by the stylesheet.

As in ``test_browser.py``, a userspace proxy adds 8 ms each way (on bare loopback
Chromium can miss a 103 that arrives within a millisecond of its request) and the
server runs with a recorder (``harness/browser_recorder.py``) that logs
each request it received.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.browser import RecordedSite, poll, recorded_site
from harness.constants import STATIC_DIR
from harness.crossbrowser import (
    Browser,
    assert_taken_from_the_103,
    browser_fixture,  # noqa: F401 (the ``browser`` fixture, found by pytest)
)
from harness.servers import H2ServerFactory

pytestmark = pytest.mark.browser

DELAY_SECONDS = 0.008
# The view's pretend work: long, so that the hinted assets are asked for while it
# runs even when the machine is busy.
VIEW_MS = 1500
PAGE = f"/discovery/?ms={VIEW_MS}"

CSS = "/static/css/discovery.css"
SCRIPT = "/static/js/app.js"
MODULE = "/static/js/discovery-module.js"
FONT = "/static/fonts/h2push-pixel.woff2"
ASSETS = (CSS, SCRIPT, MODULE, FONT)
SIZES = {path: (STATIC_DIR / path.removeprefix("/static/")).stat().st_size for path in ASSETS}
ACCENT = "rgb(11, 122, 117)"  # --accent in discovery.css: the <h1> is styled
# The font's initiatorType when the stylesheet's @font-face fetched it (taken from the
# 103: harness.crossbrowser.FONT_FROM_HINT). Firefox ESR 153 reports "other" for a font
# either way, where Chromium says "css" and "early-hints"; for Firefox the server's
# record and the entry's timing show that the hint was used.
FONT_FROM_CSS = {"chromium": "css", "firefox": "other"}

PAGE_STATE_JS = """(async () => {
    await document.fonts.ready;
    const h1 = document.querySelector('h1');
    return {
        title: document.title,
        headingColor: getComputedStyle(h1).color,
        headingFont: getComputedStyle(h1).fontFamily,
        fontLoaded: document.fonts.check('16px "H2push Pixel"'),
        moduleRan: document.documentElement.dataset.module === 'ran',
    };
})()"""


@dataclass
class Visit:
    browser: str
    resources: dict[str, dict[str, Any]]
    navigation: dict[str, Any]
    state: dict[str, Any]
    events: list[tuple[float, str, str]]

    def requests_of(self, path: str) -> int:
        return sum(1 for _at, name, text in self.events if name == "request" and text == path)

    def first(self, event: str, detail: str) -> float:
        """When the server first recorded ``event`` for ``detail``."""
        for at, name, text in self.events:
            if name == event and text == detail:
                return at
        raise AssertionError(f"the server recorded no {event} {detail}:\n{self.report()}")

    def hinted(self) -> bool:
        return any(name == "hint" for _at, name, _text in self.events)

    def report(self) -> str:
        start = self.events[0][0] if self.events else 0.0
        lines = [f"  in {self.browser}"]
        lines += [
            f"  {(at - start) * 1000:8.1f} ms  {name} {text}" for at, name, text in self.events
        ]
        lines.append(f"  navigation: {self.navigation}")
        lines += [f"  {path}: {entry}" for path, entry in sorted(self.resources.items())]
        lines.append(f"  page: {self.state}")
        return "\n".join(lines)


@pytest.fixture
def site(
    h2server_factory: H2ServerFactory, tmp_path: Path, dev_cert_pair: tuple[Path, Path]
) -> Iterator[RecordedSite]:
    """A recorded server that has learned nothing yet, behind the delay proxy, serving
    the certificate the ``browser`` fixture trusts."""
    events = tmp_path / "events.txt"
    with recorded_site(h2server_factory, events, DELAY_SECONDS, dev_cert_pair) as site:
        yield site


def visit(browser: Browser, site: RecordedSite, path: str) -> Visit:
    """Load ``path`` as a new visitor; what the browser and the server saw."""
    offset = len(site.events())
    seen = browser.read(site.url(path), PAGE_STATE_JS)
    poll(
        lambda: site.events()[offset:],
        lambda events: any(e == "end" and d == path for _a, e, d in events),
        lambda _events: f"the server recorded no end of {path}",
    )
    return Visit(browser.name, seen.resources, seen.navigation, seen.page, site.events()[offset:])


def assert_rendered(seen: Visit) -> None:
    report = seen.report()
    assert seen.state["title"] == "h2push demo", report
    assert seen.state["headingColor"] == ACCENT, report
    assert seen.state["fontLoaded"], report
    assert seen.state["headingFont"].startswith('"H2push Pixel"'), report
    assert seen.state["moduleRan"], report
    assert seen.navigation["nextHopProtocol"] == "h2", report
    for path in ASSETS:
        entry = seen.resources.get(path)
        assert entry is not None, report
        assert entry["decodedBodySize"] == SIZES[path], report


def test_third_visit_takes_stylesheet_scripts_and_font_from_the_103(
    browser: Browser, site: RecordedSite
) -> None:
    first = visit(browser, site, PAGE)
    print(f"first visit:\n{first.report()}")
    assert_rendered(first)
    # The control: nothing learned, no 103; the font is found by the stylesheet.
    assert not first.hinted(), first.report()
    assert first.navigation["firstInterimResponseStart"] == 0, first.report()
    assert first.resources[FONT]["initiatorType"] == FONT_FROM_CSS[first.browser], first.report()

    second = visit(browser, site, PAGE)
    assert_rendered(second)
    assert not second.hinted(), second.report()  # one page alone decides nothing

    third = visit(browser, site, PAGE)
    print(f"third visit:\n{third.report()}")
    report = third.report()
    assert_rendered(third)
    assert third.hinted(), report
    assert third.navigation["firstInterimResponseStart"] > 0, report
    page_started = third.first("start", f"{PAGE} 200")
    for path in ASSETS:
        # Taken from the 103, and used as such.
        entry = third.resources[path]
        assert_taken_from_the_103(
            third.browser, third.navigation, entry, font=path == FONT, report=f"{path}\n{report}"
        )
        # Asked for once: the preloaded response is the one the page used.
        assert third.requests_of(path) == 1, f"{path}\n{report}"
        # ... and while the view still worked.
        assert third.first("request", path) < page_started, f"{path}\n{report}"
    # The image is not hinted: the page's <img> asks for it, once.
    assert third.resources["/static/img/logo.png"]["initiatorType"] == "img", report
    assert third.requests_of("/static/img/logo.png") == 1, report
