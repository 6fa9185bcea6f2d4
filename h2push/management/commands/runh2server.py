"""``manage.py runh2server``: runserver's ways, served over HTTP/2 and TLS by Hypercorn."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, ClassVar, Literal, NoReturn
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils import autoreload
from django.utils.module_loading import import_string
from django.utils.version import get_docs_version

from h2push.server.addrport import DEFAULT_PORT, Address, StartupError, parse_addrport
from h2push.server.devcert import (
    CertificateInfo,
    DevCertificate,
    describe_certificate,
    ensure_dev_certificate,
)
from h2push.server.serving import H2Config, bind, build_config, serve
from h2push.server.tls import TLSConfigurationError
from h2push.server.wiring import get_application

STATICFILES_APP = "django.contrib.staticfiles"
WHITENOISE_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"


class Command(BaseCommand):
    help = (
        "Starts a development server that speaks HTTP/2 over TLS (Hypercorn), so pages' "
        "preloads go out as server pushes and Early Hints. Serves static files like "
        "runserver does."
    )

    # Like runserver: the checks run in inner_run, on every (re)load.
    suppressed_base_arguments: ClassVar[set[str]] = {"--traceback"}  # type: ignore[misc]

    default_port = DEFAULT_PORT
    # The options of the current run, kept for the banner's static files line.
    static_options: Mapping[str, Any] = MappingProxyType({})

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            help=f"Optional port number, or ipaddr:port (default 127.0.0.1:{DEFAULT_PORT}).",
        )
        parser.add_argument(
            "--ipv6",
            "-6",
            action="store_true",
            dest="use_ipv6",
            help="Tells Django to use an IPv6 address.",
        )
        parser.add_argument(
            "--noreload",
            action="store_false",
            dest="use_reloader",
            help="Tells Django to NOT use the auto-reloader.",
        )
        parser.add_argument(
            "--nostatic",
            action="store_false",
            dest="use_static_handler",
            help="Tells Django to NOT automatically serve static files at STATIC_URL.",
        )
        parser.add_argument(
            "--insecure",
            action="store_true",
            dest="insecure_serving",
            help="Allows serving static files even if DEBUG is False.",
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

    def get_check_kwargs(
        self, options: Any
    ) -> dict[str | None, list[str] | tuple[str, ...] | Literal["__all__"] | None]:
        """Validation is called explicitly each time the server reloads."""
        return {"tags": []}

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not settings.ALLOWED_HOSTS:
            raise CommandError("You must set settings.ALLOWED_HOSTS if DEBUG is False.")
        try:
            self.address: Address = parse_addrport(
                options["addrport"], ipv6=options["use_ipv6"], default_port=self.default_port
            )
        except StartupError as error:
            raise CommandError(str(error)) from None
        self.certificate: CertificateInfo = self.get_certificate(options)
        if isinstance(self.certificate, DevCertificate) and self.certificate.created:
            self.stdout.write(
                f"Made a development certificate ({self.certificate.reason}): "
                f"{self.certificate.certfile}"
            )
        if options["use_reloader"]:
            autoreload.run_with_reloader(self.inner_run, **options)
        else:
            self.inner_run(**options)

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
        serve_static = self.serves_static(options)
        try:
            app = get_application(serve_static=serve_static)
        except ImproperlyConfigured as error:
            self.fail(str(error))
        try:
            config = build_config(
                self.address,
                str(self.certificate.certfile),
                str(self.certificate.keyfile),
                verbosity=options["verbosity"],
            )
            config.create_ssl_context()
            bind(config)
        except (StartupError, TLSConfigurationError) as error:
            self.fail(str(error))
        self.on_bind(config, serve_static)
        try:
            serve(app, config)
        except KeyboardInterrupt:
            # Ctrl-C before the server's own handlers were in place.
            sys.exit(0)

    def serves_static(self, options: dict[str, Any]) -> bool:
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

    def on_bind(self, config: H2Config, serve_static: bool) -> None:
        quit_command = "CTRL-BREAK" if sys.platform == "win32" else "CONTROL-C"
        port = config.bound_port
        address = Address(self.address.host, port, self.address.ipv6)
        url = browser_url = address.url
        if address.unspecified:
            browser_url = f"https://localhost:{port}/"
            url += f" (on this machine: {browser_url})"
        certificate = self.certificate
        if isinstance(certificate, DevCertificate):
            kind = "development certificate"
        else:
            kind = "self-signed" if certificate.self_signed else "your certificate"
        if certificate.not_after < datetime.now(UTC):
            validity = self.style.WARNING(f"EXPIRED on {certificate.not_after:%Y-%m-%d}")
        else:
            validity = f"valid until {certificate.not_after:%Y-%m-%d}"
        lines = [
            datetime.now().strftime("%B %d, %Y - %X"),
            f"Django version {self.get_version()}, using settings {settings.SETTINGS_MODULE!r}",
            f"Starting HTTP/2 development server at {url}",
            f"TLS: {config.tls_policy.describe()}",
            f"Certificate: {certificate.certfile} ({kind}, {certificate.key_type}, {validity})",
            f"SPKI pin: {certificate.spki_pin}",
        ]
        if certificate.self_signed:
            # Chromium honours the pin only with a profile folder of its own.
            lines.append(
                "Chromium: chromium --user-data-dir=$(mktemp -d) "
                f"--ignore-certificate-errors-spki-list={certificate.spki_pin} {browser_url}"
            )
        lines.append(static_files_line(serve_static, self.static_options))
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

    def printable(self, text: str) -> str:
        """``text``, with ``·`` spelled ``-`` if the console cannot encode it."""
        encoding = getattr(self.stdout, "encoding", None) or "utf-8"
        try:
            text.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            return text.replace("·", "-")
        return text


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
