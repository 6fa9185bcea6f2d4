"""The demo explains itself: ``/waterfall.svg?path=...`` and the script of its pages.

Against a real runh2server, the waterfall view probes the server it runs in (its own
loopback address and port) and answers the picture of that exchange: a row per
stream and the 103, as ``h2probe --waterfall`` draws them. The pages link to it and
load ``explain.js`` from outside ``STATIC_URL``, which must leave their hints and
pushes exactly as they were. The refusals (no DEBUG, not loopback, a path that is
not one of the site's, a probe that fails) are checked in process.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from django.test import Client

from h2push.probe import Exchange, H2Connection
from harness.certificates import cafile
from harness.constants import CSS_LINK, CSS_PATH, JS_LINK, JS_PATH, STATIC_DIR

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper

    from harness.processes import ServerProcess
    from harness.servers import H2ServerFactory

SVG = "{http://www.w3.org/2000/svg}"
# The first waterfall imports matplotlib in the server, which may build its font
# cache first (the server's HOME is a fresh folder).
SLOW_START_SECONDS = 90


def get(server: ServerProcess, path: str) -> Exchange:
    with H2Connection(
        "127.0.0.1", server.port, cafile=cafile(server), timeout=SLOW_START_SECONDS
    ) as connection:
        return connection.request(path)


def svg_ids(body: bytes, prefix: str) -> list[str]:
    root = ET.fromstring(body)
    assert root.tag == f"{SVG}svg"
    return sorted(e.get("id", "") for e in root.iter() if e.get("id", "").startswith(prefix))


@pytest.fixture
def server(h2server_factory: H2ServerFactory) -> ServerProcess:
    """A runh2server of its own: nothing learned yet, so visits count from the first."""
    return h2server_factory()


# ============================================================== against runh2server


@pytest.mark.e2e
def test_waterfall_of_a_declared_page_shows_the_103_and_the_pushes(server: ServerProcess) -> None:
    picture = get(server, "/waterfall.svg?path=/slow/declared/")

    assert picture.status == 200, picture.body[:500]
    assert picture.header("content-type") == "image/svg+xml"
    assert picture.header("cache-control") == "no-store"
    # The page's row and one per pushed asset, and the 103 the probe received.
    assert svg_ids(picture.body, "stream-") == ["stream-1", "stream-2", "stream-4"]
    assert svg_ids(picture.body, "early-hint-") == ["early-hint-1"]
    title = f"GET https://127.0.0.1:{server.port}/slow/declared/: 200, 1 early hint, 2 pushes"
    assert f"<!-- {title} -->".encode() in picture.body


@pytest.mark.e2e
def test_waterfall_of_a_learned_page_follows_its_visits(server: ServerProcess) -> None:
    """The probe is one more visitor: /slow/ is hinted once two visits agreed."""
    first = get(server, "/waterfall.svg?path=/slow/%3Fms%3D50")
    assert first.status == 200, first.body[:500]
    assert svg_ids(first.body, "early-hint-") == []
    get(server, "/slow/?ms=50")
    third = get(server, "/waterfall.svg?path=/slow/%3Fms%3D50")
    assert svg_ids(third.body, "early-hint-") == ["early-hint-1"]
    assert svg_ids(third.body, "stream-") == ["stream-1", "stream-2", "stream-4"]


@pytest.mark.e2e
def test_pages_link_their_waterfall_and_load_the_explaining_script(
    server: ServerProcess,
) -> None:
    page = get(server, "/slow/?ms=0")
    assert b'href="/waterfall.svg?path=%2Fslow%2F%3Fms%3D0"' in page.body
    assert b'<script src="/demo/explain.js" defer></script>' in page.body
    script = get(server, "/demo/explain.js")
    assert script.status == 200
    assert script.header("content-type") == "text/javascript; charset=utf-8"
    assert script.body == (STATIC_DIR / "js" / "explain.js").read_bytes()


@pytest.mark.e2e
def test_the_explaining_script_is_never_hinted(server: ServerProcess) -> None:
    """Discovery reads the page's HTML; the script is not under STATIC_URL, so the
    third visit (the first with learned hints) hints and pushes what it always did."""
    visits = [get(server, "/") for _ in range(3)]
    for exchange in visits:
        assert exchange.header("link") == f"{CSS_LINK}, {JS_LINK}"
        assert exchange.pushed_paths == [CSS_PATH, JS_PATH]
    assert [", ".join(hint.links) for hint in visits[2].early_hints] == [f"{CSS_LINK}, {JS_LINK}"]


@pytest.mark.e2e
def test_paths_that_are_not_the_sites_are_refused(server: ServerProcess) -> None:
    refused = ["/waterfall.svg", "//example.com/", "https://example.com/", "slow/", "/a b"]
    # The waterfall's own URL with percent-escapes, which the probed server decodes:
    # each would have the probe draw the waterfall of a waterfall, and so on.
    refused += ["/%77aterfall.svg?path=/", "/waterfall%2Esvg", "/w%61terfall.svg?path=/slow/"]
    for path in refused:
        answer = get(server, f"/waterfall.svg?path={quote(path, safe='/')}")
        assert answer.status == 400, path
    # A missing path= draws the home page.
    assert get(server, "/waterfall.svg").status == 200


# ======================================================================= in process


def test_no_waterfall_without_debug(settings: SettingsWrapper) -> None:
    settings.DEBUG = False
    response = Client().get("/waterfall.svg", {"path": "/"})
    assert response.status_code == 404


def test_no_probe_unless_the_request_came_over_loopback(settings: SettingsWrapper) -> None:
    settings.DEBUG = True
    client = Client()
    # The test client's server name, "testserver", is no address at all.
    assert client.get("/waterfall.svg").status_code == 403
    # Arrived on another address: a Host header that names loopback changes nothing.
    on_the_lan = client.get(
        "/waterfall.svg", HTTP_HOST="127.0.0.1:8443", SERVER_NAME="192.0.2.10", SERVER_PORT="8443"
    )
    assert on_the_lan.status_code == 403


def test_a_failed_probe_is_a_502(settings: SettingsWrapper, free_port: int) -> None:
    """Nothing listens on the port: the probe cannot connect, and says so."""
    settings.DEBUG = True
    port = str(free_port)
    response = Client().get("/waterfall.svg", SERVER_NAME="127.0.0.1", SERVER_PORT=port)
    assert response.status_code == 502
    assert response.content.startswith(b"Probing / failed:")
