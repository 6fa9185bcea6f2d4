"""End to end: Gunicorn's worker processes, from ``deploy/gunicorn.conf.py``, and where
they keep what h2push learns.

The shipped configuration starts one worker per CPU plus one; here three, each a
process of its own, serving ``testproject.wsgi`` (h2push's WSGI application) over
HTTP/1.1, as behind Caddy. ``/slow/`` names its assets only in its template, so a
103 for it has to be learned: from two pages that agree, after which the next page
is hinted.

Each visit goes to a worker the test chooses. The kernel hands a new connection to
whichever worker accepts it first; the test looks up in ``/proc`` which worker
process holds the accepted socket and keeps the connection only if it is the one
wanted. So the first three visits go to three different workers:

- with the learned store in Redis (``H2PUSH_LEARN_CACHE``, as the Deploying page's
  recipe A sets it up), the third visit is hinted although its worker never saw the
  route before, and then every worker hints it;
- with the default store in each process, the third visit is not hinted: each
  worker learns alone.

And the same file opens no control socket unless told where (Gunicorn's default path
is shared by every Gunicorn of the user).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.caddy_stack import GUNICORN_CONF, start_gunicorn
from harness.constants import CSS_LINK, JS_LINK, REDIS_SETTINGS, REPO, START_TIMEOUT
from harness.processes import ServerProcess, server_env
from harness.redis import RedisServer
from tests.support.linkfields import links_in

pytestmark = pytest.mark.e2e

WORKERS = 3
PAGE = "/slow/?ms=10"
HINTS = [CSS_LINK, JS_LINK]
# A hinted page's 103s, as Visit.early_hints reads them: one 103 with one Link field
# carrying both links.
ONE_HINT = [[HINTS]]
# Two pages that agree teach a route; the next one is hinted.
LEARNING_VISITS = 2
TIMEOUT = 10.0
# How long to keep opening connections until the wanted worker accepts one.
SEARCH_DEADLINE = 20.0
# How long an accepted connection may take to show up in /proc.
ACCEPT_DEADLINE = 2.0
STORES = {
    # The learned links in Django's RedisCache, on the Redis the test started.
    "redis": REDIS_SETTINGS,
    # The test project's settings: H2PUSH_LEARN_CACHE left at None.
    "in-process": "testproject.settings",
}


@dataclass(frozen=True)
class Visit:
    """One page: the worker that answered and the status and Link field lines of each
    response head, 103s first."""

    pid: int
    heads: list[tuple[int, list[str]]]

    @property
    def status(self) -> int:
        return self.heads[-1][0]

    @property
    def early_hints(self) -> list[list[list[str]]]:
        """Each 103's Link fields, each as the links it carries."""
        return [[links_in(f) for f in fields] for status, fields in self.heads if status == 103]

    @property
    def hinted(self) -> bool:
        return bool(self.early_hints)


# --------------------------------------------------------------------------- server


@pytest.fixture
def gunicorn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """Gunicorn with ``WORKERS`` workers and the learned store ``request.param``
    (a key of ``STORES``)."""
    extra = {}
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        extra["H2PUSH_TEST_REDIS_URL"] = redis.url
    env = server_env(settings=STORES[request.param], home=tmp_path / "home", extra=extra)
    server = start_gunicorn(tmp_path, env, workers=WORKERS)
    try:
        wait_for_workers(server)
        yield server
    finally:
        # The whole process group: the master and its workers.
        server.stop(signal.SIGTERM)


def worker_pids(server: ServerProcess) -> set[int]:
    """The master's live children: its workers."""
    try:
        listed = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text()
    except OSError:
        return set()
    return {int(pid) for pid in listed.split()}


