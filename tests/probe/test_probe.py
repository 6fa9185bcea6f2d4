"""The HTTP/2 probe (h2push.probe) and the h2probe command, against real servers.

Most tests talk to a real Hypercorn serving ``tests/support/apps/probe_app.py`` over TLS on a
loopback port. Failures Hypercorn will not produce on demand (GOAWAY mid-request,
RST_STREAM, a push the client refused) come from a small scripted h2 server
running in a thread.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest
from django.core.management import CommandError, call_command
from h2.errors import ErrorCodes
from hyperframe.frame import GoAwayFrame, PushPromiseFrame

from h2push.probe import (
    USER_AGENT,
    ALPNError,
    ConnectError,
    ConnectionClosed,
    GoAwayError,
    H2Connection,
    InvalidURL,
    ProbeError,
    ProbeTimeout,
    ProtocolViolation,
    Request,
    StreamResetError,
    TLSError,
    fetch,
    parse_url,
)
from harness.certificates import verified
from harness.constants import PROBE_ASGI_APP, REPO
from harness.processes import launch, listening_socket, server_env, write_hypercorn_config
from tests.support.apps.probe_app import ASSETS, BIG, BIG_PATH, PAGE, asset_body, page_assets

pytestmark = pytest.mark.e2e

# ----------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class TLSFiles:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Server:
    port: int
    tls: TLSFiles

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"

    def connect(self, **kwargs: object) -> H2Connection:
        """A connection that verifies the server against its own certificate."""
        kwargs.setdefault("cafile", self.tls.cert)
        return H2Connection("127.0.0.1", self.port, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tls_files(dev_cert_pair: tuple[Path, Path]) -> TLSFiles:
    """The session's development certificate for localhost, 127.0.0.1 and ::1."""
    return TLSFiles(*dev_cert_pair)


