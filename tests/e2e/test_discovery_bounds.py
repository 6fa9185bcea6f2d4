"""End to end: one page's discovery cannot stall the server (issue 17, finding 2).

``runh2server`` (Hypercorn, ASGI) serves the attack pages of
:mod:`tests.support.apps.discovery_attacks`. Before the bounds, discovery read the
0.9 MB page of nested ``<div>``\\s on the event loop for over a minute, and every
other request of the process waited with it. Now, while one client fetches that
page over and over, another client's requests for a small page are each answered
within a second; and the attack page's route still learns its head's assets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from h2push.probe import Exchange, H2Connection
from harness.certificates import cafile
from harness.processes import ServerProcess
from harness.servers import H2ServerFactory
from tests.support.apps.discovery_attacks import NORMAL_URLS, PAGES

pytestmark = pytest.mark.e2e

SETTINGS = "tests.support.apps.discovery_attacks_settings"
TIMEOUT = 30.0
# Each answer to the small page must come this fast (it takes a few milliseconds).
PROMPT = 1.0
ATTACK_FETCHES = 12


@pytest.fixture
def server(h2server_factory: H2ServerFactory) -> Iterator[ServerProcess]:
    server = h2server_factory(settings=SETTINGS)
    yield server
    assert server.alive(), server.errors()


def connect(server: ServerProcess) -> H2Connection:
    return H2Connection(
        server.host, server.port, enable_push=False, cafile=cafile(server), timeout=TIMEOUT
    )


def final_links(exchange: Exchange) -> set[str]:
    return set(exchange.links)


class Attacker(threading.Thread):
    """Fetches the attack pages: the nested ``<div>``\\s again and again, then
    each of the others once."""

    def __init__(self, server: ServerProcess) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.exchanges: list[Exchange] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        paths = ["/attack/nested-divs/"] * ATTACK_FETCHES
        paths += [f"/attack/{name}/" for name in PAGES if name != "nested-divs"]
        try:
            with connect(self.server) as connection:
                for path in paths:
                    self.exchanges.append(connection.request(path))
        except BaseException as error:  # reported by the test
            self.error = error


def test_small_pages_are_answered_promptly_while_an_attack_page_is_read(
    server: ServerProcess,
) -> None:
    with connect(server) as warm:
        assert warm.request("/attack/small/").status == 200
    attacker = Attacker(server)
    attacker.start()
    delays: list[float] = []
    with connect(server) as visitor:
        while attacker.is_alive() or len(delays) < 20:
            started = time.monotonic()
            exchange = visitor.request("/attack/small/")
            delays.append(time.monotonic() - started)
            assert exchange.status == 200
            time.sleep(0.02)
    attacker.join(TIMEOUT)
    assert attacker.error is None, attacker.error
    assert [exchange.status for exchange in attacker.exchanges] == [200] * len(attacker.exchanges)
    slow = [round(delay, 2) for delay in delays if delay > PROMPT]
    assert not slow, f"{len(slow)} of {len(delays)} small pages took over {PROMPT} s: {slow}"
    # Read in the background, the attack page still taught its route its head.
    learned = final_links(attacker.exchanges[ATTACK_FETCHES - 1])
    for url in NORMAL_URLS:
        assert any(value.startswith(f"<{url}>") for value in learned), learned
