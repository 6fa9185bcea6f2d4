"""``manage.py runh2server``: end to end over HTTP/2, its runserver ways, bad input,
the autoreloader, Ctrl-C; and unit tests of the pieces in :mod:`h2push.server.serving`."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import signal
import socket
import ssl
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from h2push.asgi import H2PushMiddleware
from h2push.delivery.lifespan import LifespanFallback
from h2push.probe import H2Connection
from h2push.server.serving import (
    KEEP_ALIVE_MAX_REQUESTS,
    Address,
    StartupError,
    bind,
    build_config,
)
from h2push.server.wiring import find_adapter, get_application, wire_application
from harness.asgi import AsgiCall, kinds
from harness.certificates import UntrustedCertificate, cafile, verified
from harness.constants import CSS_PATH, JS_PATH, MANAGE, REPO, STATIC_DIR

if TYPE_CHECKING:
    from subprocess import CompletedProcess

    from harness.processes import ServerProcess
    from harness.servers import H2ServerFactory

    Manage = Callable[..., CompletedProcess[str]]

PUSHED = [CSS_PATH, JS_PATH]


# =============================================================== end to end over HTTP/2


@pytest.mark.e2e
def test_home_page_over_http2_with_its_pushes(h2server: ServerProcess) -> None:
    with H2Connection(
        "127.0.0.1", h2server.port, enable_push=True, cafile=cafile(h2server)
    ) as connection:
        exchange = connection.request("/")
        assert connection.alpn_protocol == "h2"
        assert connection.tls_version in ("TLSv1.2", "TLSv1.3")
    assert exchange.status == 200
    assert b"<html" in exchange.body.lower()
    # Each asset promised exactly once (the adapter is there once), before the page's
    # HEADERS, and each pushed response arrived.
    assert exchange.pushed_paths == PUSHED
    assert exchange.promised_before_headers
    for promise in exchange.promises:
        assert promise.status == 200
        assert promise.body


@pytest.mark.e2e
@pytest.mark.parametrize("path", PUSHED)
def test_pushed_static_file_is_byte_exact(h2server: ServerProcess, path: str) -> None:
    with H2Connection("127.0.0.1", h2server.port, cafile=cafile(h2server)) as connection:
        exchange = connection.request("/")
    promise = exchange.promise_for(path)
    assert promise is not None
    expected = (STATIC_DIR / path.removeprefix("/static/")).read_bytes()
    assert promise.body == expected
    assert promise.response_header("content-length") == str(len(expected))


@pytest.mark.e2e
def test_alpn_falls_back_to_http11(h2server: ServerProcess) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(h2server.certfile)
    context.set_alpn_protocols(["http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", h2server.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.selected_alpn_protocol() == "http/1.1"
        tls.sendall(
            f"GET /static/css/base.css HTTP/1.1\r\nHost: localhost:{h2server.port}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        response = b""
        while chunk := tls.recv(65536):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == (STATIC_DIR / "css" / "base.css").read_bytes()


@pytest.mark.e2e
def test_pushed_streams_do_not_end_the_connection(h2server: ServerProcess) -> None:
    """Hypercorn's default (1000 streams a connection, pushed ones included) would end
    the connection with GOAWAY after about 333 pages that push two assets each;
    runh2server raises the limit."""
    streams = pushed = 0
    with H2Connection("127.0.0.1", h2server.port, cafile=cafile(h2server)) as connection:
        while streams <= 1100:
            for exchange in connection.request_many(["/"] * 20):
                assert exchange.status == 200
                streams += 1 + len(exchange.promises)
                pushed += len(exchange.promises)
        # Still the same connection, still answering and pushing.
        last = connection.request("/")
    assert last.status == 200
    assert last.pushed_paths == PUSHED
    assert pushed > 500


@pytest.mark.e2e
def test_banner_checks_and_quiet_start(h2server: ServerProcess) -> None:
    output = h2server.output()
    assert "Performing system checks..." in output
    assert "System check identified no issues" in output
    # The unapplied-migrations warning, as runserver gives it (contenttypes in memory).
    assert "unapplied migration(s)" in output
    assert f"Starting HTTP/2 development server at https://127.0.0.1:{h2server.port}/" in output
    assert "TLS: TLS 1.2+ · ECDHE+AESGCM · ALPN h2, http/1.1 · compression off" in output
    assert "using settings 'testproject.settings'" in output
    assert "Quit the server with CONTROL-C." in output
    # The access log goes to stdout, like runserver's lines.
    with H2Connection("127.0.0.1", h2server.port, cafile=cafile(h2server)) as connection:
        connection.request("/?banner-test")
    deadline = time.monotonic() + 10
    while '"GET /?banner-test HTTP/2" 200' not in h2server.output():
        assert time.monotonic() < deadline, h2server.output()
        time.sleep(0.05)
    # Start-up said nothing on stderr: no lifespan error or warning, no traceback.
    errors = h2server.errors()
    assert "ifespan" not in errors
    assert "Traceback" not in errors
    assert "WARNING" not in errors and "ERROR" not in errors


@pytest.mark.e2e
def test_nostatic(h2server_factory: H2ServerFactory) -> None:
    server = h2server_factory("--nostatic", "--skip-checks")
    assert "Static files: not served" in server.output()
    assert "Performing system checks" not in server.output()
    with H2Connection("127.0.0.1", server.port, cafile=cafile(server)) as connection:
        page = connection.request("/")
        asset = connection.request("/static/css/base.css")
    assert page.status == 200
    assert asset.status == 404
    assert [p.status for p in page.promises] == [404, 404]


@pytest.mark.e2e
def test_daphne_fixture_serves_the_project(daphne_server: ServerProcess) -> None:
    """The shared Daphne fixture (for comparisons): HTTP/2 over TLS, and no push."""
    with H2Connection("127.0.0.1", daphne_server.port, cafile=cafile(daphne_server)) as connection:
        exchange = connection.request("/")
        assert connection.alpn_protocol == "h2"
    assert exchange.status == 200
    assert exchange.promises == []
    assert "</static/css/base.css>" in (exchange.header("link") or "")


# ==================================================================== Ctrl-C and reloads


@pytest.mark.e2e
def test_ctrl_c_stops_cleanly_and_frees_the_port(h2server_factory: H2ServerFactory) -> None:
    """Even with a client connection left open (one that never answers TLS close)."""
    server = h2server_factory("--skip-checks")
    with H2Connection("127.0.0.1", server.port, cafile=cafile(server)) as connection:
        assert connection.request("/").status == 200
        assert server.stop(signal.SIGINT) == 0
    assert server.errors() == ""
    with socket.create_server(("127.0.0.1", server.port)):
        pass  # The port is free again.


RELOAD_URLS = """
import os
from django.http import HttpResponse
from django.urls import include, path

