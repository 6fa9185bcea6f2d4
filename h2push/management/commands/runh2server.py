"""``manage.py runh2server``: Django's ``runserver``, served over HTTP/2 and TLS by Hypercorn.

The command is a subclass of ``runserver`` (django.contrib.staticfiles' one), so its
arguments are runserver's own (``addrport``, ``-6``, ``--noreload``, ``--nostatic``,
``--insecure``, ``--nothreading``), read by runserver's ``handle``, with runserver's
defaults and messages. What changes is what runs: :meth:`Command.inner_run` serves the
project's ASGI application (:meth:`Command.get_handler`) with Hypercorn, over TLS, with
a certificate from the options runh2server adds (``--certfile``, ``--keyfile``,
``--cert-dir``).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, ClassVar, NoReturn
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import (
    Command as RunserverCommand,
)
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError, CommandParser
from django.db import connections
from django.utils import autoreload
from django.utils.module_loading import import_string
from django.utils.version import get_docs_version

from h2push.core.contract import ASGIApp
from h2push.server.devcert import (
    CertificateInfo,
    DevCertificate,
    describe_certificate,
    ensure_dev_certificate,
)
from h2push.server.serving import Address, H2Config, StartupError, bind, build_config, serve
from h2push.server.tls import TLSConfigurationError
from h2push.server.wiring import get_application

STATICFILES_APP = "django.contrib.staticfiles"
WHITENOISE_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"
MAX_PORT = 65535


class Command(RunserverCommand):
    """runserver with Hypercorn in place of its WSGI server.

    Subclassing staticfiles' runserver rather than the core one gives ``--nostatic``
    and ``--insecure`` exactly as runserver has them whenever staticfiles is
    installed; runh2server offers them even without it, and its banner then says why
    nothing serves static files. Its WSGI ``get_handler`` is replaced, not extended.
    """

    help = (
        "Starts a development server that speaks HTTP/2 over TLS (Hypercorn), so pages' "
        "preloads go out as server pushes and Early Hints. Serves static files like "
        "runserver does."
    )

    # runserver hides --verbosity; here it sets how much the server logs.
    suppressed_base_arguments: ClassVar[set[str]] = {"--traceback"}  # type: ignore[misc]

    # runserver's 8000 is for plain HTTP; 8443 is the usual stand-in for 443.
    # default_addr and default_addr_ipv6 are runserver's (127.0.0.1, ::1).
    default_port = "8443"
    protocol = "https"
    # runserver's server_cls (its WSGI server) is left unused: inner_run serves with
    # Hypercorn, configured by h2push.server.serving.

    # Set by runserver's handle() from addrport and --ipv6.
    addr: str
    port: str
    use_ipv6: bool

    # The run's state, kept for the banner (on_bind).
    address: Address
    certificate: CertificateInfo
    config: H2Config
    serve_static: bool = False
    static_options: Mapping[str, Any] = MappingProxyType({})

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        reword(
            parser,
            "addrport",
            "Optional port number, or ipaddr:port "
            f"(default {self.default_addr}:{self.default_port}).",
        )
        # Accepted so that runserver's command lines work here unchanged.
        reword(
            parser,
            "use_threading",
            "Has no effect (accepted like runserver's): Hypercorn serves every request "
            "on one asyncio event loop.",
        )
        parser.add_argument(
            "--certfile",
            help="Your TLS certificate (PEM; mkcert's files work as they are). Needs --keyfile.",
        )
        parser.add_argument(
            "--keyfile",
            help="The private key of --certfile (PEM, unencrypted).",
        )
        parser.add_argument(
            "--cert-dir",
            help=(
                "Where the development certificate is made and kept when no --certfile is "
                "given (default: the H2PUSH_DEV_CERT_DIR setting, else ~/.local/share/h2push)."
            ),
        )

    def run(self, **options: Any) -> None:
        """After runserver's handle() has read the address: check the port and the
        certificate once (not at every reload), then run as runserver does."""
        self.address = self.listen_address()
        self.certificate = self.get_certificate(options)
        if isinstance(self.certificate, DevCertificate) and self.certificate.created:
            self.stdout.write(
                f"Made a development certificate ({self.certificate.reason}): "
                f"{self.certificate.certfile}"
            )
        super().run(**options)

    def listen_address(self) -> Address:
        """Where runserver's handle() said to listen, as the server binds it.

        runserver leaves a port above 65535 for its socket to refuse; here it is
        refused before anything starts.
        """
        port = int(self.port)
        if port > MAX_PORT:
            raise CommandError(f"{port} is not a valid port number (0 to {MAX_PORT}).")
        return Address(self.addr, port, self.use_ipv6)

    def get_certificate(self, options: dict[str, Any]) -> CertificateInfo:
        """The user's --certfile/--keyfile pair, checked, or the development certificate."""
        certfile, keyfile = options["certfile"], options["keyfile"]
        if certfile and not keyfile:
            raise CommandError("--certfile needs --keyfile (the certificate's private key).")
        if keyfile and not certfile:
            raise CommandError("--keyfile needs --certfile (the certificate it belongs to).")
        try:
            if certfile:
                if options["cert_dir"]:
                    raise CommandError(
                        "--cert-dir is for the development certificate; "
                        "leave it out when you give --certfile."
                    )
                return describe_certificate(certfile, keyfile)
            return ensure_dev_certificate(options["cert_dir"])
        except TLSConfigurationError as error:
            raise CommandError(str(error)) from None

    def inner_run(self, *args: Any, **options: Any) -> None:
        """runserver's inner_run, serving with Hypercorn (``--nothreading`` does not
        apply: Hypercorn serves every request on one asyncio event loop)."""
        # If an exception was silenced in ManagementUtility.execute in order to be
        # raised in the child process, raise it now.
        autoreload.raise_last_exception()

        if not options["skip_checks"]:
            self.stdout.write("Performing system checks...\n\n")
            self.check(display_num_errors=True)
        # Need to check migrations here, so can't use the requires_migrations_check
        # attribute.
        self.check_migrations()
        # Close all connections opened during migration checking.
        for conn in connections.all(initialized_only=True):
            conn.close()

        self.static_options = options
        self.serve_static = self.serves_static(options)
        try:
            app = self.get_handler(*args, **options)
        except ImproperlyConfigured as error:
            self.fail(str(error))
        self.config = self.bind_server(options["verbosity"])
        self.on_bind(self.config.bound_port)
        try:
            serve(app, self.config)
        except KeyboardInterrupt:
            # Ctrl-C before the server's own handlers were in place.
            sys.exit(0)

    # runserver's handler is a WSGI application; this one is ASGI, for Hypercorn.
    def get_handler(self, *args: Any, **options: Any) -> ASGIApp:  # type: ignore[override]
        """The project's ASGI application, wired for h2push, with the static files
        handler inside it when :meth:`serves_static` says so."""
        return get_application(serve_static=self.serves_static(options))

    def bind_server(self, verbosity: int) -> H2Config:
        """Hypercorn's configuration, its TLS context made and its socket bound."""
        try:
            config = build_config(
                self.address,
                str(self.certificate.certfile),
                str(self.certificate.keyfile),
                verbosity=verbosity,
            )
            config.create_ssl_context()
            bind(config)
        except (StartupError, TLSConfigurationError) as error:
            self.fail(str(error))
        return config

    def serves_static(self, options: Mapping[str, Any]) -> bool:
        """staticfiles' runserver rule, and only with staticfiles installed."""
        return bool(
            options["use_static_handler"]
            and (settings.DEBUG or options["insecure_serving"])
            and apps.is_installed(STATICFILES_APP)
        )

    def fail(self, message: str) -> NoReturn:
        """Stop with one readable line and exit status 1, from any thread.

        In the autoreloader's thread an exception would only end the thread, so,
        as runserver does for socket errors, print and leave with ``os._exit(1)``.
        """
        if threading.current_thread() is threading.main_thread():
            raise CommandError(message)
        self.stderr.write(f"CommandError: {message}")
        self.stderr.flush()
        sys.stdout.flush()
        os._exit(1)

    def on_bind(self, server_port: int) -> None:
        """The banner, once the socket is bound: runserver's lines and the TLS ones."""
        quit_command = "CTRL-BREAK" if sys.platform == "win32" else "CONTROL-C"
        address = Address(self.address.host, server_port, self.address.ipv6)
        url = browser_url = address.url
        if address.unspecified:
            browser_url = f"https://localhost:{server_port}/"
            url += f" (on this machine: {browser_url})"
        certificate = self.certificate
        lines = [
            datetime.now().strftime("%B %d, %Y - %X"),
            f"Django version {self.get_version()}, using settings {settings.SETTINGS_MODULE!r}",
            f"Starting HTTP/2 development server at {url}",
            f"TLS: {self.config.tls_policy.describe()}",
            f"Certificate: {certificate.certfile} ({self.describe_certificate()})",
            f"SPKI pin: {certificate.spki_pin}",
        ]
        if certificate.self_signed:
            # Chromium honours the pin only with a profile folder of its own.
            lines.append(
                "Chromium: chromium --user-data-dir=$(mktemp -d) "
                f"--ignore-certificate-errors-spki-list={certificate.spki_pin} {browser_url}"
            )
        lines.append(static_files_line(self.serve_static, self.static_options))
        lines.append(f"Quit the server with {quit_command}.")
        self.stdout.write(self.printable("\n".join(lines)))
        if os.environ.get("DJANGO_RUNSERVER_HIDE_WARNING") != "true":
            self.stdout.write(
                self.style.WARNING(
                    "WARNING: This is a development server. Do not use it in a production "
                    "setting. Use a production WSGI or ASGI server instead.\nFor more "
                    "information on production servers see: "
                    f"https://docs.djangoproject.com/en/{get_docs_version()}/howto/deployment/"
                )
            )
        self.stdout.flush()

    def describe_certificate(self) -> str:
        """What kind of certificate is served, its key and until when it is valid."""
        certificate = self.certificate
        if isinstance(certificate, DevCertificate):
            kind = "development certificate"
        else:
            kind = "self-signed" if certificate.self_signed else "your certificate"
        if certificate.not_after < datetime.now(UTC):
            validity = self.style.WARNING(f"EXPIRED on {certificate.not_after:%Y-%m-%d}")
        else:
            validity = f"valid until {certificate.not_after:%Y-%m-%d}"
        return f"{kind}, {certificate.key_type}, {validity}"

    def printable(self, text: str) -> str:
        """``text``, with ``·`` spelled ``-`` if the console cannot encode it."""
        encoding = getattr(self.stdout, "encoding", None) or "utf-8"
        try:
            text.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            return text.replace("·", "-")
        return text


