"""``manage.py h2cert``: make or show runh2server's development certificate."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from h2push.server.devcert import DevCertificate, ensure_dev_certificate
from h2push.server.tls import TLSConfigurationError


class Command(BaseCommand):
    help = (
        "Makes runh2server's development certificate if there is none (or it nears "
        "expiry), then shows its path, expiry, SPKI pin and how to trust it."
    )
    requires_system_checks: ClassVar[list[str]] = []  # type: ignore[misc]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cert-dir",
            help=(
                "Where the development certificate is kept (default: the "
                "H2PUSH_DEV_CERT_DIR setting, else ~/.local/share/h2push)."
            ),
        )
        parser.add_argument(
            "--renew",
            action="store_true",
            help="Make a new certificate and key even if the current ones are still good.",
        )
        parser.add_argument(
            "--pin",
            action="store_true",
            help=(
                "Print only the SPKI pin, e.g. for "
                "chromium --ignore-certificate-errors-spki-list=$(python manage.py h2cert --pin)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            certificate = ensure_dev_certificate(options["cert_dir"], renew=options["renew"])
        except TLSConfigurationError as error:
            raise CommandError(str(error)) from None
        if options["pin"]:
            self.stdout.write(certificate.spki_pin)
            return
        self.stdout.write(self.describe(certificate))

    def describe(self, certificate: DevCertificate) -> str:
        now = dt.datetime.now(dt.UTC)
        days = (certificate.not_after - now).days
        if certificate.created:
            state = self.style.SUCCESS(
                f"Made a new development certificate ({certificate.reason})."
            )
        else:
            state = "Reusing the development certificate."
        pin = certificate.spki_pin
        return "\n".join(
            [
                state,
                f"  Certificate:  {certificate.certfile}",
                f"  Private key:  {certificate.keyfile} (mode 0600)",
                f"  Names:        {', '.join(certificate.names)}",
                f"  Key:          {certificate.key_type}, self-signed",
                f"  Valid until:  {certificate.not_after:%Y-%m-%d %H:%M} UTC ({days} days; "
                "made again when fewer than 30 are left)",
                f"  SPKI pin:     {pin}",
                "  (base64 SHA-256 of the certificate's SubjectPublicKeyInfo)",
                "",
                "To trust it:",
                "  Chromium/Chrome: chromium --user-data-dir=$(mktemp -d) "
                f"--ignore-certificate-errors-spki-list={pin}",
                "                   (--ignore-certificate-errors alone is not enough: Chromium",
                "                   then caches nothing, so preloads are fetched twice)",
                f"  curl:            curl --cacert {certificate.certfile} https://localhost:8443/",
                f'  Python:          ssl.create_default_context(cafile="{certificate.certfile}")',
                "  Every browser:   use mkcert's locally trusted certificate instead:",
                "                   manage.py runh2server --certfile localhost+2.pem "
                "--keyfile localhost+2-key.pem",
            ]
        )
