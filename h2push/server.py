"""Running Hypercorn in-process over HTTP/2 with TLS: the pieces ``runh2server`` uses.

- :func:`parse_addrport` reads ``runserver``-style addresses (``8443``,
  ``0.0.0.0:8443``, ``[::1]:8443``).
- :func:`get_application` and :func:`wire_application` build the ASGI application:
  ``settings.ASGI_APPLICATION`` or the project's Django application, with the h2push
  adapter exactly once and Django's static files handler inside it.
- :class:`H2Config` is a Hypercorn ``Config`` whose TLS context comes from
  :mod:`h2push.tls` and whose sockets are bound once, up front, by :func:`bind`,
  so a port in use is a clean :class:`StartupError` before anything else starts.
- :func:`serve` runs Hypercorn until SIGINT/SIGTERM (or forever, in the
  autoreloader's thread, where signal handlers cannot be installed and the process
  exit ends the server).
"""

from __future__ import annotations

import asyncio
import copy
import errno
import functools
import logging
import os
import re
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypercorn.config import Config, Sockets

from h2push.tls import DEFAULT_POLICY, TLSPolicy, create_server_context

__all__ = [
    "ACCESS_LOG_FORMAT",
    "DEFAULT_PORT",
    "KEEP_ALIVE_MAX_REQUESTS",
    "Address",
    "H2Config",
    "LifespanFallback",
    "StartupError",
    "bind",
    "build_config",
    "find_adapter",
    "get_application",
    "parse_addrport",
    "serve",
    "wire_application",
]

# An ASGI application: any awaitable callable (scope, receive, send). Channels'
# routers and Django's handlers are untyped, so this stays loose.
ASGIApp = Any

DEFAULT_PORT = 8443

# Hypercorn ends an HTTP/2 connection with GOAWAY after ``keep_alive_max_requests``
# streams (default 1000), and every pushed stream counts as one. A page that pushes
# 16 assets (H2PUSH_MAX_PRELOADS' default) would cost a push-accepting client its
# connection after about 58 pages; a benchmark that never reconnects (h2load) would
# stop. One million streams is about 58,000 such pages: no development session or
# single-connection benchmark reaches it, yet a runaway client still meets a bound.
# (HTTP/2's own bound is the stream identifier space: about a billion per side.)
KEEP_ALIVE_MAX_REQUESTS = 1_000_000

# Like runserver's lines: [21/Nov/2025:10:00:00 +0000] "GET /static/a.css HTTP/2" 200 312
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(Uq)s HTTP/%(H)s" %(s)s %(b)s'

# runserver's messages for the errors binding a port can meet.
BIND_ERRORS = {
    errno.EACCES: "You don't have permission to access that port.",
    errno.EADDRINUSE: "That port is already in use.",
    errno.EADDRNOTAVAIL: "That IP address can't be assigned to.",
}

_ADDRPORT = re.compile(
    r"""^(?:
(?P<addr>
    (?P<ipv4>\d{1,3}(?:\.\d{1,3}){3}) |         # IPv4 address
    (?P<ipv6>\[[a-fA-F0-9:]+\]) |               # IPv6 address
    (?P<fqdn>[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*) # FQDN
):)?(?P<port>\d+)$""",
    re.X,
)


class StartupError(Exception):
    """The server cannot start; the message is one readable line."""


# --------------------------------------------------------------------------- address


@dataclass(frozen=True)
class Address:
    """Where to listen. ``host`` has no brackets; ``ipv6`` picks the socket family."""

    host: str
    port: int
    ipv6: bool = False

    @property
    def netloc(self) -> str:
        """``host:port`` as in a URL: ``[::1]:8443``; ``0`` reads as ``0.0.0.0``."""
        host = "0.0.0.0" if self.host == "0" else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.netloc}/"

    @property
    def unspecified(self) -> bool:
        """Whether this listens on every interface (``0.0.0.0``, ``::``)."""
        return self.host in ("0", "0.0.0.0", "::")


