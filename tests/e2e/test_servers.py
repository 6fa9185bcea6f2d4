"""End to end: 103 Early Hints through the servers Django sites run on.

Each server is started for real on a loopback port, once for this module, serving
the test pages of :mod:`tests.support.apps.servers_urls` (a sync and an async view
that declare two assets with ``@push_static``, a page that only learns its assets,
a page with both) with :mod:`tests.support.apps.servers_settings`:

- Gunicorn under WSGI (``h2push.wsgi``): a 103 through ``wsgi.early_hints``, seen by
  an HTTP/1.1 client on h11 (:mod:`tests.support.http1`);
- Gunicorn's ASGI worker over TLS, with ``H2PUSH_EARLY_HINTS_AS_INFORMATIONAL``: a 103
  as ``http.response.informational``, over HTTP/1.1 and over its own HTTP/2;
- Uvicorn's HTTP/2 (``--http zttp --http2``) over TLS: a 103 through the
  ``http.response.early_hint`` extension, seen by the h2 probe;
- ``runh2server`` (Hypercorn): a ``fetch()`` gets none, a navigation gets one;
- Daphne (HTTP/1.1 and HTTP/2), Uvicorn over HTTP/1.1 and Gunicorn under WSGI
  without the callable: the page and its ``Link`` header, no 103, no error logged.

The timing assertions are ordering proofs, not benchmarks: the view sleeps
``VIEW_MS`` before the response can start, so a 103 that arrived at least half of
that before the page's status line was sent while the view worked. Every request of
this module also checks that it got one 103 at most.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from h2push.core.linkheader import split_links
from h2push.probe import EventKind, Exchange, H2Connection
from harness.certificates import cafile, client_context
from harness.constants import CSS_LINK, JS_LINK, REPO
from harness.processes import (
    ServerProcess,
    find_free_port,
    launch,
    server_env,
    wait_for_port,
)
from harness.servers import H2ServerFactory
from tests.support import http1
from tests.support.linkfields import links_in

pytestmark = pytest.mark.e2e

SETTINGS = "tests.support.apps.servers_settings"
INFORMATIONAL_SETTINGS = "tests.support.apps.servers_informational_settings"
WSGI_APP = "tests.support.apps.servers_wsgi:application"
WSGI_APP_WITHOUT_CALLABLE = "tests.support.apps.servers_wsgi:without_callable"
ASGI_APP = "tests.support.apps.servers_asgi:application"

LOGO_LINK = "</static/img/logo.png>; rel=preload; as=image"
TWO_ASSETS = [CSS_LINK, JS_LINK]
# The view's sleep, long against everything else on the way (TLS on loopback, the
# client, Django's routing), so the margin holds on a busy two-core machine.
VIEW_MS = 800
MARGIN_MS = VIEW_MS / 2
# A view just long enough that a 103 sent before it would show up ahead of the page.
SHORT_MS = 100
TIMEOUT = 15.0
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
# Anything a server or h2push logs when something went wrong.
TROUBLE = re.compile(r"Traceback|\b(?:ERROR|WARNING|CRITICAL)\b")


# ---------------------------------------------------------------------- what was seen


@dataclass
class Seen:
    """One request's responses as any of the clients saw them."""

    status: int
    links: list[str]  # the final response's Link values
    hints: list[list[str]]  # each 103's Link values, in order
    hint_fields: list[list[list[str]]]  # each 103's link field lines, each as its values
    lead_ms: float | None  # how long the first 103 came before the final status line
    describe: str

    @classmethod
    def from_http1(cls, response: http1.Response) -> Seen:
        hints = response.early_hints
        lead = response.lead_ms(hints[0]) if hints else None
        heads = [*response.interim, response.head]
        text = "\n".join(f"{response.ms(h.at):8.1f} ms  {h.status} {h.links}" for h in heads)
        fields = [[links_in(line) for line in hint.links] for hint in hints]
        return cls(response.status, _values(response.links), _hints(hints), fields, lead, text)

    @classmethod
    def from_exchange(cls, exchange: Exchange) -> Seen:
        page_at = next(e.at for e in exchange.events if e.kind is EventKind.HEADERS)
        hints = exchange.early_hints
        lead = (page_at - hints[0].received_at) * 1000 if hints else None
        events = exchange.events
        text = "\n".join(f"{exchange.ms(e.at):8.1f} ms  {e.kind} {e.detail}" for e in events)
        fields = [[links_in(line) for line in hint.link_fields] for hint in hints]
        return cls(exchange.status, _values(exchange.links), _hints(hints), fields, lead, text)


