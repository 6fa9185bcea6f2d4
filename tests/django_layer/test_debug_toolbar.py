"""Issue 11: h2push's django-debug-toolbar panel.

The pages are served in a subprocess with :mod:`tests.support.apps.toolbar_settings`
(the toolbar installed and first in ``MIDDLEWARE``, h2push's panel configured), by
:mod:`tests.support.apps.toolbar_visit`: the toolbar's app, its panels and the
story listener the panel registers stay out of this test run. Each page is loaded
as a browser loads it (the toolbar inserted into the page itself), then the panel's
content is fetched as the toolbar's JavaScript fetches it: ``render_panel`` with the
page's request id and the panel's id.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from h2push.core.story import Fate, Reason, Source
from harness.constants import CSS_PATH, JS_PATH, REPO
from harness.processes import server_env

pytest.importorskip("debug_toolbar")

TOOLBAR_SETTINGS = "tests.support.apps.toolbar_settings"
DECLARED_PAGE = "/slow/declared/?ms=0"
LEARNED_PAGE = "/slow/?ms=0"  # {% push_static %} in its template: learned by visit 3


@dataclass
class Row:
    source: str
    fates: list[str]
    notes: list[str]


@dataclass
class Panel:
    rows: dict[str, Row]
    reasons: list[str]
    text: str


def read_panel(content: str) -> Panel:
    tree = LexborHTMLParser(content)
    rows = {}
    for row in tree.css("tr.h2push-link"):
        url = row.css_first("code").text()
        source = row.css_first(".h2push-source").text().strip()
        fates = [span.text() for span in row.css(".h2push-fate")]
        notes = [small.text() for small in row.css(".h2push-fates small")]
        rows[url] = Row(source, fates, notes)
    reasons = [item.text() for item in tree.css(".h2push-reasons li")]
    body = tree.body
    text = " ".join(body.text().split()) if body is not None else ""
    return Panel(rows, reasons, text)


def run_python(code: str, *, settings: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=server_env(settings=settings),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# The cookie the toolbar sets when its user unticks a panel.
PANEL_OFF = {"cookie": "djdtH2PushPanel=off"}


@pytest.fixture(scope="module")
def visits() -> list[dict[str, Any]]:
    """The declared page once, the learned page three times, each by a new visitor;
    then the declared page with the panel switched off."""
    paths = [DECLARED_PAGE, LEARNED_PAGE, LEARNED_PAGE, LEARNED_PAGE, [DECLARED_PAGE, PANEL_OFF]]
    code = f"from tests.support.apps.toolbar_visit import main; main({paths!r})"
    found: list[dict[str, Any]] = json.loads(run_python(code, settings=TOOLBAR_SETTINGS))
    for visit in found:
        assert visit["status"] == 200, visit
        assert visit["toolbar"], "the toolbar is not in the page"
        assert visit["panel"] is not None, "the page names no stored request"
    return found


def test_the_panel_shows_each_declared_link_its_source_and_delivery(
    visits: list[dict[str, Any]],
) -> None:
    visit = visits[0]
    panel = read_panel(visit["panel"])
    assert set(panel.rows) == {CSS_PATH, JS_PATH}
    for row in panel.rows.values():
        assert row.source == Source.DECLARED
        # Pushed first (RFC 9113 wants the promise before the 103 names it), then
        # the 103, then the final header.
        assert row.fates == [Fate.PUSHED, Fate.EARLY_HINT, Fate.LINK_HEADER]
    assert panel.reasons == []
    assert "after the view started" in panel.text
    assert visit["subtitle"].startswith("2 links, 103 at ")


def test_the_panel_shows_a_learned_page_on_its_third_visit(
    visits: list[dict[str, Any]],
) -> None:
    third = visits[3]
    panel = read_panel(third["panel"])
    assert set(panel.rows) == {CSS_PATH, JS_PATH}
    for row in panel.rows.values():
        assert row.source == Source.LEARNED
        assert set(row.fates) == {Fate.PUSHED, Fate.EARLY_HINT, Fate.LINK_HEADER}
    assert "before it ended" in panel.text
    assert third["subtitle"].startswith("2 links, 103 at ")


def test_the_panel_says_why_a_new_route_got_no_103(visits: list[dict[str, Any]]) -> None:
    first = visits[1]
    panel = read_panel(first["panel"])
    assert panel.reasons == [Reason.NEW_ROUTE]
    assert first["subtitle"] == "2 links, no 103"
    for row in panel.rows.values():
        assert row.source == Source.REGISTERED
        assert row.fates == [Fate.LINK_HEADER, Fate.PUSHED]


def test_pushes_made_with_the_response_headers_show_once_the_response_went_out(
    visits: list[dict[str, Any]],
) -> None:
    """The first visit's pushes go out with the response's headers, after Django
    answered and the toolbar read the story: the panel records them when the
    response closes, and says when they happened."""
    panel = read_panel(visits[1]["panel"])
    for row in panel.rows.values():
        pushed = row.notes[row.fates.index(Fate.PUSHED)]
        assert "with the response's headers" in pushed
        header = row.notes[row.fates.index(Fate.LINK_HEADER)]
        assert "with the response's headers" not in header


def test_a_panel_switched_off_records_nothing(visits: list[dict[str, Any]]) -> None:
    off = visits[4]
    assert not off["enabled"]
    assert off["subtitle"] is None
    assert read_panel(off["panel"]).rows == {}
    assert "recorded nothing" in off["panel"]
    assert all(visit["enabled"] for visit in visits[:4])


SERVE_WITHOUT_TOOLBAR = textwrap.dedent(
    """
    import logging, sys
    import django
    django.setup()
    from h2push.testing import H2TestClient
    client = H2TestClient()
    # At DEBUG every request gets its story: still nothing of the toolbar.
    logging.getLogger("h2push").setLevel(logging.DEBUG)
    for path in ("/", "/slow/declared/?ms=0", "/slow/?ms=0"):
        assert client.get(path).status == 200, path
    print(sorted(m for m in sys.modules if m.split(".")[0] == "debug_toolbar"
                 or m == "h2push.debug_toolbar"))
    """
)


def test_serving_pages_without_the_panel_configured_imports_nothing_of_the_toolbar() -> None:
    """The toolbar is installed (the test extra has it) but the demo names it nowhere."""
    output = run_python(SERVE_WITHOUT_TOOLBAR, settings="testproject.settings")
    assert output.strip().splitlines()[-1] == "[]"
