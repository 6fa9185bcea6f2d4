"""Issue 10 end to end: real servers, a client that accepts push (the h2 probe).

- One request to a page that registers a ~17,000-character static name must not
  break the pages of the visitors after it (before the hardening, the learned entry
  made every later PUSH_PROMISE larger than the client's frame size: the h2 library
  failed, and each later visitor lost its connection).
- A page that registers a path with dot segments gets no push of it, and nothing
  answers 500 (before, it was pushed and the static handler failed on it).
- Plain ``hypercorn`` (which runs no system checks) refuses to start on a setting of
  the wrong type, with the check's message, instead of serving.

The runh2server here serves :mod:`tests.support.apps.early_urls`
(``tests.support.apps.hardening_settings``).
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest

from h2push.probe import Exchange, H2Connection, ProbeError
from harness.certificates import cafile, verified
from harness.constants import HARDENING_SETTINGS, REPO, START_TIMEOUT, WRONG_TYPE_SETTINGS
from harness.processes import ServerProcess, find_free_port, launch, server_env
from harness.servers import H2ServerFactory
from tests.support.apps.early_urls import PAGE

pytestmark = pytest.mark.e2e

TIMEOUT = 15.0
DOT_SEGMENT_URLS = [
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2E%2E/%2E%2E/etc/passwd",
    "/static/css/../../x",
    "/static/./css/base.css",
]


@pytest.fixture
def server(h2server_factory: H2ServerFactory) -> ServerProcess:
    """A runh2server of this test's own: its learned store starts empty."""
    return h2server_factory(settings=HARDENING_SETTINGS)


def get(server: ServerProcess, path: str) -> Exchange:
    """One GET on a new connection (a new visitor) that accepts push. A certificate
    that does not verify fails the test, even in :func:`attempt`."""
    with (
        verified(server),
        H2Connection(
            server.host, server.port, cafile=cafile(server), timeout=TIMEOUT
        ) as connection,
    ):
        return connection.request(path)


def attempt(server: ServerProcess, path: str) -> Exchange | ProbeError:
    try:
        return get(server, path)
    except ProbeError as error:
        return error


def test_an_oversized_static_name_never_breaks_a_later_visitors_page(
    server: ServerProcess,
) -> None:
    # "X" has an 8-bit HPACK Huffman code: 17,000 of them cannot fit one 16 KB frame.
    attack = "/early/learn/?" + urlencode({"s": "css/" + "X" * 17_000 + ".css"})
    attacks = [attempt(server, attack) for _ in range(2)]

    for _ in range(2):
        visitor = attempt(server, "/early/learn/")
        assert isinstance(visitor, Exchange), f"{visitor!r}\n{server.errors()[-2000:]}"
        assert visitor.status == 200
        assert visitor.body == PAGE.encode()

    # The attacker's own page is served too, just without that preload.
    assert [a.status if isinstance(a, Exchange) else repr(a) for a in attacks] == [200, 200]
    assert "Error in ASGI Framework" not in server.errors()


def has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in unquote(path.split("?")[0]).split("/"))


def test_dot_segment_urls_are_never_pushed_and_nothing_answers_500(
    server: ServerProcess,
) -> None:
    for url in DOT_SEGMENT_URLS:
        page = "/early/learn/?" + urlencode([("u", url), ("s", "css/base.css")])
        # The second visit would also carry what the route learned from the first.
        for _ in range(2):
            exchange = get(server, page)
            assert exchange.status == 200, exchange
            assert [p.path for p in exchange.promises if has_dot_segment(p.path)] == []
            assert [(p.path, p.status) for p in exchange.promises if p.status != 200] == []
            hinted = [link for hint in exchange.early_hints for link in hint.links]
            assert [link for link in hinted if has_dot_segment(link.split(">")[0])] == []
    assert "SuspiciousFileOperation" not in server.errors()


def answers_http(port: int) -> int | None:
    """The status of ``GET /`` on ``port``, or None if nothing answered."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1.0) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def test_plain_hypercorn_refuses_to_start_on_a_wrong_setting_type(tmp_path: Path) -> None:
    port = find_free_port()
    argv = [sys.executable, "-m", "hypercorn", "-b", f"127.0.0.1:{port}"]
    env = server_env(settings=WRONG_TYPE_SETTINGS, home=tmp_path / "home", pythonpath=[REPO])
    hypercorn = launch(
        [*argv, "testproject.asgi:application"],
        host="127.0.0.1",
        port=port,
        workdir=tmp_path,
        env=env,
    )
    try:
        served = wait_for_exit_or_answer(hypercorn, port)
    finally:
        hypercorn.stop()
    output = hypercorn.output() + hypercorn.errors()
    assert served is None, f"it served GET / with {served}:\n{hypercorn.tail()}"
    assert "ImproperlyConfigured" in output, output
    assert "h2push.E002" in output, output


def wait_for_exit_or_answer(process: ServerProcess, port: int) -> int | None:
    """None once ``process`` exited; the status if it answered a GET first."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not process.alive():
            return None
        status = answers_http(port)
        if status is not None:
            return status
        time.sleep(0.2)
    raise subprocess.TimeoutExpired(process.args, START_TIMEOUT)