VERSION = "{version}"


def version(request):
    return HttpResponse(f"{{VERSION}} {{os.getpid()}}")


urlpatterns = [path("version", version), path("", include("testproject.urls"))]
"""


def _get_version(server: ServerProcess) -> tuple[str, int] | None:
    """The version and pid that answer ``/version``, or None while nothing does. A
    certificate that does not verify fails the test instead of reading as "not up"."""
    try:
        with (
            verified(server),
            H2Connection("127.0.0.1", server.port, cafile=cafile(server), timeout=3) as connection,
        ):
            exchange = connection.request("/version")
    except UntrustedCertificate:
        raise
    except Exception:
        return None
    version, pid = exchange.body.decode().split()
    return version, int(pid)


# Two of the StatReloader's one-second looks.
RELOADER_TICKS_SECONDS = 2.5


@pytest.mark.e2e
def test_reloader_restarts_after_a_change(
    tmp_path: Path, h2server_factory: H2ServerFactory
) -> None:
    """With the autoreloader, on settings without ASGI_APPLICATION (so the project's
    Django application, wrapped by runh2server): a changed module brings up a new
    server process on the same port; Ctrl-C then stops everything."""
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "reload_settings.py").write_text(
        "from testproject.settings import *  # noqa: F403\n"
        'ROOT_URLCONF = "reload_urls"\n'
        "ASGI_APPLICATION = None\n"
    )
    urls = modules / "reload_urls.py"
    urls.write_text(RELOAD_URLS.format(version="one"))
    server = h2server_factory(
        reload=True,
        settings="reload_settings",
        env={"PYTHONPATH": str(modules), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    first = _get_version(server)
    assert first is not None and first[0] == "one"
    assert first[1] != server.pid  # The reloader's child serves.
    with H2Connection("127.0.0.1", server.port, cafile=cafile(server)) as connection:
        assert connection.request("/").pushed_paths == PUSHED

    # Django's StatReloader reports a file only once it has seen its old mtime, and
    # it looks once a second; reload_urls.py was first imported by the request above.
    # Changed before the reloader's next look, the change would never be reported.
    time.sleep(RELOADER_TICKS_SECONDS)
    urls.write_text(RELOAD_URLS.format(version="two"))
    later = time.time() + 2
    os.utime(urls, (later, later))
    deadline = time.monotonic() + 30
    while (answer := _get_version(server)) is None or answer[0] != "two":
        assert time.monotonic() < deadline, server.output() + server.errors()
        assert server.alive(), server.errors()
        time.sleep(0.2)
    assert answer[1] != first[1]
    assert "reload_urls.py changed, reloading." in server.errors()
    assert server.output().count("Starting HTTP/2 development server") == 2

    assert server.stop(signal.SIGINT) == 0
    assert "Traceback" not in server.errors()
    with socket.create_server(("127.0.0.1", server.port)):
        pass


# ============================================================================ bad input


def one_line_error(result: CompletedProcess[str], message: str) -> None:
    """Exit status 1, no traceback, and the message as one ``CommandError:`` line."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("CommandError:")]
    assert errors == [f"CommandError: {message}"], result.stderr


