"""Running Hypercorn in-process over HTTP/2 with TLS: the pieces ``runh2server`` uses.

- ``runh2server`` reads where to listen with Django's ``runserver`` and hands this
  module an :class:`Address`; :mod:`h2push.server.wiring` (not here) builds the
  application served.
- :class:`H2Config` is a Hypercorn ``Config`` whose TLS context comes from
  :mod:`h2push.server.tls` and whose sockets are bound once, up front, by :func:`bind`,
  so a port in use is a clean :class:`StartupError` before anything else starts.
- :func:`build_config` adds runserver-like console logging.
- :func:`serve` runs Hypercorn until SIGINT/SIGTERM (or forever, in the
  autoreloader's thread, where signal handlers cannot be installed and the process
  exit ends the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from hypercorn.config import Config, Sockets

from h2push.core.contract import ASGIApp
from h2push.server.goaway import say_goaway_before_closing
from h2push.server.tls import DEFAULT_POLICY, TLSPolicy, create_server_context

__all__ = [
    "ACCESS_LOG_FORMAT",
    "KEEP_ALIVE_MAX_REQUESTS",
    "Address",
    "H2Config",
    "StartupError",
    "bind",
    "build_config",
    "serve",
]

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


class StartupError(Exception):
    """The server cannot start; the message is one readable line (a port in use, an
    address this machine does not have, a host name that does not resolve)."""


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


class H2Config(Config):
    """Hypercorn's ``Config`` with h2push's TLS policy and sockets bound up front.

    ``create_ssl_context`` builds the context with :func:`h2push.server.tls.create_server_context`
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
    server runs until its process exits, and stops first when the autoreloader
    announces a reload (:func:`_stop_at_exit`).
    """
    if handle_signals is None:
        handle_signals = threading.current_thread() is threading.main_thread()
    say_goaway_before_closing()
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
    from hypercorn.typing import ASGIFramework

    # Hypercorn types its scopes and messages as TypedDicts, the contract as plain
    # dicts; the same objects travel either way, so only the annotation differs.
    framework = cast(ASGIFramework, _QuietAtShutdown(app))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(functools.partial(_exception_handler, stop))
    if handle_signals:
        _install_signal_handlers(loop, stop)
    else:
        _stop_at_exit(loop, stop, config.graceful_timeout)
    try:
        await hypercorn_serve(framework, config, shutdown_trigger=stop.wait, mode="asgi")
    except (Exception, asyncio.CancelledError) as error:
        if not stop.is_set():
            raise
        # Shutting down: Hypercorn ends the connections still open when the graceful
        # period is over, and closing TLS with a client that sends more data or never
        # answers raises here (SSLError, TimeoutError, a cancelled gather). The
        # server has stopped all the same; a traceback would only alarm.
        logging.getLogger("hypercorn.error").debug("While stopping: %r", error)


def _stop_at_exit(loop: asyncio.AbstractEventLoop, stop: asyncio.Event, grace: float) -> None:
    """Stop the server, and give it a moment, before the autoreloader restarts.

    Under the autoreloader the server runs in a daemon thread, and the process exits
    with it still serving. Requests still running then would finish during the
    interpreter's shutdown, where Django's handler can no longer start the thread it
    joins its sync work with (a traceback each). Django announces a reload in the
    main thread first (``file_changed``), while threads can still start.
    """
    from django.utils.autoreload import file_changed

    def stop_and_wait(**kwargs: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has already closed
            loop.call_soon_threadsafe(stop.set)
            deadline = time.monotonic() + grace + 1.0
            while loop.is_running() and time.monotonic() < deadline:
                time.sleep(0.05)

    file_changed.connect(stop_and_wait, weak=False)


class _QuietAtShutdown:
    """Passes everything to ``app``; a request still running when the interpreter
    shuts down (the autoreloader's daemon thread) cannot start the thread Django
    joins its sync work with, and that is no error of the request's to report."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except RuntimeError as error:
            # "can't create new thread at interpreter shutdown" (Python 3.12+), raised
            # before sys.is_finalizing() turns true.
            if not (sys.is_finalizing() or "interpreter shutdown" in str(error)):
                raise


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
    # Once stopping, connections still open are cut: TLS close timing out, resets,
    # writes to a closed transport. The server has stopped all the same.
    if stop.is_set() and exception is not None:
        logging.getLogger("hypercorn.error").debug("While stopping: %r", exception)
        return
    loop.default_exception_handler(context)
