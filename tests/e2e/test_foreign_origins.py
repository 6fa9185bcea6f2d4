"""End to end: no origin but the site's own is ever hinted or pushed (issue 19).

``runh2server`` serves :mod:`tests.support.apps.foreign_origins`, a page whose HTML
loads stylesheets, scripts and fonts from other origins and whose view registers
them in every way a view can; the settings name one asset origin. Over the visits
that teach the route and the ones after, the final ``Link`` header, every 103 and
every push name only the page's own origin or the asset origin, while the page's
own stylesheet and the asset origin's script (the controls) are hinted.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from h2push.core.linkheader import parse_link, split_links
from h2push.probe import Exchange, H2Connection
from harness.certificates import cafile
from harness.processes import ServerProcess
from harness.servers import H2ServerFactory
from tests.support.apps.foreign_origins import (
    ASSET_ORIGIN,
    FOREIGN,
    OWN_STYLESHEET,
    TRUSTED_SCRIPT,
)

pytestmark = pytest.mark.e2e

SETTINGS = "tests.support.apps.foreign_origins_settings"
TIMEOUT = 30.0
NAVIGATION = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}
VISITS = 4


@pytest.fixture
def server(h2server_factory: H2ServerFactory) -> Iterator[ServerProcess]:
    server = h2server_factory(settings=SETTINGS)
    yield server
    assert server.alive(), server.errors()


def urls_of(values: list[str]) -> list[str]:
    links = (parse_link(v) for field in values for v in split_links(field))
    return [link.url for link in links if link is not None]


def origin(url: str, own: str) -> str:
    parts = urlsplit(url)
    if not parts.netloc:
        return own
    return f"{parts.scheme or 'https'}://{parts.netloc}"


def visits(server: ServerProcess, *, browser: bool) -> list[Exchange]:
    headers = NAVIGATION if browser else {}
    with H2Connection(
        server.host, server.port, enable_push=True, cafile=cafile(server), timeout=TIMEOUT
    ) as connection:
        return [connection.request("/page/", headers=headers) for _ in range(VISITS)]


def test_only_the_sites_own_origins_are_hinted_or_pushed(server: ServerProcess) -> None:
    own = f"https://{server.host}:{server.port}"
    allowed = {own, ASSET_ORIGIN}
    browser, client = visits(server, browser=True), visits(server, browser=False)
    hinted, pushed = [], []
    for exchange in browser + client:
        assert exchange.status == 200
        hinted += urls_of(exchange.links)
        for interim in exchange.early_hints:
            hinted += urls_of(interim.links)
        for promise in exchange.promises:
            pushed.append(promise)
    assert {origin(url, own) for url in hinted} <= allowed, sorted(set(hinted))
    assert not any(url in hinted for url in FOREIGN)
    assert all(p.header(":authority") == f"{server.host}:{server.port}" for p in pushed)
    assert all(p.header(":scheme") == "https" for p in pushed)
    assert {p.path for p in pushed} <= {OWN_STYLESHEET}
    # The controls: what the site owns is hinted, in the 103 and the header, and pushed.
    last_hint = browser[-1].early_hints
    assert last_hint, "the learned route gets a 103"
    early = urls_of(last_hint[0].links)
    assert OWN_STYLESHEET in early and TRUSTED_SCRIPT in early, early
    assert f"<{ASSET_ORIGIN}>; rel=preconnect" in last_hint[0].links[0]
    assert TRUSTED_SCRIPT in urls_of(client[-1].links)
    assert OWN_STYLESHEET in client[-1].pushed_paths