def without_privileges() -> list[str]:
    """How to run manage.py without the privileges a test needs it to lack: as root,
    under ``setpriv`` without CAP_NET_BIND_SERVICE and the file-permission overrides
    (util-linux, always on Debian); as anyone else, plainly."""
    argv = [sys.executable, str(MANAGE)]
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to drop root's privileges"
    caps = "-net_bind_service,-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", *argv]


def cert_args(pair: tuple[Path, Path]) -> tuple[str, ...]:
    """runh2server's options for the certificate pair."""
    return ("--certfile", str(pair[0]), "--keyfile", str(pair[1]))


def test_certfile_without_keyfile(manage: Manage, dev_cert_pair: tuple[Path, Path]) -> None:
    result = manage("runh2server", "--noreload", "--certfile", str(dev_cert_pair[0]))
    one_line_error(result, "--certfile needs --keyfile (the certificate's private key).")
    assert result.stderr.count("\n") == 1


def test_cert_dir_with_certfile(
    manage: Manage, dev_cert_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    result = manage(
        "runh2server",
        "--noreload",
        *cert_args(dev_cert_pair),
        "--cert-dir",
        str(tmp_path),
    )
    one_line_error(
        result,
        "--cert-dir is for the development certificate; leave it out when you give --certfile.",
    )


def test_keyfile_without_certfile(manage: Manage, dev_cert_pair: tuple[Path, Path]) -> None:
    result = manage("runh2server", "--noreload", "--keyfile", str(dev_cert_pair[1]))
    one_line_error(result, "--keyfile needs --certfile (the certificate it belongs to).")


@pytest.mark.parametrize(
    ("which", "content", "message"),
    [
        ("cert", None, 'Certificate file "{path}" does not exist.'),
        ("key", None, 'Key file "{path}" does not exist.'),
        ("cert", "not a certificate\n", 'Certificate file "{path}" is not a PEM certificate.'),
        ("key", "not a key\n", 'Key file "{path}" is not a PEM private key.'),
    ],
    ids=["cert missing", "key missing", "cert not PEM", "key not PEM"],
)
def test_bad_certificate_files(
    manage: Manage,
    dev_cert_pair: tuple[Path, Path],
    tmp_path: Path,
    which: str,
    content: str | None,
    message: str,
) -> None:
    path = tmp_path / f"bad-{which}.pem"
    if content is not None:
        path.write_text(content)
    certfile, keyfile = (path, dev_cert_pair[1]) if which == "cert" else (dev_cert_pair[0], path)
    result = manage(
        "runh2server", "--noreload", "--certfile", str(certfile), "--keyfile", str(keyfile)
    )
    one_line_error(result, message.format(path=path))


def test_not_a_pair(manage: Manage, dev_cert_pair: tuple[Path, Path], tmp_path: Path) -> None:
    from h2push.server.devcert import ensure_dev_certificate

    other = ensure_dev_certificate(tmp_path / "other")
    result = manage(
        "runh2server",
        "--noreload",
        "--certfile",
        str(dev_cert_pair[0]),
        "--keyfile",
        str(other.keyfile),
    )
    one_line_error(
        result,
        f'Key file "{other.keyfile}" does not belong to certificate "{dev_cert_pair[0]}" '
        "(they are not a pair).",
    )


def test_unreadable_key(manage: Manage, dev_cert_pair: tuple[Path, Path], tmp_path: Path) -> None:
    keyfile = tmp_path / "unreadable-key.pem"
    shutil.copy(dev_cert_pair[1], keyfile)
    os.chmod(keyfile, 0)
    result = manage(
        "runh2server",
        "--noreload",
        "--certfile",
        str(dev_cert_pair[0]),
        "--keyfile",
        str(keyfile),
        launcher=without_privileges(),
    )
    one_line_error(result, f'Key file "{keyfile}" is not readable (permission denied).')


def test_port_in_use(manage: Manage, dev_cert_pair: tuple[Path, Path]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as blocker:
        port = blocker.getsockname()[1]
        for reload in (False, True):
            result = manage(
                "runh2server",
                f"127.0.0.1:{port}",
                "--skip-checks",
                *(() if reload else ("--noreload",)),
                *cert_args(dev_cert_pair),
            )
            # Under the autoreloader too (runserver's os._exit(1) from its thread).
            one_line_error(result, f"That port is already in use (127.0.0.1:{port}).")


BIND_EACCES = """
import errno, runpy, socket, sys
_bind = socket.socket.bind
def bind(self, address):
    if address[1] == {port}:
        raise PermissionError(errno.EACCES, "Permission denied")
    return _bind(self, address)
socket.socket.bind = bind
sys.argv = ["manage.py", *sys.argv[1:]]
runpy.run_path("manage.py", run_name="__main__")
"""


def test_port_needing_privileges(manage: Manage, dev_cert_pair: tuple[Path, Path]) -> None:
    proc = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start")
    first_free = int(proc.read_text()) if proc.exists() else 1024
    if first_free > 1:
        port, launcher = 1, without_privileges()
    else:
        # This machine lets anyone bind any port: make bind() answer as a kernel
        # with privileged ports would.
        port, launcher = 1, [sys.executable, "-c", BIND_EACCES.format(port=1)]
    result = manage(
        "runh2server",
        f"127.0.0.1:{port}",
        "--noreload",
        "--skip-checks",
        *cert_args(dev_cert_pair),
        launcher=launcher,
    )
    one_line_error(result, "You don't have permission to access that port (127.0.0.1:1).")


def test_address_this_machine_lacks(manage: Manage, dev_cert_pair: tuple[Path, Path]) -> None:
    address = "203.0.113.7"  # TEST-NET-3 (RFC 5737): assigned to no real machine.
    with pytest.raises(OSError) as caught, socket.socket() as probe:
        probe.bind((address, 0))
    assert caught.value.errno == errno.EADDRNOTAVAIL
    result = manage(
        "runh2server",
        f"{address}:8443",
        "--noreload",
        "--skip-checks",
        *cert_args(dev_cert_pair),
    )
    one_line_error(result, f"That IP address can't be assigned to ({address}:8443).")


def test_debug_false_needs_allowed_hosts(manage: Manage, tmp_path: Path) -> None:
    (tmp_path / "nodebug_settings.py").write_text(
        "from testproject.settings import *  # noqa: F403\nDEBUG = False\nALLOWED_HOSTS = []\n"
    )
    result = manage(
        "runh2server", "--noreload", env={"PYTHONPATH": str(tmp_path)}, settings="nodebug_settings"
    )
    one_line_error(result, "You must set settings.ALLOWED_HOSTS if DEBUG is False.")


@pytest.mark.parametrize(
    ("addrport", "message"),
    [
        ("localhost:http", '"localhost:http" is not a valid port number or address:port pair.'),
        ("70000", "70000 is not a valid port number (0 to 65535)."),
    ],
)
def test_bad_addrport(manage: Manage, addrport: str, message: str) -> None:
    one_line_error(manage("runh2server", addrport, "--noreload"), message)


# ========================================================================== unit tests


def listen_address(addrport: str | None, *, ipv6: bool = False) -> Address:
    """Where ``runh2server [addrport] [-6]`` would listen: the command's arguments read
    by runserver's ``handle``, stopped before anything starts."""
    from h2push.management.commands.runh2server import Command

    found: list[Address] = []

    def run(self: Command, **options: Any) -> None:
        found.append(self.listen_address())

    args = [addrport] if addrport else []
    with mock.patch.object(Command, "run", run):
        call_command("runh2server", *args, *(["--ipv6"] if ipv6 else []), skip_checks=True)
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("addrport", "ipv6", "expected"),
    [
        (None, False, Address("127.0.0.1", 8443, False)),
        (None, True, Address("::1", 8443, True)),
        ("9000", False, Address("127.0.0.1", 9000, False)),
        ("0.0.0.0:8443", False, Address("0.0.0.0", 8443, False)),
        ("[::1]:8443", False, Address("::1", 8443, True)),
        ("localhost:8443", True, Address("localhost", 8443, True)),
        ("0:8000", False, Address("0", 8000, False)),
    ],
)
def test_parse_addrport(addrport: str | None, ipv6: bool, expected: Address) -> None:
    assert listen_address(addrport, ipv6=ipv6) == expected


def test_address_urls() -> None:
    assert Address("::1", 8443, True).url == "https://[::1]:8443/"
    assert Address("0", 8000).url == "https://0.0.0.0:8000/"
    assert Address("0.0.0.0", 1).unspecified
    assert not Address("127.0.0.1", 1).unspecified


def test_parse_addrport_rejects_ipv4_with_ipv6_flag() -> None:
    with pytest.raises(CommandError, match=r'"127\.0\.0\.1" is not a valid IPv6 address\.'):
        listen_address("127.0.0.1:8443", ipv6=True)


def test_runserver_arguments_with_runh2server_help() -> None:
    """runserver declares the arguments; runh2server words two of them its own way."""
    from h2push.management.commands.runh2server import Command

    parser = Command().create_parser("manage.py", "runh2server")
    helps = {action.dest: action.help for action in parser._actions}
    assert helps["addrport"] == "Optional port number, or ipaddr:port (default 127.0.0.1:8443)."
    assert (helps["use_threading"] or "").startswith("Has no effect")
    options = parser.parse_args(["--nothreading", "--noreload", "--nostatic", "-6", "9000"])
    assert (options.use_threading, options.use_reloader, options.use_static_handler) == (
        False,
        False,
        False,
    )
    assert (options.addrport, options.use_ipv6, options.insecure_serving) == ("9000", True, False)


async def plain_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    raise AssertionError("not called in these tests")


class Wrapper:
    """A third-party middleware that keeps its inner app as ``.inner``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.inner(scope, receive, send)


def adapters(app: Any) -> list[H2PushMiddleware]:
    """Every H2PushMiddleware reachable from ``app``, by an independent walk."""
    found: list[H2PushMiddleware] = []
    stack, seen = [app], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, H2PushMiddleware):
            found.append(node)
        stack += list(getattr(node, "application_mapping", {}).values())
        stack += [getattr(node, n) for n in ("app", "application", "inner") if hasattr(node, n)]
    return found


def test_wire_plain_app() -> None:
    wired = wire_application(plain_app, serve_static=True)
    assert isinstance(wired, H2PushMiddleware)
    assert isinstance(wired.app, ASGIStaticFilesHandler)
    assert wired.app.application is plain_app
    assert wire_application(plain_app, serve_static=False).app is plain_app


def test_wire_app_with_adapter_keeps_one_and_puts_static_inside() -> None:
    adapter = H2PushMiddleware(plain_app)
    wired = wire_application(adapter, serve_static=True)
    assert adapters(wired) == [wired]
    assert isinstance(wired.app, ASGIStaticFilesHandler)
    assert wired.app.application is plain_app
    assert adapter.app is plain_app  # The project's object is left alone.
    assert wire_application(adapter, serve_static=False) is adapter


def test_wire_channels_router_with_adapter() -> None:
    websocket = Wrapper(plain_app)
    router = ProtocolTypeRouter({"http": H2PushMiddleware(plain_app), "websocket": websocket})
    wired = wire_application(router, serve_static=True)
    # A router without a "lifespan" entry gets the quiet fallback around it.
    assert isinstance(wired, LifespanFallback)
    new_router = wired.app
    assert isinstance(new_router, ProtocolTypeRouter)
    assert new_router.application_mapping["websocket"] is websocket
    http = new_router.application_mapping["http"]
    assert adapters(wired) == [http]
    assert isinstance(http.app, ASGIStaticFilesHandler)
    assert http.app.application is plain_app
    # The project's router is unchanged.
    assert router.application_mapping["http"].app is plain_app


def test_wire_adapter_inside_wrappers() -> None:
    app = Wrapper(Wrapper(H2PushMiddleware(plain_app)))
    assert find_adapter(app) == [("attr", "inner"), ("attr", "inner")]
    wired = wire_application(app, serve_static=True)
    assert len(adapters(wired)) == 1
    assert isinstance(wired.app.inner.inner.app, ASGIStaticFilesHandler)
    assert not isinstance(app.inner.inner.app, ASGIStaticFilesHandler)


def test_wire_router_without_adapter_wraps_it_whole() -> None:
    router = ProtocolTypeRouter({"http": plain_app})
    assert find_adapter(router) is None
    wired = wire_application(router, serve_static=False)
    assert isinstance(wired, H2PushMiddleware)
    assert wired.app is router
    assert len(adapters(wired)) == 1


def test_wire_existing_static_handler_not_doubled() -> None:
    app = H2PushMiddleware(ASGIStaticFilesHandler(plain_app))
    assert wire_application(app, serve_static=True) is app


def test_get_application_from_asgi_application(settings: Any) -> None:
    settings.ASGI_APPLICATION = "testproject.asgi.application"
    wired = get_application(serve_static=True)
    found = adapters(wired)
    assert len(found) == 1
    assert isinstance(found[0].app, ASGIStaticFilesHandler)


def test_get_application_without_asgi_application(settings: Any) -> None:
    from django.core.handlers.asgi import ASGIHandler

    settings.ASGI_APPLICATION = None
    wired = get_application(serve_static=False)
    assert isinstance(wired, H2PushMiddleware)
    assert type(wired.app) is ASGIHandler


def test_get_application_bad_setting(settings: Any) -> None:
    settings.ASGI_APPLICATION = "testproject.nowhere.application"
    with pytest.raises(ImproperlyConfigured, match="could not be imported"):
        get_application(serve_static=False)


def run_lifespan(app: Any) -> list[str]:
    """The types of the messages ``app`` sends for a startup and a shutdown."""
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    call = AsgiCall({"type": "lifespan"}, incoming=incoming)
    return kinds(asyncio.run(call.run(app, 5)))


def test_lifespan_fallback_answers_for_a_router_without_lifespan() -> None:
    router = ProtocolTypeRouter({"http": H2PushMiddleware(plain_app)})
    with pytest.raises(ValueError):  # What Hypercorn would log an error about.
        run_lifespan(router)
    assert run_lifespan(LifespanFallback(router)) == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


def test_lifespan_fallback_leaves_a_lifespan_app_to_answer() -> None:
    calls: list[str] = []

    async def lifespan_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            calls.append(message["type"])
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    router = ProtocolTypeRouter({"http": plain_app, "lifespan": lifespan_app})
    assert run_lifespan(LifespanFallback(router)) == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert calls == ["lifespan.startup", "lifespan.shutdown"]


def test_lifespan_fallback_reraises_an_app_failure() -> None:
    async def failing(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        raise RuntimeError("startup broke")

    with pytest.raises(RuntimeError, match="startup broke"):
        run_lifespan(LifespanFallback(failing))


def test_config(dev_cert_pair: tuple[Path, Path]) -> None:
    config = build_config(Address("127.0.0.1", 0), str(dev_cert_pair[0]), str(dev_cert_pair[1]))
    assert config.keep_alive_max_requests == KEEP_ALIVE_MAX_REQUESTS >= 100_000
    assert config.ssl_enabled
    context = config.create_ssl_context()
    assert context is config.create_ssl_context()
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.options & ssl.OP_NO_COMPRESSION
    assert config.accesslog is not None and config.errorlog is not None
    sockets = bind(config)
    try:
        assert len(sockets.secure_sockets) == 1 and not sockets.insecure_sockets
        assert config.bound_port > 0
        assert config.create_sockets() is sockets  # Bound once; Hypercorn reuses them.
    finally:
        sockets.secure_sockets[0].close()
    assert build_config(Address("127.0.0.1", 0), "c", "k", verbosity=0).accesslog is None


def test_bind_errors_are_one_line(dev_cert_pair: tuple[Path, Path]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as blocker:
        port = blocker.getsockname()[1]
        config = build_config(
            Address("127.0.0.1", port), str(dev_cert_pair[0]), str(dev_cert_pair[1])
        )
        with pytest.raises(StartupError) as caught:
            bind(config)
    assert str(caught.value) == f"That port is already in use (127.0.0.1:{port})."
    config = build_config(
        Address("no-such-host.invalid", 1), str(dev_cert_pair[0]), str(dev_cert_pair[1])
    )
    with pytest.raises(StartupError, match=r'Cannot resolve the host name "no-such-host\.invalid"'):
        bind(config)


@pytest.mark.parametrize(
    ("debug", "nostatic", "insecure", "served"),
    [
        (True, False, False, True),
        (True, True, False, False),
        (False, False, False, False),
        (False, False, True, True),
        (False, True, True, False),
    ],
)
def test_static_serving_rule(
    settings: Any, debug: bool, nostatic: bool, insecure: bool, served: bool
) -> None:
    from h2push.management.commands.runh2server import Command

    settings.DEBUG = debug
    options = {"use_static_handler": not nostatic, "insecure_serving": insecure}
    assert Command().serves_static(options) is served


def test_banner_for_every_interface_and_an_expired_certificate(tmp_path: Path) -> None:
    import datetime as dt
    from io import StringIO

    from cryptography.hazmat.primitives.asymmetric import ec

    from h2push.management.commands.runh2server import Command
    from h2push.server.devcert import (
        build_certificate,
        describe_certificate,
        write_certificate,
        write_private_key,
    )

    key = ec.generate_private_key(ec.SECP256R1())
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    certfile, keyfile = tmp_path / "old.pem", tmp_path / "old-key.pem"
    write_private_key(keyfile, key)
    write_certificate(certfile, build_certificate(key, now=long_ago))

    out = StringIO()
    command = Command(stdout=out)
    command.address = Address("0.0.0.0", 0)
    command.certificate = describe_certificate(certfile, keyfile)
    command.config = config = build_config(command.address, str(certfile), str(keyfile))
    command.serve_static = False
    sockets = bind(config)
    try:
        port = config.bound_port
        command.on_bind(port)
    finally:
        sockets.secure_sockets[0].close()
    text = out.getvalue()
    assert (
        f"Starting HTTP/2 development server at https://0.0.0.0:{port}/ "
        f"(on this machine: https://localhost:{port}/)"
    ) in text
    expired_on = (long_ago + dt.timedelta(days=365)).strftime("%Y-%m-%d")
    assert f"Certificate: {certfile} (self-signed, ECDSA P-256, EXPIRED on {expired_on})" in text
    assert "Static files: not served" in text


def settings_env(folder: Path, body: str) -> dict[str, str]:
    """An environment whose settings module is the test project's plus ``body``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "variant_settings.py").write_text(
        "from testproject.settings import *  # noqa\n" + body
    )
    return {
        "DJANGO_SETTINGS_MODULE": "variant_settings",
        "PYTHONPATH": f"{folder}{os.pathsep}{REPO}",
    }


def test_relative_cert_dir_setting_is_refused(manage: Manage, tmp_path: Path) -> None:
    """A relative folder would follow the working directory, into the repository."""
    env = settings_env(tmp_path / "settings", 'H2PUSH_DEV_CERT_DIR = "certs"\n')
    result = manage("runh2server", "--noreload", "127.0.0.1:0", env=env, cwd=tmp_path)
    one_line_error(result, "The H2PUSH_DEV_CERT_DIR setting must be an absolute path, not 'certs'.")
    assert not (tmp_path / "certs").exists()


def test_unimportable_asgi_application_is_one_line(manage: Manage, tmp_path: Path) -> None:
    env = settings_env(tmp_path / "settings", 'ASGI_APPLICATION = "nowhere.asgi.application"\n')
    result = manage("runh2server", "--noreload", "--skip-checks", "127.0.0.1:0", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("CommandError:")]
    assert len(errors) == 1
    assert "ASGI_APPLICATION 'nowhere.asgi.application' could not be imported" in errors[0]
