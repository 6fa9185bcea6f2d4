"""Every client reads the same links out of the 103's one ``link`` field.

h2push sends a 103's links comma-joined in ONE ``link`` field (RFC 8288 allows it).
``manage.py runh2server`` (the browser tests' recorded site, behind an 8 ms delay
proxy, serving the session's development certificate) serves the test project's
``/discovery/``; two navigations by the h2 probe teach the route, whose 103 then
carries four links: the stylesheet, the classic script, the module script
(``modulepreload``) and the web font (``crossorigin``). Then:

- the ``h2probe`` command reports one 103 with one link field, and those links;
- ``curl --http2 -v`` (trusting the certificate with ``--cacert``) prints the 103
  with one ``link`` header whose comma-joined values are the same links;
- headless Chromium and Firefox ESR (the ``browser`` fixture), each as a new
  visitor, take every hinted asset from the 103: ``initiatorType ==
  "early-hints"`` (Firefox says ``"other"`` for any font; there, as for all its
  entries, the entry ended before the page's final headers), and the server was
  asked for each once, while the view still worked (a 1.5 s sleep).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from h2push.probe import Exchange, H2Connection
from harness.browser import RecordedSite, poll, recorded_site
from harness.crossbrowser import (
    Browser,
    assert_taken_from_the_103,
    browser_fixture,  # noqa: F401 (the ``browser`` fixture, found by pytest)
)
from harness.servers import H2ServerFactory
from tests.support.linkfields import links_in

pytestmark = pytest.mark.browser

DELAY_SECONDS = 0.008
VIEW_MS = 1500  # long, so the hinted assets are asked for while the view works
ROUTE = "/discovery/"
PAGE = f"{ROUTE}?ms={VIEW_MS}"
QUICK_PAGE = f"{ROUTE}?ms=50"
NAVIGATION = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}
TOOL_TIMEOUT = 30.0

CSS = "/static/css/discovery.css"
SCRIPT = "/static/js/app.js"
MODULE = "/static/js/discovery-module.js"
FONT = "/static/fonts/h2push-pixel.woff2"
# The learned route's 103, in order: what each tag or @font-face rule needs.
LINKS = [
    f"<{CSS}>; rel=preload; as=style",
    f"<{SCRIPT}>; rel=preload; as=script",
    f"<{MODULE}>; rel=modulepreload",
    f"<{FONT}>; rel=preload; as=font; crossorigin; type=font/woff2",
]
ASSETS = (CSS, SCRIPT, MODULE, FONT)
# Firefox ESR reports "other" for a font whatever fetched it.
FONT_LOADED_JS = """(async () => {
    await document.fonts.ready;
    return document.fonts.check('16px "H2push Pixel"');
})()"""


@pytest.fixture(scope="module")
def site(
    h2server_session_factory: H2ServerFactory,
    tmp_path_factory: pytest.TempPathFactory,
    dev_cert_pair: tuple[Path, Path],
) -> Iterator[RecordedSite]:
    """The recorded server behind the delay proxy, ``ROUTE`` taught by two navigations."""
    events = tmp_path_factory.mktemp("link-field") / "events.txt"
    with recorded_site(h2server_session_factory, events, DELAY_SECONDS, dev_cert_pair) as site:
        for _ in range(2):
            exchange = probe(site, QUICK_PAGE)
            assert exchange.status == 200 and not exchange.early_hints, exchange.early_hints
        yield site


def probe(site: RecordedSite, path: str) -> Exchange:
    """A navigation to ``path`` by the h2 probe, on a connection refusing push."""
    with H2Connection(
        "127.0.0.1",
        site.proxy.port,
        enable_push=False,
        cafile=site.server.certfile,
        timeout=TOOL_TIMEOUT,
    ) as connection:
        return connection.request(path, headers=NAVIGATION)


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    assert result.returncode == 0, result
    return result


def test_h2probe_and_curl_read_one_field_with_every_link(site: RecordedSite) -> None:
    url, cafile = site.url(QUICK_PAGE), str(site.server.certfile)
    headers = [arg for name, value in NAVIGATION.items() for arg in ("-H", f"{name}: {value}")]

    h2probe = Path(sys.executable).with_name("h2probe")
    report = run(str(h2probe), url, "--no-push", "--cafile", cafile, *headers).stdout
    hints = report[report.index("Early hints:") : report.index("Pushed:")].splitlines()
    assert hints[0] == "Early hints: 1", report
    assert re.fullmatch(r"  103 at [\d.]+ ms, 1 link field", hints[1]), report
    assert hints[2:] == [f"    link: {link}" for link in LINKS], report

    curl = shutil.which("curl")
    assert curl is not None, "curl is missing: scripts/setup.sh --debian installs it"
    verbose = run(curl, "--http2", "-sv", "-o", "/dev/null", "--cacert", cafile, *headers, url)
    heads = re.findall(r"^< HTTP/2 (\d{3})\s*\n((?:< [^\r\n]+\s*\n)*)", verbose.stderr, re.M)
    assert [status for status, _head in heads] == ["103", "200"], verbose.stderr
    fields = re.findall(r"^< link: (.*?)\s*$", heads[0][1], re.I | re.M)
    assert [links_in(field) for field in fields] == [LINKS], verbose.stderr


def test_the_browser_takes_every_hinted_asset_from_the_103(
    browser: Browser, site: RecordedSite
) -> None:
    offset = len(site.events())
    seen = browser.read(site.url(PAGE), FONT_LOADED_JS)
    events = poll(
        lambda: site.events()[offset:],
        lambda events: any(e == "end" and d == PAGE for _a, e, d in events),
        lambda events: f"the server recorded no end of {PAGE}: {events}",
    )
    report = f"{browser.name}: {seen.navigation}\n{seen.entries}\n{events}"
    assert seen.page is True, report  # the font was used
    assert ("hint", PAGE) in [(e, d) for _a, e, d in events], report
    assert seen.navigation["firstInterimResponseStart"] > 0, report
    page_started = next(at for at, e, d in events if e == "start" and d == f"{PAGE} 200")
    for path in ASSETS:
        entry = seen.resources[path]
        assert_taken_from_the_103(
            browser.name, seen.navigation, entry, font=path == FONT, report=f"{path}\n{report}"
        )
        requests = [at for at, e, d in events if e == "request" and d == path]
        assert len(requests) == 1 and requests[0] < page_started, f"{path}\n{report}"