def parse_addrport(
    addrport: str | None, *, ipv6: bool = False, default_port: int = DEFAULT_PORT
) -> Address:
    """Read ``runserver``'s ``addrport`` argument: a port, or ``addr:port``.

    Without an address: ``127.0.0.1`` (``::1`` with ``ipv6``). A bracketed address
    implies IPv6. Raises :class:`StartupError` with runserver's messages.
    """
    if ipv6 and not socket.has_ipv6:
        raise StartupError("Your Python does not support IPv6.")
    if not addrport:
        return Address("::1" if ipv6 else "127.0.0.1", default_port, ipv6)
    match = _ADDRPORT.match(addrport)
    if match is None:
        raise StartupError(f'"{addrport}" is not a valid port number or address:port pair.')
    addr, _ipv4, is_ipv6, fqdn, port_text = match.groups()
    port = int(port_text)
    if port > 65535:
        raise StartupError(f"{port} is not a valid port number (0 to 65535).")
    if addr:
        if is_ipv6:
            addr, ipv6 = addr[1:-1], True
        elif ipv6 and not fqdn:
            raise StartupError(f'"{addr}" is not a valid IPv6 address.')
    else:
        addr = "::1" if ipv6 else "127.0.0.1"
    return Address(addr, port, ipv6)


# ------------------------------------------------------------------------ application


def find_adapter(app: ASGIApp) -> list[tuple[str, Any]] | None:
    """The way from ``app`` down to an ``H2PushMiddleware``, or None if it has none.

    Follows Channels' ``ProtocolTypeRouter`` (its ``"http"`` entry) and wrappers
    that keep their inner application as ``.app``, ``.application`` or ``.inner``.
    Each step is ``(kind, key)``: ``("attr", name)`` or ``("http", "http")``; an
    empty list means ``app`` is the adapter itself.
    """
    from h2push.asgi import H2PushMiddleware

    path: list[tuple[str, Any]] = []
    seen: set[int] = set()
    node = app
    while id(node) not in seen and len(path) < 16:
        if isinstance(node, H2PushMiddleware):
            return path
        seen.add(id(node))
        step = _inner_step(node)
        if step is None:
            return None
        path.append(step)
        node = _follow(node, step)
    return None


def _inner_step(node: Any) -> tuple[str, Any] | None:
    mapping = getattr(node, "application_mapping", None)
    if isinstance(mapping, dict):
        return ("http", "http") if "http" in mapping else None
    for name in ("app", "application", "inner"):
        if callable(getattr(node, name, None)):
            return ("attr", name)
    return None


def _follow(node: Any, step: tuple[str, Any]) -> Any:
    kind, key = step
    if kind == "http":
        return node.application_mapping[key]
    return getattr(node, key)


def _chain(app: ASGIApp, path: list[tuple[str, Any]]) -> Iterator[Any]:
    node = app
    yield node
    for step in path:
        node = _follow(node, step)
        yield node


def _replaced(node: Any, path: list[tuple[str, Any]], leaf: Any) -> Any:
    """A copy of ``node`` whose object at the end of ``path`` is ``leaf``.

    Only the objects along the way are copied (shallowly); the caller's application
    is left as it was.
    """
    if not path:
        return leaf
    step, rest = path[0], path[1:]
    new_child = _replaced(_follow(node, step), rest, leaf)
    clone = copy.copy(node)
    kind, key = step
    if kind == "http":
        clone.application_mapping = {**node.application_mapping, key: new_child}
    else:
        setattr(clone, key, new_child)
    return clone


def wire_application(app: ASGIApp, *, serve_static: bool) -> ASGIApp:
    """``app`` ready for runh2server: the h2push adapter exactly once, the static
    files handler (if ``serve_static``) inside it, and lifespan answered quietly.

    - If ``app`` already contains an ``H2PushMiddleware`` (see :func:`find_adapter`)
      it is kept as the only one; with ``serve_static`` Django's
      ``ASGIStaticFilesHandler`` goes around the adapter's inner app, in a copy:
      ``app`` itself is not changed.
    - Otherwise the result is ``H2PushMiddleware(ASGIStaticFilesHandler(app))`` (or
      ``H2PushMiddleware(app)``).

    Hypercorn runs each pushed request (``/static/...``) through the application
    like any other GET, so the static handler must be in the stack; inside the
    adapter, the adapter stays the outermost h2push layer and sees every request.
    If the outermost application is not an adapter that answers lifespan (e.g. a
    Channels router with no ``"lifespan"`` entry), :class:`LifespanFallback`
    answers it instead, so Hypercorn logs no lifespan error.
    """
    from h2push.asgi import H2PushMiddleware

    path = find_adapter(app)
    if path is None:
        inner = _with_static(app) if serve_static else app
        wired: ASGIApp = H2PushMiddleware(inner)
    else:
        adapter = _follow_path(app, path)
        has_static = any(_is_static_handler(node) for node in _chain(app, path))
        if serve_static and not has_static and not _is_static_handler(adapter.app):
            new_adapter = copy.copy(adapter)
            new_adapter.app = _with_static(adapter.app)
            wired = _replaced(app, path, new_adapter)
        else:
            wired = app
    if isinstance(wired, H2PushMiddleware) and wired.answers_lifespan:
        return wired
    return LifespanFallback(wired)