def wait_for_workers(server: ServerProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while len(worker_pids(server)) < WORKERS:
        if not server.alive():
            raise AssertionError(f"gunicorn exited:\n{server.tail(40)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gunicorn did not start {WORKERS} workers:\n{server.tail(40)}")
        time.sleep(0.05)


# ------------------------------------------------------------- one visit, one worker


def accepted_by(server: ServerProcess, connection: socket.socket) -> int | None:
    """The worker holding the server's end of ``connection``, once one accepted it."""
    inode = _server_side_inode(server.port, connection.getsockname()[1])
    if inode is None:
        return None  # still in the listening socket's queue
    target = f"socket:[{inode}]"
    for pid in worker_pids(server):
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(f"/proc/{pid}/fd/{descriptor}") == target:
                    return pid
            except OSError:
                continue
    return None


def _server_side_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the socket from ``server_port`` to ``client_port`` (IPv4 loopback);
    None while nobody has accepted it (its inode is 0 until then)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if (
            int(local.split(":")[1], 16) == server_port
            and int(remote.split(":")[1], 16) == client_port
            and inode != "0"
        ):
            return inode
    return None


def connect_to(server: ServerProcess, wanted: Callable[[int], bool]) -> tuple[int, socket.socket]:
    """A new connection accepted by a worker that ``wanted`` accepts, and that worker."""
    deadline = time.monotonic() + SEARCH_DEADLINE
    while time.monotonic() < deadline:
        connection = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
        accept_deadline = time.monotonic() + ACCEPT_DEADLINE
        pid = None
        while pid is None and time.monotonic() < accept_deadline:
            pid = accepted_by(server, connection)
            if pid is None:
                time.sleep(0.005)
        if pid is not None and wanted(pid):
            return pid, connection
        connection.close()
    raise AssertionError(f"no wanted worker accepted a connection:\n{server.tail(40)}")


def visit(server: ServerProcess, wanted: Callable[[int], bool]) -> Visit:
    """The page, on a connection served by a worker ``wanted`` accepts."""
    pid, connection = connect_to(server, wanted)
    with connection:
        connection.sendall(
            (
                f"GET {PAGE} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                "Sec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
        )
        raw = b""
        while chunk := connection.recv(65536):
            raw += chunk
    result = Visit(pid, _heads(raw))
    assert result.status == 200, (raw[:2000], server.tail(40))
    # Every page names its assets in its Link header, hinted or not.
    assert ", ".join(HINTS) in result.heads[-1][1], result.heads
    return result


def _heads(raw: bytes) -> list[tuple[int, list[str]]]:
    """Status and Link field lines of each response head in ``raw``, up to the final one."""
    heads: list[tuple[int, list[str]]] = []
    rest = raw
    while not heads or heads[-1][0] < 200:
        head, separator, rest = rest.partition(b"\r\n\r\n")
        assert separator, f"no end of a response head in {raw[:500]!r}"
        status_line, *lines = head.decode("latin-1").split("\r\n")
        links = [
            value.strip()
            for name, _, value in (line.partition(":") for line in lines)
            if name.strip().lower() == "link"
        ]
        heads.append((int(status_line.split(" ")[1]), links))
    return heads


# -------------------------------------------------------------------------- the tests


def other_than(pids: set[int]) -> Callable[[int], bool]:
    return lambda pid: pid not in pids


def first_visits_on_different_workers(server: ServerProcess) -> list[Visit]:
    """``LEARNING_VISITS`` + 1 pages, each from a worker that served none before."""
    visits: list[Visit] = []
    for _ in range(LEARNING_VISITS + 1):
        visits.append(visit(server, other_than({v.pid for v in visits})))
    assert len({v.pid for v in visits}) == LEARNING_VISITS + 1 <= WORKERS
    return visits


@pytest.mark.parametrize("gunicorn", ["redis"], indirect=True)
def test_with_redis_a_route_is_hinted_on_the_third_visit_whichever_worker_answers(
    gunicorn: ServerProcess,
) -> None:
    visits = first_visits_on_different_workers(gunicorn)
    teaching, third = visits[:LEARNING_VISITS], visits[LEARNING_VISITS]
    assert [v.hinted for v in teaching] == [False] * LEARNING_VISITS, teaching
    # Its worker never served /slow/: the two pages it was learned from came through
    # the other two, and it read them from Redis.
    assert third.early_hints == ONE_HINT, (third, gunicorn.tail(40))
    # From then on every worker hints it, those that taught it included.
    for pid in sorted(worker_pids(gunicorn)):
        again = visit(gunicorn, pid.__eq__)
        assert again.early_hints == ONE_HINT, (again, gunicorn.tail(40))
    assert "Traceback" not in gunicorn.output(), gunicorn.tail(60)


@pytest.mark.parametrize("gunicorn", ["in-process"], indirect=True)
def test_with_the_default_store_each_worker_learns_alone(gunicorn: ServerProcess) -> None:
    visits = first_visits_on_different_workers(gunicorn)
    # Each worker saw one page of the route: none of them has learned it yet.
    assert [v.hinted for v in visits] == [False] * (LEARNING_VISITS + 1), visits
    # One worker that sees a second page learns it, and hints its own next page.
    taught = visits[0].pid
    assert not visit(gunicorn, taught.__eq__).hinted
    assert visit(gunicorn, taught.__eq__).early_hints == ONE_HINT
    # The others still do not.
    assert not visit(gunicorn, other_than({taught})).hinted


def shipped_config(extra_env: dict[str, str]) -> dict[str, str]:
    """The settings Gunicorn reads from the shipped file, as ``--print-config`` shows."""
    printed = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(GUNICORN_CONF),
            "--print-config",
            "testproject.wsgi",
        ],
        cwd=REPO,
        env=server_env(extra=extra_env),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return {
        name.strip(): value.strip()
        for name, _, value in (line.partition("=") for line in printed.splitlines())
    }


def test_the_shipped_config_opens_no_control_socket_unless_given_a_path(
    tmp_path: Path,
) -> None:
    assert shipped_config({})["control_socket_disable"] == "True"
    own = str(tmp_path / "mysite.ctl")
    config = shipped_config({"GUNICORN_CONTROL_SOCKET": own})
    assert config["control_socket_disable"] == "False"
    assert config["control_socket"] == own