def reword(parser: CommandParser, dest: str, help_text: str) -> None:
    """Give the argument runserver declared for ``dest`` this command's help text."""
    for action in parser._actions:
        if action.dest == dest:
            action.help = help_text


def static_files_line(handler_installed: bool, options: Mapping[str, Any]) -> str:
    """The banner's line saying what answers requests under ``STATIC_URL``.

    ``handler_installed`` says whether runh2server put its development handler in
    the stack; ``options`` are the command's (``--nostatic``, ``--insecure``).
    """
    url = settings.STATIC_URL or ""
    whitenoise = whitenoise_middleware()
    # Django's handler leaves alone every URL when STATIC_URL names another host.
    if handler_installed and not urlsplit(url).netloc:
        line = f"Static files: served by runh2server at {url} (from the staticfiles finders)"
        if whitenoise:
            # The handler wraps the application, so WhiteNoise never sees /static/.
            line += f"; {whitenoise} in MIDDLEWARE would serve them with --nostatic"
        return line
    if whitenoise:
        return f"Static files: served by WhiteNoise at {url} ({whitenoise} in MIDDLEWARE)"
    return f"Static files: not served ({why_not_served(handler_installed, options)})"


def why_not_served(handler_installed: bool, options: Mapping[str, Any]) -> str:
    """Why nothing in this process answers requests under ``STATIC_URL``."""
    if handler_installed:
        return f"STATIC_URL is on another host: {settings.STATIC_URL}"
    if not apps.is_installed(STATICFILES_APP):
        return f"{STATICFILES_APP} is not in INSTALLED_APPS"
    if options.get("use_static_handler") is False:
        return "--nostatic"
    if not settings.DEBUG and options.get("insecure_serving") is False:
        return "DEBUG is False; --insecure would serve them"
    # Called without the command's options: say what the rule is.
    return "--nostatic, or DEBUG is False without --insecure"


def whitenoise_middleware() -> str | None:
    """The MIDDLEWARE entry that is WhiteNoise's middleware (or a subclass), if any.

    Classes are compared by name, so nothing imports WhiteNoise where it is absent.
    """
    for dotted in settings.MIDDLEWARE:
        try:
            middleware = import_string(dotted)
        except ImportError:
            continue  # Django's own checks report it; the banner only describes.
        ancestry = getattr(middleware, "__mro__", ())
        if any(f"{c.__module__}.{c.__qualname__}" == WHITENOISE_MIDDLEWARE for c in ancestry):
            return str(dotted)
    return None