def _values(fields: Sequence[str]) -> list[str]:
    return [value for field in fields for value in split_links(field)]


class _Hint(Protocol):
    @property
    def links(self) -> list[str]: ...


def _hints(blocks: Sequence[_Hint]) -> list[list[str]]:
    return [_values(block.links) for block in blocks]


def assert_hinted_early(seen: Seen, links: list[str], label: str) -> None:
    """One 103 with exactly ``links``, comma-joined in one link field, at least
    ``MARGIN_MS`` before the page."""
    assert seen.status == 200, seen.describe
    assert seen.hints == [links], seen.describe
    assert seen.hint_fields == [[links]], seen.describe
    assert seen.lead_ms is not None and seen.lead_ms >= MARGIN_MS, seen.describe
    assert set(links) <= set(seen.links), seen.links
    print(f"{label}: the 103 came {seen.lead_ms:.0f} ms before the page")


def assert_not_hinted(seen: Seen, links: list[str]) -> None:
    """The page with its Link header, and no 103."""
    assert seen.status == 200, seen.describe
    assert seen.hints == [], seen.describe
    assert set(links) <= set(seen.links), seen.links


# ------------------------------------------------------------------------ the clients


Get = Callable[..., Seen]


def http1_client(server: ServerProcess, *, port: int | None = None, tls: bool = False) -> Get:
    """One connection per request, to ``server`` (on ``port`` if it listens on several);
    with ``tls``, verifying the certificate the server was started with."""
    context = client_context(server) if tls else None
    port = port or server.port

    def get(path: str, headers: dict[str, str] | None = None) -> Seen:
        response = http1.request(
            server.host, port, path, headers=headers, tls=context, timeout=TIMEOUT
        )
        seen = Seen.from_http1(response)
        assert len(seen.hints) <= 1, seen.describe  # never two 103s for one request
        return seen

    return get


def h2_client(server: ServerProcess, *, timeout: float = TIMEOUT) -> Get:
    """Each request on a new HTTP/2 connection."""

    def get(path: str, headers: dict[str, str] | None = None) -> Seen:
        with H2Connection(server.host, server.port, cafile=cafile(server), timeout=timeout) as conn:
            exchange = conn.request(path, headers=headers)
        seen = Seen.from_exchange(exchange)
        assert len(seen.hints) <= 1, seen.describe  # never two 103s for one request
        return seen

    return get


# ------------------------------------------------------------------------ the servers