def _follow_path(app: ASGIApp, path: list[tuple[str, Any]]) -> Any:
    node = app
    for step in path:
        node = _follow(node, step)
    return node


def _with_static(app: ASGIApp) -> ASGIApp:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    return ASGIStaticFilesHandler(app)


def _is_static_handler(node: Any) -> bool:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    return isinstance(node, ASGIStaticFilesHandler)


def get_application(*, serve_static: bool) -> ASGIApp:
    """The application runh2server serves, wired by :func:`wire_application`.

    ``settings.ASGI_APPLICATION`` when set (Channels projects), else the project's
    Django application (``h2push.asgi.get_asgi_application()``).
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import import_string

    dotted = getattr(settings, "ASGI_APPLICATION", None)
    if dotted:
        try:
            app = import_string(dotted)
        except ImportError as error:
            raise ImproperlyConfigured(
                f"ASGI_APPLICATION {dotted!r} could not be imported: {error}"
            ) from error
    else:
        from h2push.asgi import get_asgi_application

        app = get_asgi_application()
    return wire_application(app, serve_static=serve_static)


class LifespanFallback:
    """Passes everything to ``app``; answers the lifespan protocol itself if ``app``
    refuses it.

    An app that raises on a lifespan scope before reading a single message does not
    support lifespan (ASGI's rule); Hypercorn would then log "ASGI Framework Lifespan
    error, continuing without Lifespan support". Answering startup and shutdown
    here instead is what that message means, without the noise. An app that does
    speak lifespan (a router with a ``"lifespan"`` entry) is left to answer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        received = False

        async def tracked_receive() -> Any:
            nonlocal received
            received = True
            return await receive()

        try:
            await self.app(scope, tracked_receive, send)
        except Exception:
            if received:
                raise
            from h2push.asgi import answer_lifespan

            await answer_lifespan(receive, send)


# ------------------------------------------------------------------------- hypercorn


class H2Config(Config):
    """Hypercorn's ``Config`` with h2push's TLS policy and sockets bound up front.

    ``create_ssl_context`` builds the context with :func:`h2push.tls.create_server_context`
    (never Hypercorn's defaults) and ``create_sockets`` returns the sockets that
    :func:`bind` made, binding them first if needed.
    """

    tls_policy: TLSPolicy = DEFAULT_POLICY

    def __init__(self, address: Address, certfile: str, keyfile: str) -> None:
        self.address = address
        self.bind = [address.netloc]
        self.certfile = certfile
        self.keyfile = keyfile
        self.ciphers = self.tls_policy.tls12_ciphers
        self.alpn_protocols = list(self.tls_policy.alpn_protocols)
        self._ssl_context: ssl.SSLContext | None = None
        self._sockets: Sockets | None = None

    def create_ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            assert self.certfile is not None and self.keyfile is not None
            self._ssl_context = create_server_context(self.certfile, self.keyfile, self.tls_policy)
        return self._ssl_context

    def create_sockets(self) -> Sockets:
        if self._sockets is None:
            self._sockets = Sockets([_bind_socket(self.address)], [], [])
        return self._sockets

    @property
    def bound_port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self.create_sockets().secure_sockets[0].getsockname()[1])


def build_config(address: Address, certfile: str, keyfile: str, *, verbosity: int = 1) -> H2Config:
    """An :class:`H2Config` for runh2server.

    Logging like runserver: the access log (``verbosity`` 1 and up) on stdout, one
    line per request; Hypercorn's error log on stderr (warnings; ``verbosity`` 2
    adds its info lines, 3 its debug lines).
    """
    config = H2Config(address, certfile, keyfile)
    config.keep_alive_max_requests = KEEP_ALIVE_MAX_REQUESTS
    # Ctrl-C should not wait long for idle keep-alive connections.
    config.graceful_timeout = 1.0
    config.access_log_format = ACCESS_LOG_FORMAT
    config.accesslog = (
        _console_logger("hypercorn.access", "stdout", logging.INFO, "%(message)s")
        if verbosity >= 1
        else None
    )
    error_level = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO}.get(
        verbosity, logging.DEBUG
    )
    config.errorlog = _console_logger(
        "hypercorn.error", "stderr", error_level, "%(levelname)s: %(message)s"
    )
    return config


