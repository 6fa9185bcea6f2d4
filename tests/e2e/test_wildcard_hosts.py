"""Issue 17, finding 3 end to end: a runh2server with ``ALLOWED_HOSTS = ["*"]`` keeps a
real host's learned 103s through a flood of random Host values.

The server serves :mod:`tests.support.apps.early_urls` with settings written for this
test (the hardening settings with ``ALLOWED_HOSTS = ["*"]``) and the default
in-process store of 500 routes. Before the fix each Host value was a route of its own,
and 600 of them on 3 routes pushed the real host's routes out of the store.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlencode

import pytest

from h2push.probe import Exchange, H2Connection, Request
from harness.certificates import cafile
from harness.constants import CSS_LINK, HARDENING_SETTINGS, JS_LINK
from harness.processes import ServerProcess
from harness.servers import H2ServerFactory

pytestmark = pytest.mark.e2e

TIMEOUT = 30.0
REAL_HOST = "www.shop.test"
FLOOD_HOSTS = 600
ROUTES = {
    "/early/learn/?" + urlencode([("s", "css/base.css")]): [CSS_LINK],
    "/early/learn/7/?" + urlencode([("s", "js/app.js")]): [JS_LINK],
    "/early/private/alice/": [CSS_LINK, JS_LINK],
}


@pytest.fixture
def server(h2server_factory: H2ServerFactory, tmp_path: Path) -> ServerProcess:
    """A runh2server of this test's own that allows every Host."""
    package = tmp_path / "settings"
    package.mkdir()
    (package / "wildcard_settings.py").write_text(
        f"from {HARDENING_SETTINGS} import *  # noqa: F403\nALLOWED_HOSTS = ['*']\n"
    )
    path = os.pathsep.join(filter(None, [str(package), os.environ.get("PYTHONPATH")]))
    return h2server_factory(settings="wildcard_settings", env={"PYTHONPATH": path})


def connect(server: ServerProcess, authority: str) -> H2Connection:
    return H2Connection(
        server.host, server.port, authority=authority, cafile=cafile(server), timeout=TIMEOUT
    )


def hinted(server: ServerProcess, path: str) -> list[list[str]]:
    """The 103s a new connection to the real host gets for one GET of ``path``."""
    with connect(server, f"{REAL_HOST}:{server.port}") as connection:
        exchange = connection.request(path)
    assert exchange.status == 200, exchange
    return [hint.links for hint in exchange.early_hints]


def flood(server: ServerProcess) -> list[Exchange]:
    """Every route once from each of ``FLOOD_HOSTS`` random Host values."""
    requests = [
        Request(path, headers={":authority": f"{secrets.token_hex(6)}.attacker.test:443"})
        for _ in range(FLOOD_HOSTS)
        for path in ROUTES
    ]
    # The flood accepts no pushes: the pages teach all the same.
    with H2Connection(
        server.host, server.port, enable_push=False, cafile=cafile(server), timeout=TIMEOUT
    ) as connection:
        return connection.request_many(requests)


def test_a_flood_of_host_values_leaves_the_real_hosts_learned_hints(
    server: ServerProcess,
) -> None:
    for path, links in ROUTES.items():
        assert hinted(server, path) == []
        hinted(server, path)
        assert hinted(server, path) == [links], path

    statuses = {exchange.status for exchange in flood(server)}
    assert statuses == {200}, server.errors()[-2000:]

    assert {path: hinted(server, path) for path in ROUTES} == {
        path: [links] for path, links in ROUTES.items()
    }
    assert "Traceback" not in server.errors(), server.errors()[-3000:]