@pytest.fixture(scope="module")
def server(tls_files: TLSFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Hypercorn serving tests/support/apps/probe_app.py over TLS on a free 127.0.0.1 port."""
    directory = tmp_path_factory.mktemp("probe-hypercorn")
    # The test binds and listens, then hands the socket to Hypercorn: no race for a
    # free port, and connections queue in the backlog until Hypercorn is serving,
    # so there is nothing to poll for.
    listener = listening_socket()
    config = write_hypercorn_config(
        directory / "hypercorn.toml",
        listener,
        tls_files.cert,
        tls_files.key,
        # Pushed streams count as requests: never let the limit end a test connection.
        keep_alive_max_requests=1000000,
        graceful_timeout=1,
    )
    argv = [sys.executable, "-m", "hypercorn", "--workers", "0", "--config", str(config)]
    process = launch(
        [*argv, PROBE_ASGI_APP],
        host="127.0.0.1",
        port=listener.getsockname()[1],
        workdir=directory,
        env=server_env(),
        name="hypercorn",
        merge_output=True,
        pass_fds=[listener.fileno()],
    )
    # Closed here, a server that died at start-up refuses connections at once.
    listener.close()
    running = Server(process.port, tls_files)
    try:
        with verified(tls_files.cert):
            fetch(running.url("/plain"), cafile=tls_files.cert, timeout=15)
    except ProbeError as exc:
        process.stop(signal.SIGKILL)
        pytest.fail(f"Hypercorn did not serve ({exc}); its log:\n{process.output()}")
    try:
        yield running
    finally:
        process.stop(signal.SIGTERM)


RequestHandler = Callable[
    [h2.connection.H2Connection, h2.events.RequestReceived, Callable[[bytes], None]], bool
]


class ScriptedH2Server:
    """An HTTP/2 server in a thread whose handler decides each request's fate.

    The handler gets the h2 connection, the request event and a function that sends
    raw bytes (after whatever h2 has queued); returning True drops the TCP connection.
    """

    def __init__(self, tls: TLSFiles, handler: RequestHandler) -> None:
        self.handler = handler
        self.certfile = tls.cert  # What a client trusts for it.
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(tls.cert, tls.key)
        self.context.set_alpn_protocols(["h2"])
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.listener.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self.listener.accept()
            except TimeoutError:
                continue
            with raw:
                raw.settimeout(5)
                # The client gives up on connections this server breaks on purpose.
                with contextlib.suppress(OSError, h2.exceptions.ProtocolError):
                    self._serve(self.context.wrap_socket(raw, server_side=True))

    def _serve(self, sock: ssl.SSLSocket) -> None:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()

        def send_raw(data: bytes) -> None:
            sock.sendall(conn.data_to_send() + data)

        send_raw(b"")
        while not self._stop.is_set():
            data = sock.recv(65536)
            if not data:
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived) and self.handler(
                    conn, event, send_raw
                ):
                    return
            send_raw(b"")


@pytest.fixture
def scripted(tls_files: TLSFiles) -> Iterator[Callable[[RequestHandler], ScriptedH2Server]]:
    servers: list[ScriptedH2Server] = []

    def start(handler: RequestHandler) -> ScriptedH2Server:
        servers.append(ScriptedH2Server(tls_files, handler))
        return servers[-1]

    yield start
    for started in servers:
        started.close()


def respond(conn: h2.connection.H2Connection, stream_id: int, body: bytes = b"ok") -> None:
    conn.send_headers(stream_id, [(":status", "200"), ("content-length", str(len(body)))])
    conn.send_data(stream_id, body, end_stream=True)


# ------------------------------------------------------------- against Hypercorn


def test_reports_tls_version_cipher_and_alpn(server: Server) -> None:
    with server.connect() as conn:
        assert conn.tls_version in {"TLSv1.2", "TLSv1.3"}
        assert conn.cipher
        assert conn.alpn_protocol == "h2"
        assert conn.server_settings["MAX_CONCURRENT_STREAMS"] == 100


def test_records_early_hint_links(server: Server) -> None:
    exchange = fetch(server.url("/"), cafile=server.tls.cert)

    assert [interim.status for interim in exchange.interim] == [103]
    assert exchange.early_hints[0].links == [
        "</static/a.css>; rel=preload",
        "</static/b.js>; rel=preload",
    ]
    assert exchange.status == 200
    assert exchange.body == PAGE


def test_push_promises_arrive_before_the_page_headers(server: Server) -> None:
    exchange = fetch(server.url("/"), cafile=server.tls.cert)

    kinds = [event.kind for event in exchange.events]
    headers_at = kinds.index("headers")
    promise_positions = [i for i, kind in enumerate(kinds) if kind == "push_promise"]
    assert len(promise_positions) == 2
    assert all(position < headers_at for position in promise_positions)
    assert exchange.promised_before_headers
    # The app promises first and hints second, so the 103 sits between them and the page.
    assert promise_positions[-1] < kinds.index("informational") < headers_at
    assert kinds[-1] in {"end", "push_end"}


def test_pushed_bodies_and_promised_requests_are_exact(server: Server) -> None:
    exchange = fetch(server.url("/"), cafile=server.tls.cert)

    assert exchange.pushed_paths == list(ASSETS)
    for promise in exchange.promises:
        assert promise.status == 200
        assert promise.body == ASSETS[promise.path]
        assert promise.stream_id % 2 == 0
        assert promise.parent_stream_id == exchange.stream_id
        assert promise.header(":method") == "GET"
        assert promise.header(":scheme") == "https"
        assert promise.header(":authority") == f"127.0.0.1:{server.port}"
        assert promise.header(":path") == promise.path


def test_push_disabled_gets_the_page_and_no_promises(server: Server) -> None:
    exchange = fetch(server.url("/"), enable_push=False, cafile=server.tls.cert)

    assert exchange.status == 200
    assert exchange.body == PAGE
    assert exchange.promises == []
    assert "push_promise" not in [event.kind for event in exchange.events]
    # The hint does not depend on push.
    assert len(exchange.early_hints) == 1


def test_default_request_headers_and_overrides(server: Server) -> None:
    with server.connect() as conn:
        plain, overridden = conn.request_many(
            [
                "/echo",
                Request("/echo", headers={"User-Agent": "custom/1", "accept": "text/css"}),
            ],
        )
    seen = dict(json.loads(plain.body)["headers"])
    assert seen["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("h2push-probe/")
    assert "accept" in seen
    assert seen["host"] == f"127.0.0.1:{server.port}"  # Hypercorn's name for :authority

    seen = dict(json.loads(overridden.body)["headers"])
    assert seen["user-agent"] == "custom/1"
    assert seen["accept"] == "text/css"


def test_request_body_larger_than_the_flow_control_window(server: Server) -> None:
    body = os.urandom(300_000)
    with server.connect() as conn:
        exchange = conn.request("/echo", method="POST", body=body)

    described = json.loads(exchange.body)
    assert described["method"] == "POST"
    assert described["body_length"] == len(body)


def test_pushed_body_larger_than_the_flow_control_windows(server: Server) -> None:
    exchange = fetch(server.url("/big"), cafile=server.tls.cert)

    (promise,) = exchange.promises
    assert promise.path == BIG_PATH
    assert promise.body == BIG


def test_request_many_multiplexes_200_pushing_pages(server: Server) -> None:
    paths = [f"/page/{n}" for n in range(200)]
    with server.connect() as conn:
        exchanges = conn.request_many(paths)
        # Still usable afterwards: no GOAWAY, no broken state.
        again = conn.request("/plain")

    assert [exchange.path for exchange in exchanges] == paths
    assert len({exchange.stream_id for exchange in exchanges}) == 200
    for exchange in exchanges:
        assert exchange.status == 200
        assert exchange.body == PAGE
        assert exchange.pushed_paths == page_assets(exchange.path)
        assert all(p.body == asset_body(p.path) for p in exchange.promises)
        assert exchange.promised_before_headers
    assert again.status == 200


def test_certificate_verification(server: Server) -> None:
    # No cafile here on purpose: the probe's own refusal of an untrusted certificate.
    with pytest.raises(TLSError, match="certificate verification failed"):
        fetch(server.url("/"), verify=True)
    # The same server passes with its certificate as the trust anchor, by name and address.
    assert fetch(server.url("/", host="localhost"), cafile=server.tls.cert).status == 200
    assert fetch(server.url("/"), cafile=server.tls.cert).status == 200


# -------------------------------------------------------------- failures, scripted


def test_goaway_during_a_request_raises(
    scripted: Callable[[RequestHandler], ScriptedH2Server],
) -> None:
    def go_away(conn: h2.connection.H2Connection, event: object, send: object) -> bool:
        conn.close_connection(ErrorCodes.ENHANCE_YOUR_CALM, b"too many", last_stream_id=0)
        return False

    fake = scripted(go_away)
    with (
        H2Connection("127.0.0.1", fake.port, cafile=fake.certfile) as conn,
        pytest.raises(GoAwayError) as caught,
    ):
        conn.request_many(["/a", "/b"])

    assert caught.value.error_code == ErrorCodes.ENHANCE_YOUR_CALM
    assert caught.value.debug_data == b"too many"
    assert "ENHANCE_YOUR_CALM" in str(caught.value)
    assert "2 of 2 responses" in str(caught.value)


def test_goaway_after_a_response_fails_the_next_request(
    scripted: Callable[[RequestHandler], ScriptedH2Server],
) -> None:
    def answer_then_go_away(
        conn: h2.connection.H2Connection, event: h2.events.RequestReceived, send: object
    ) -> bool:
        respond(conn, event.stream_id)
        conn.close_connection()
        return False

    fake = scripted(answer_then_go_away)
    with H2Connection("127.0.0.1", fake.port, cafile=fake.certfile) as conn:
        assert conn.request("/").body == b"ok"
        with pytest.raises(GoAwayError, match="NO_ERROR"):
            conn.request("/")


def test_graceful_goaway_lets_accepted_streams_finish(
    scripted: Callable[[RequestHandler], ScriptedH2Server],
) -> None:
    pending: list[int] = []

    def drain(
        conn: h2.connection.H2Connection,
        event: h2.events.RequestReceived,
        send: Callable[[bytes], None],
    ) -> bool:
        pending.append(event.stream_id)
        if len(pending) == 2:
            # Announce shutdown first, then finish both accepted streams (RFC 9113 6.8).
            send(GoAwayFrame(0, last_stream_id=max(pending), error_code=0).serialize())
            for stream_id in pending:
                respond(conn, stream_id, b"drained")
        return False

    fake = scripted(drain)
    with H2Connection("127.0.0.1", fake.port, cafile=fake.certfile) as conn:
        first, second = conn.request_many(["/a", "/b"])
        assert first.body == second.body == b"drained"
        with pytest.raises(GoAwayError, match="earlier on this connection"):
            conn.request("/c")


def test_reset_stream_raises_and_refused_stream_is_retried(
    scripted: Callable[[RequestHandler], ScriptedH2Server],
) -> None:
    refused: list[int] = []

    def handler(
        conn: h2.connection.H2Connection, event: h2.events.RequestReceived, send: object
    ) -> bool:
        path = dict(event.headers or [])[b":path"]
        if path == b"/refuse-once" and not refused:
            refused.append(event.stream_id)
            conn.reset_stream(event.stream_id, ErrorCodes.REFUSED_STREAM)
        elif path == b"/reset":
            conn.reset_stream(event.stream_id, ErrorCodes.INTERNAL_ERROR)
        else:
            respond(conn, event.stream_id)
        return False

    fake = scripted(handler)
    with H2Connection("127.0.0.1", fake.port, cafile=fake.certfile) as conn:
        retried = conn.request("/refuse-once")
        assert retried.status == 200
        assert retried.stream_id != refused[0]
        with pytest.raises(StreamResetError, match="INTERNAL_ERROR") as caught:
            conn.request("/reset")
        assert caught.value.path == "/reset"


def test_reset_push_is_recorded(scripted: Callable[[RequestHandler], ScriptedH2Server]) -> None:
    def push_then_cancel(
        conn: h2.connection.H2Connection, event: h2.events.RequestReceived, send: object
    ) -> bool:
        promised = conn.get_next_available_stream_id()
        request = [(":method", "GET"), (":path", "/gone.css"), (":scheme", "https")]
        conn.push_stream(event.stream_id, promised, [*request, (":authority", "x")])
        conn.reset_stream(promised, ErrorCodes.CANCEL)
        respond(conn, event.stream_id)
        return False

    fake = scripted(push_then_cancel)
    with H2Connection("127.0.0.1", fake.port, cafile=fake.certfile) as conn:
        exchange = conn.request("/")

    (promise,) = exchange.promises
    assert promise.status is None
    assert promise.reset_code == ErrorCodes.CANCEL
    assert ("push_reset", "/gone.css CANCEL") in [(e.kind, e.detail) for e in exchange.events]
    assert exchange.body == b"ok"


def test_push_after_enable_push_0_is_a_protocol_violation(
    scripted: Callable[[RequestHandler], ScriptedH2Server],
) -> None:
    def push_anyway(
        conn: h2.connection.H2Connection,
        event: h2.events.RequestReceived,
        send: Callable[[bytes], None],
    ) -> bool:
        # h2 refuses to push to a client that said ENABLE_PUSH=0, so build the frame.
        frame = PushPromiseFrame(event.stream_id, promised_stream_id=2, flags=["END_HEADERS"])
        frame.data = conn.encoder.encode(
            [(":method", "GET"), (":path", "/x"), (":scheme", "https"), (":authority", "x")]
        )
        send(frame.serialize())
        return False

    fake = scripted(push_anyway)
    with (
        H2Connection("127.0.0.1", fake.port, enable_push=False, cafile=fake.certfile) as conn,
        pytest.raises(ProtocolViolation, match="SETTINGS_ENABLE_PUSH=0"),
    ):
        conn.request("/")


def test_connection_dropped_mid_request(
    scripted: Callable[[RequestHandler], ScriptedH2Server],
) -> None:
    fake = scripted(lambda conn, event, send: True)
    with (
        H2Connection("127.0.0.1", fake.port, cafile=fake.certfile) as conn,
        pytest.raises(ConnectionClosed, match="closed the connection"),
    ):
        conn.request("/")


def test_connection_refused(tls_files: TLSFiles) -> None:
    # Bound but not listening: the kernel refuses, and nobody else can take the port.
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        with pytest.raises(ConnectError, match=re.escape(f"refused by 127.0.0.1:{port}")):
            fetch(f"https://127.0.0.1:{port}/", cafile=tls_files.cert)


def test_silent_server_times_out(tls_files: TLSFiles) -> None:
    # Listening but never accepting: TCP connects, the TLS handshake never answers.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with pytest.raises(ProbeTimeout, match="TLS handshake"):
            fetch(f"https://127.0.0.1:{port}/", cafile=tls_files.cert, timeout=0.2)


def test_alpn_without_h2_names_the_protocol(tls_files: TLSFiles) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files.cert, tls_files.key)
    context.set_alpn_protocols(["http/1.1"])
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)

        def handshake_once() -> None:
            raw, _ = listener.accept()
            with raw, context.wrap_socket(raw, server_side=True) as tls:
                tls.settimeout(5)
                tls.recv(1)  # Until the client hangs up.

        thread = threading.Thread(target=handshake_once, daemon=True)
        thread.start()
        port = listener.getsockname()[1]
        with pytest.raises(ALPNError, match=re.escape("'http/1.1'")) as caught:
            H2Connection(
                "127.0.0.1", port, alpn=("h2", "http/1.1"), cafile=tls_files.cert
            ).connect()
        thread.join(timeout=5)
    assert caught.value.negotiated == "http/1.1"


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8443/", "127.0.0.1:8443", "https:///path", "https://127.0.0.1:99999/"],
)
def test_parse_url_rejects(url: str) -> None:
    with pytest.raises(InvalidURL):
        parse_url(url)


def test_parse_url() -> None:
    assert parse_url("https://[::1]:8443/a?b=1") == ("::1", 8443, "/a?b=1")
    assert parse_url("https://example.com") == ("example.com", 443, "/")


# ---------------------------------------------------------------- the command


def run_probe(*args: str) -> str:
    out = StringIO()
    call_command("h2probe", *args, stdout=out)
    return out.getvalue()


def test_command_shows_tls_hints_and_pushes(server: Server) -> None:
    # No --cafile on purpose: this run checks the loopback default (not verified) too.
    output = run_probe(server.url("/"))

    assert "TLSv1." in output
    assert "ALPN:     h2" in output
    assert "(certificate NOT verified)" in output  # loopback: self-signed is fine
    assert "HEADERS 103 (Early Hints)" in output
    assert "link: </static/a.css>; rel=preload" in output
    assert "PUSH_PROMISE /static/a.css" in output
    assert "PUSH_PROMISE /static/b.js" in output
    assert f"/static/a.css -> 200, {len(ASSETS['/static/a.css'])} bytes" in output
    assert "Response: 200" in output
    assert f"Body: {len(PAGE)} bytes" in output


def test_command_without_push(server: Server) -> None:
    output = run_probe(
        server.url("/"), "--no-push", "--header", "X-Probe: 1", "--cafile", str(server.tls.cert)
    )

    assert "PUSH_PROMISE" not in output
    assert "Pushed: 0" in output
    assert "SETTINGS_ENABLE_PUSH=0" in output
    assert "HEADERS 103 (Early Hints)" in output


def test_command_verifies_with_cafile(server: Server) -> None:
    output = run_probe(server.url("/", host="localhost"), "--cafile", str(server.tls.cert))
    assert "(certificate verified)" in output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["http://127.0.0.1:8443/"], "not an https:// URL"),
        (["not a url"], "not an https:// URL"),
        (["https://127.0.0.1:99999/"], "invalid URL"),
        (["https://127.0.0.1:{port}/", "--header", "no colon"], "--header must look like"),
        (["https://127.0.0.1:{port}/", "--verify"], "certificate verification failed"),
    ],
)
def test_command_bad_input_is_one_line(server: Server, args: list[str], expected: str) -> None:
    # No --cafile: all but the last are refused before connecting, and the last is the
    # probe's own refusal of an untrusted certificate (--verify on a loopback host).
    with pytest.raises(CommandError) as caught:
        run_probe(*(arg.format(port=server.port) for arg in args))
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_command_refused_port_exits_1_without_traceback(tls_files: TLSFiles) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "h2probe",
                f"https://127.0.0.1:{port}/",
                "--cafile",
                str(tls_files.cert),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"CommandError: connection refused by 127.0.0.1:{port}"
    ]
    assert result.stdout == ""


# ------------------------------------------------------------ the console script


def run_console_script(*args: str) -> subprocess.CompletedProcess[str]:
    """``h2probe`` as installed next to this interpreter, run outside any Django
    project: no settings module, a folder with no manage.py."""
    script = Path(sys.executable).with_name("h2probe")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [str(script), *args], cwd="/", env=env, capture_output=True, text=True, timeout=60
    )


def test_console_script_prints_what_the_command_prints(server: Server) -> None:
    verify = ("--cafile", str(server.tls.cert))
    result = run_console_script(server.url("/"), *verify)
    assert result.returncode == 0, result.stderr
    assert "HEADERS 103 (Early Hints)" in result.stdout
    assert "PUSH_PROMISE /static/a.css" in result.stdout
    assert "Response: 200" in result.stdout
    # The same report as the command's: its summary sections match, times aside
    # (frames of different streams may interleave differently from run to run).
    assert _sections(result.stdout) == _sections(run_probe(server.url("/"), *verify))


def _sections(report: str) -> list[str]:
    tail = report[report.index("Early hints:") :]
    return sorted(re.sub(r"\d+\.\d ms", "T", line) for line in tail.splitlines())


def test_console_script_refused_port_is_one_line_and_exit_1(tls_files: TLSFiles) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        result = run_console_script(f"https://127.0.0.1:{port}/", "--cafile", str(tls_files.cert))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"h2probe: connection refused by 127.0.0.1:{port}"]
    assert result.stdout == ""