class _ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout``/``sys.stderr`` is at the time of each record."""

    def __init__(self, stream_name: str) -> None:
        super().__init__()
        self.stream_name = stream_name

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = getattr(sys, self.stream_name)
        super().emit(record)


def _console_logger(name: str, stream_name: str, level: int, fmt: str) -> logging.Logger:
    logger = logging.getLogger(name)
    # Handlers a project's LOGGING gave this logger win; ours replace only ours.
    own = [h for h in logger.handlers if isinstance(h, _ConsoleHandler)]
    for handler in own:
        logger.removeHandler(handler)
    if not logger.handlers:
        handler = _ConsoleHandler(stream_name)
        handler.setFormatter(logging.Formatter(fmt))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)
    return logger


def bind(config: H2Config) -> Sockets:
    """Bind the listening socket now; raises :class:`StartupError` with one line."""
    return config.create_sockets()


def _bind_socket(address: Address) -> socket.socket:
    family = socket.AF_INET6 if address.ipv6 or ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":
            # Like runserver: rebind at once although old connections linger in TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((address.host, address.port))
    except socket.gaierror:
        sock.close()
        raise StartupError(f'Cannot resolve the host name "{address.host}".') from None
    except OSError as error:
        sock.close()
        text = BIND_ERRORS.get(error.errno or 0) or error.strerror or str(error)
        raise StartupError(f"{text.rstrip('.')} ({address.netloc}).") from None
    sock.setblocking(False)
    return sock


def serve(app: ASGIApp, config: H2Config, *, handle_signals: bool | None = None) -> None:
    """Run Hypercorn with ``app`` until SIGINT or SIGTERM; blocks.

    ``handle_signals`` (default: in the main thread only) installs SIGINT and SIGTERM
    handlers that shut down gracefully (open connections get ``graceful_timeout``);
    a second Ctrl-C exits at once. In another thread, such as
    the autoreloader's ``django-main-thread``, no handler can be installed: the
    server runs until its process exits.
    """
    if handle_signals is None:
        handle_signals = threading.current_thread() is threading.main_thread()
    with asyncio.Runner() as runner:
        _limit_tls_shutdown(runner.get_loop())
        runner.run(_serve(app, config, handle_signals))


# How long closing a TLS connection waits for the client's close_notify (asyncio's
# default is 30 s). A client that never answers (an idle connection, a paused
# debugger) would otherwise hold Ctrl-C for that long after the graceful period.
SSL_SHUTDOWN_TIMEOUT = 1.0


def _limit_tls_shutdown(loop: asyncio.AbstractEventLoop) -> None:
    """Give the TLS servers this loop creates ``SSL_SHUTDOWN_TIMEOUT`` (Hypercorn calls
    ``asyncio.start_server`` without ``ssl_shutdown_timeout``)."""
    create_server = loop.create_server

    async def create_server_with_timeout(*args: Any, **kwargs: Any) -> asyncio.Server:
        if kwargs.get("ssl") is not None:
            kwargs.setdefault("ssl_shutdown_timeout", SSL_SHUTDOWN_TIMEOUT)
        return await create_server(*args, **kwargs)

    # Only this loop's attribute: nothing global changes.
    setattr(loop, "create_server", create_server_with_timeout)  # noqa: B010


async def _serve(app: ASGIApp, config: H2Config, handle_signals: bool) -> None:
    from hypercorn.asyncio import serve as hypercorn_serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(functools.partial(_exception_handler, stop))
    if handle_signals:
        _install_signal_handlers(loop, stop)
    try:
        await hypercorn_serve(app, config, shutdown_trigger=stop.wait, mode="asgi")
    except (Exception, asyncio.CancelledError) as error:
        if not stop.is_set():
            raise
        # Shutting down: Hypercorn ends the connections still open when the graceful
        # period is over, and closing TLS with a client that sends more data or never
        # answers raises here (SSLError, TimeoutError, a cancelled gather). The
        # server has stopped all the same; a traceback would only alarm.
        logging.getLogger("hypercorn.error").debug("While stopping: %r", error)


def _install_signal_handlers(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    def on_signal() -> None:
        if not stop.is_set():
            stop.set()
            return
        # A second Ctrl-C while stopping: stop now, as runserver would have already.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, on_signal)
        except NotImplementedError:  # Windows' event loops
            signal.signal(number, lambda signum, frame: loop.call_soon_threadsafe(on_signal))


def _exception_handler(
    stop: asyncio.Event, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
) -> None:
    """Keep expected network errors off the console, log the rest as asyncio would."""
    exception = context.get("exception")
    # A client refused by the TLS policy is not the server's error (Hypercorn's own
    # runner says the same).
    if isinstance(exception, ssl.SSLError):
        return
    # Once stopping, connections still open are cut: TLS close timing out, resets.
    if stop.is_set() and isinstance(exception, OSError):
        return
    loop.default_exception_handler(context)