class Servers:
    """The module's servers: started one by one as tests first need them, stopped
    all at once when the module ends (each takes a second or two to shut down)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[ServerProcess] = []

    def start(
        self,
        name: str,
        argv: list[str],
        *,
        port: int,
        settings: str = SETTINGS,
        cert_pair: tuple[Path, Path] | None = None,
    ) -> ServerProcess:
        """Start ``argv`` with ``settings``, a home of its own (Gunicorn writes its
        control socket there) and the repository on its path; wait until ``port``
        listens. ``cert_pair`` is the certificate and key ``argv`` serves, kept on
        the server for the clients to verify it against."""
        home = self.tmp / name / "home"
        env = server_env(settings=settings, home=home, extra={"PYTHONPATH": str(REPO)})
        server = launch(argv, host="127.0.0.1", port=port, workdir=self.tmp / name, env=env)
        if cert_pair is not None:
            server.certfile, server.keyfile = cert_pair
        self.adopt(server)
        server.wait_until_ready()
        return server

    def adopt(self, server: ServerProcess) -> ServerProcess:
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        with ThreadPoolExecutor(max_workers=max(len(self.started), 1)) as pool:
            list(pool.map(ServerProcess.stop, self.started))


def gunicorn_argv(app: str, port: int, *extra: str) -> list[str]:
    return [
        *(sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "--workers", "1"),
        *("--graceful-timeout", "2", *extra, app),
    ]


def uvicorn_argv(port: int, *extra: str) -> list[str]:
    return [
        *(sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)),
        *("--timeout-graceful-shutdown", "2", *extra, ASGI_APP),
    ]


def assert_quiet(server: ServerProcess) -> None:
    """Still running, and nothing went wrong in its log (h2push's warnings included)."""
    assert server.alive(), server.tail()
    assert not TROUBLE.search(server.output() + server.errors()), server.tail(40)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    pool = Servers(tmp_path_factory.mktemp("servers"))
    yield pool
    pool.stop_all()


@pytest.fixture(scope="module")
def gunicorn_wsgi(servers: Servers) -> ServerProcess:
    port = find_free_port()
    return servers.start("gunicorn-wsgi", gunicorn_argv(WSGI_APP, port), port=port)


# --------------------------------------------------------------- Gunicorn under WSGI


@pytest.mark.parametrize("view", ["sync", "async"])
def test_gunicorn_wsgi_hints_before_the_view_ends(gunicorn_wsgi: ServerProcess, view: str) -> None:
    seen = http1_client(gunicorn_wsgi)(f"/servers/{view}/?ms={VIEW_MS}")
    assert_hinted_early(seen, TWO_ASSETS, f"Gunicorn WSGI, {view} view")


def test_gunicorn_wsgi_hints_a_learned_page(gunicorn_wsgi: ServerProcess) -> None:
    get = http1_client(gunicorn_wsgi)
    # Nothing is known of the route until two of its pages agreed.
    assert [get("/servers/learned/").hints for _ in range(2)] == [[], []]
    seen = get(f"/servers/learned/?ms={VIEW_MS}")
    assert_hinted_early(seen, TWO_ASSETS, "Gunicorn WSGI, learned page")


def test_gunicorn_wsgi_hints_navigations_only(gunicorn_wsgi: ServerProcess) -> None:
    get = http1_client(gunicorn_wsgi)
    assert_not_hinted(get(f"/servers/sync/?ms={SHORT_MS}", FETCH), TWO_ASSETS)
    seen = get(f"/servers/sync/?ms={VIEW_MS}", NAVIGATION)
    assert_hinted_early(seen, TWO_ASSETS, "Gunicorn WSGI, navigation")


def test_gunicorn_wsgi_sends_declared_and_learned_links_in_one_103(
    gunicorn_wsgi: ServerProcess,
) -> None:
    assert_one_103_with_all_links(http1_client(gunicorn_wsgi), "Gunicorn WSGI")
    assert_quiet(gunicorn_wsgi)


def assert_one_103_with_all_links(get: Get, label: str) -> None:
    """``/servers/both/`` declares two assets and learns a third: before it learned,
    its 103 carries the declared two; after, one 103 carries all three."""
    early = [get("/servers/both/") for _ in range(2)]
    assert [seen.hints for seen in early] == [[TWO_ASSETS], [TWO_ASSETS]]
    seen = get(f"/servers/both/?ms={VIEW_MS}")
    assert_hinted_early(seen, [*TWO_ASSETS, LOGO_LINK], f"{label}, declared and learned")


# ------------------------------------------------------------- Gunicorn's ASGI worker


@pytest.fixture(scope="module")
def gunicorn_asgi(servers: Servers, dev_cert_pair: tuple[Path, Path]) -> ServerProcess:
    """The ASGI worker over TLS, offering HTTP/2 and HTTP/1.1 by ALPN."""
    certfile, keyfile = dev_cert_pair
    port = find_free_port()
    tls = ("--certfile", str(certfile), "--keyfile", str(keyfile))
    argv = gunicorn_argv(ASGI_APP, port, "-k", "asgi", "--http-protocols", "h2,h1", *tls)
    return servers.start(
        "gunicorn-asgi",
        argv,
        port=port,
        settings=INFORMATIONAL_SETTINGS,
        cert_pair=dev_cert_pair,
    )


@pytest.mark.parametrize("view", ["sync", "async"])
def test_gunicorn_asgi_worker_hints_over_http1(gunicorn_asgi: ServerProcess, view: str) -> None:
    seen = http1_client(gunicorn_asgi, tls=True)(f"/servers/{view}/?ms={VIEW_MS}")
    assert_hinted_early(seen, TWO_ASSETS, f"Gunicorn ASGI worker, HTTP/1.1, {view} view")


@pytest.mark.parametrize("view", ["sync", "async"])
def test_gunicorn_asgi_worker_hints_over_http2(gunicorn_asgi: ServerProcess, view: str) -> None:
    seen = h2_client(gunicorn_asgi)(f"/servers/{view}/?ms={VIEW_MS}", NAVIGATION)
    assert_hinted_early(seen, TWO_ASSETS, f"Gunicorn ASGI worker, HTTP/2, {view} view")


def test_gunicorn_asgi_worker_sends_one_103_with_all_links(gunicorn_asgi: ServerProcess) -> None:
    assert_one_103_with_all_links(h2_client(gunicorn_asgi), "Gunicorn ASGI worker, HTTP/2")
    assert_not_hinted(h2_client(gunicorn_asgi)("/servers/sync/", FETCH), TWO_ASSETS)
    assert_quiet(gunicorn_asgi)


# ------------------------------------------------------------------- Uvicorn's HTTP/2


@pytest.fixture(scope="module")
def uvicorn_h2(servers: Servers, dev_cert_pair: tuple[Path, Path]) -> ServerProcess:
    certfile, keyfile = dev_cert_pair
    port = find_free_port()
    tls = ("--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile))
    argv = uvicorn_argv(port, "--http", "zttp", "--http2", *tls)
    return servers.start("uvicorn-h2", argv, port=port, cert_pair=dev_cert_pair)


# Every GET a browser sends ends the stream with its HEADERS frame. Uvicorn 0.54 with
# zttp 0.0.35 never handed such a request to the app; 0.55 does (the lock holds
# 0.55 or later), so these requests go out exactly as a browser's would: no body.


@pytest.mark.parametrize("view", ["sync", "async"])
def test_uvicorn_h2_hints_before_the_view_ends(uvicorn_h2: ServerProcess, view: str) -> None:
    seen = h2_client(uvicorn_h2)(f"/servers/{view}/?ms={VIEW_MS}")
    assert_hinted_early(seen, TWO_ASSETS, f"Uvicorn HTTP/2, {view} view")


def test_uvicorn_h2_sends_one_103_with_all_links(uvicorn_h2: ServerProcess) -> None:
    get = h2_client(uvicorn_h2)
    assert_one_103_with_all_links(get, "Uvicorn HTTP/2")
    assert_not_hinted(get("/servers/async/", FETCH), TWO_ASSETS)
    assert_quiet(uvicorn_h2)


def test_uvicorn_h2_answers_a_get_without_a_body(uvicorn_h2: ServerProcess) -> None:
    """The request a browser sends (HEADERS with END_STREAM, no DATA frame) is
    answered: the page, and the 103 before it."""
    seen = h2_client(uvicorn_h2, timeout=5.0)(f"/servers/async/?ms={SHORT_MS}", NAVIGATION)
    assert seen.status == 200, seen.describe
    assert seen.hints == [TWO_ASSETS], seen.describe


# ---------------------------------------------------------------- runh2server (Hypercorn)


@pytest.fixture(scope="module")
def hypercorn(servers: Servers) -> ServerProcess:
    """``manage.py runh2server`` with its development certificate."""
    return servers.adopt(H2ServerFactory(servers.tmp / "runh2server")(settings=SETTINGS))


def test_runh2server_hints_navigations_and_tools_not_fetches(hypercorn: ServerProcess) -> None:
    get = h2_client(hypercorn)
    assert_not_hinted(get(f"/servers/sync/?ms={SHORT_MS}", FETCH), TWO_ASSETS)
    navigation = get(f"/servers/sync/?ms={VIEW_MS}", NAVIGATION)
    assert_hinted_early(navigation, TWO_ASSETS, "runh2server, navigation")
    tool = get(f"/servers/async/?ms={VIEW_MS}")  # no Sec-Fetch-* at all
    assert_hinted_early(tool, TWO_ASSETS, "runh2server, a client without Sec-Fetch-*")


def test_runh2server_sends_one_103_with_all_links(hypercorn: ServerProcess) -> None:
    assert_one_103_with_all_links(h2_client(hypercorn), "runh2server")
    assert_quiet(hypercorn)


# ------------------------------------------------------- servers that cannot send one


@pytest.fixture(scope="module")
def daphne(servers: Servers, dev_cert_pair: tuple[Path, Path]) -> tuple[ServerProcess, int]:
    """Daphne on two ports: TLS (HTTP/2 by ALPN) and plain HTTP/1.1; the second's port."""
    certfile, keyfile = dev_cert_pair
    tls_port, plain_port = find_free_port(), find_free_port()
    endpoints = [
        f"ssl:port={tls_port}:interface=127.0.0.1:privateKey={keyfile}:certKey={certfile}",
        f"tcp:port={plain_port}:interface=127.0.0.1",
    ]
    argv = [sys.executable, "-m", "daphne", *(f"-e{e}" for e in endpoints), ASGI_APP]
    server = servers.start("daphne", argv, port=tls_port, cert_pair=dev_cert_pair)
    wait_for_port(server.host, plain_port, server.proc)
    return server, plain_port


@pytest.fixture(scope="module")
def uvicorn_h1(servers: Servers) -> ServerProcess:
    port = find_free_port()
    return servers.start("uvicorn-h1", uvicorn_argv(port, "--http", "h11"), port=port)


@pytest.fixture(scope="module")
def gunicorn_wsgi_without_callable(servers: Servers) -> ServerProcess:
    port = find_free_port()
    argv = gunicorn_argv(WSGI_APP_WITHOUT_CALLABLE, port)
    return servers.start("gunicorn-wsgi-bare", argv, port=port)


def assert_pages_without_hints(get: Get) -> None:
    """Every kind of page answers with its Link header and no 103, learned pages too."""
    for view in ("sync", "async"):
        assert_not_hinted(get(f"/servers/{view}/?ms={SHORT_MS}"), TWO_ASSETS)
        assert_not_hinted(get(f"/servers/{view}/?ms={SHORT_MS}", NAVIGATION), TWO_ASSETS)
    for _ in range(3):
        last = get("/servers/both/")
        assert_not_hinted(last, TWO_ASSETS)
    assert LOGO_LINK in last.links


def test_daphne_http2_sends_no_103(daphne: tuple[ServerProcess, int]) -> None:
    server, _ = daphne
    assert_pages_without_hints(h2_client(server))
    assert_quiet(server)


def test_daphne_http1_sends_no_103(daphne: tuple[ServerProcess, int]) -> None:
    server, plain_port = daphne
    assert_pages_without_hints(http1_client(server, port=plain_port))
    assert_quiet(server)


def test_uvicorn_http1_sends_no_103(uvicorn_h1: ServerProcess) -> None:
    assert_pages_without_hints(http1_client(uvicorn_h1))
    assert_quiet(uvicorn_h1)


def test_gunicorn_wsgi_without_the_callable_sends_no_103(
    gunicorn_wsgi_without_callable: ServerProcess,
) -> None:
    assert_pages_without_hints(http1_client(gunicorn_wsgi_without_callable))
    assert_quiet(gunicorn_wsgi_without_callable)
