"""The development certificate: made once, reused, renewed when it must be, shown by
``h2cert`` and runh2server's banner; a user's own files are never rewritten."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import socket
import ssl
import stat
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command

from h2push.probe import H2Connection
from h2push.server.devcert import (
    CERT_FILENAME,
    KEY_FILENAME,
    build_certificate,
    default_cert_dir,
    ensure_dev_certificate,
    spki_pin,
    write_certificate,
    write_private_key,
)
from harness.constants import REPO

if TYPE_CHECKING:
    from harness.processes import ServerProcess
    from harness.servers import H2ServerFactory

UTC = dt.UTC


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(path: Path) -> tuple[bytes, int, int]:
    info = path.stat()
    return path.read_bytes(), info.st_mtime_ns, stat.S_IMODE(info.st_mode)


def independent_pin(keyfile: Path) -> str:
    """The SPKI pin computed from the private key, not from the certificate."""
    key = serialization.load_pem_private_key(keyfile.read_bytes(), password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def test_made_with_loopback_names_and_private_modes(tmp_path: Path) -> None:
    folder = tmp_path / "certs" / "h2push"
    cert = ensure_dev_certificate(folder)
    assert cert.created
    assert cert.certfile == folder / CERT_FILENAME
    assert cert.keyfile == folder / KEY_FILENAME

    parsed = x509.load_pem_x509_certificate(cert.certfile.read_bytes())
    san = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert cert.names == ("localhost", "127.0.0.1", "::1")
    basic = parsed.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca is False
    assert isinstance(parsed.public_key(), ec.EllipticCurvePublicKey)
    validity = parsed.not_valid_after_utc - parsed.not_valid_before_utc
    assert dt.timedelta(days=360) < validity < dt.timedelta(days=370)

    assert mode(cert.keyfile) == 0o600
    assert mode(folder) == 0o700
    assert cert.spki_pin == independent_pin(cert.keyfile) == spki_pin(parsed)


def test_key_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        cert = ensure_dev_certificate(tmp_path / "open-umask")
    finally:
        os.umask(old)
    assert mode(cert.keyfile) == 0o600
    assert mode(cert.keyfile.parent) == 0o700


def test_reused_on_the_second_run(tmp_path: Path) -> None:
    first = ensure_dev_certificate(tmp_path)
    before = snapshot(first.certfile), snapshot(first.keyfile)
    second = ensure_dev_certificate(tmp_path)
    assert not second.created
    assert second.reason is None
    assert second.spki_pin == first.spki_pin
    assert (snapshot(second.certfile), snapshot(second.keyfile)) == before


def test_renew_forces_a_new_key(tmp_path: Path) -> None:
    first = ensure_dev_certificate(tmp_path)
    renewed = ensure_dev_certificate(tmp_path, renew=True)
    assert renewed.created
    assert renewed.spki_pin != first.spki_pin


def test_made_again_when_near_expiry(tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    ensure_dev_certificate(tmp_path, now=now - dt.timedelta(days=300))
    # 65 days left: still reused.
    assert not ensure_dev_certificate(tmp_path, now=now).created
    # 25 days left: made again.
    later = ensure_dev_certificate(tmp_path, now=now + dt.timedelta(days=40))
    assert later.created
    assert later.reason is not None and "expires on" in later.reason
    assert later.not_after > now + dt.timedelta(days=400)


def test_made_again_when_a_name_is_missing(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    write_private_key(tmp_path / KEY_FILENAME, key)
    write_certificate(tmp_path / CERT_FILENAME, build_certificate(key, ["localhost"]))
    cert = ensure_dev_certificate(tmp_path)
    assert cert.created
    assert cert.reason == "it does not name 127.0.0.1, ::1"
    assert cert.names == ("localhost", "127.0.0.1", "::1")


def test_made_again_when_not_a_pair_or_key_exposed(tmp_path: Path) -> None:
    first = ensure_dev_certificate(tmp_path)
    write_private_key(first.keyfile, ec.generate_private_key(ec.SECP256R1()))
    second = ensure_dev_certificate(tmp_path)
    assert second.created
    assert second.reason is not None and "not a pair" in second.reason

    os.chmod(second.keyfile, 0o644)
    third = ensure_dev_certificate(tmp_path)
    assert third.created
    assert third.reason == "its key had become readable by other users"
    assert mode(third.keyfile) == 0o600


def test_default_folder(settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_cert_dir() == tmp_path / "xdg" / "h2push"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cert_dir() == tmp_path / "home" / ".local" / "share" / "h2push"
    settings.H2PUSH_DEV_CERT_DIR = str(tmp_path / "configured")
    assert default_cert_dir() == tmp_path / "configured"
    # Outside the repository either way.
    assert REPO not in default_cert_dir().parents


def test_setting_is_used_by_ensure(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.H2PUSH_DEV_CERT_DIR = str(tmp_path / "from-setting")
    cert = ensure_dev_certificate()
    assert cert.certfile == tmp_path / "from-setting" / CERT_FILENAME


def test_unusable_folder_is_one_readable_error(tmp_path: Path) -> None:
    from h2push.server.tls import TLSConfigurationError

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(TLSConfigurationError, match="Cannot write the development certificate"):
        ensure_dev_certificate(blocker / "h2push")


# ------------------------------------------------------------------------ h2cert command


def test_h2cert_makes_then_shows(tmp_path: Path) -> None:
    out = StringIO()
    call_command("h2cert", cert_dir=str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "Made a new development certificate (there was none yet)." in text
    certfile, keyfile = tmp_path / CERT_FILENAME, tmp_path / KEY_FILENAME
    pin = independent_pin(keyfile)
    assert f"Certificate:  {certfile}" in text
    assert f"Private key:  {keyfile} (mode 0600)" in text
    assert "Names:        localhost, 127.0.0.1, ::1" in text
    assert "Valid until:  " in text
    assert f"SPKI pin:     {pin}" in text
    assert f"--ignore-certificate-errors-spki-list={pin}" in text
    assert f"curl --cacert {certfile}" in text

    again = StringIO()
    call_command("h2cert", cert_dir=str(tmp_path), stdout=again)
    assert "Reusing the development certificate." in again.getvalue()
    assert f"SPKI pin:     {pin}" in again.getvalue()


def test_h2cert_pin_and_renew(tmp_path: Path) -> None:
    out = StringIO()
    call_command("h2cert", cert_dir=str(tmp_path), pin=True, stdout=out)
    pin = out.getvalue().strip()
    assert pin == independent_pin(tmp_path / KEY_FILENAME)
    out = StringIO()
    call_command("h2cert", cert_dir=str(tmp_path), pin=True, renew=True, stdout=out)
    assert out.getvalue().strip() == independent_pin(tmp_path / KEY_FILENAME) != pin


def test_h2cert_subprocess_error(manage, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = manage("h2cert", "--cert-dir", str(blocker / "sub"))
    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: Cannot write the development certificate")
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------- with runh2server


@pytest.mark.e2e
def test_server_made_shows_and_serves_the_certificate(h2server: ServerProcess) -> None:
    assert h2server.certfile is not None and h2server.keyfile is not None
    pin = independent_pin(h2server.keyfile)
    output = h2server.output()
    assert f"Made a development certificate (there was none yet): {h2server.certfile}" in output
    assert f"Certificate: {h2server.certfile} (development certificate, ECDSA P-256" in output
    assert f"SPKI pin: {pin}" in output
    assert (
        f"chromium --user-data-dir=$(mktemp -d) --ignore-certificate-errors-spki-list={pin} "
        f"{h2server.base_url}/"
    ) in output
    assert mode(h2server.keyfile) == 0o600

    # The server presents exactly that certificate...
    served = ssl.get_server_certificate(("127.0.0.1", h2server.port))
    assert served.strip() == h2server.certfile.read_text().strip()
    # ...and a client that trusts only it verifies both loopback names.
    for server_hostname in ("localhost", "127.0.0.1"):
        with H2Connection(
            "127.0.0.1",
            h2server.port,
            cafile=h2server.certfile,
            server_hostname=server_hostname,
        ) as connection:
            assert connection.request("/").status == 200


@pytest.mark.e2e
def test_second_run_reuses_it(h2server: ServerProcess, h2server_factory: H2ServerFactory) -> None:
    assert h2server.certfile is not None and h2server.keyfile is not None
    before = snapshot(h2server.certfile), snapshot(h2server.keyfile)
    second = h2server_factory(cert_dir=h2server.cert_dir, host="::1")
    assert "Made a development certificate" not in second.output()
    assert f"Certificate: {h2server.certfile}" in second.output()
    assert (snapshot(h2server.certfile), snapshot(h2server.keyfile)) == before
    # (IPv6 too: runserver's [::1]:PORT form.)
    assert f"Starting HTTP/2 development server at https://[::1]:{second.port}/" in second.output()
    with socket.create_connection(("::1", second.port), timeout=5) as raw:
        context = ssl.create_default_context(cafile=h2server.certfile)
        with context.wrap_socket(raw, server_hostname="::1") as tls:
            assert tls.version() == "TLSv1.3"


@pytest.mark.e2e
def test_users_files_are_never_rewritten(tmp_path: Path, h2server_factory: H2ServerFactory) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certfile, keyfile = tmp_path / "mine.pem", tmp_path / "mine-key.pem"
    certfile.write_bytes(build_certificate(key).public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    os.chmod(keyfile, 0o640)  # Not our business: it must stay as the user left it.
    before = snapshot(certfile), snapshot(keyfile)

    server = h2server_factory(certfile=certfile, keyfile=keyfile)
    served = ssl.get_server_certificate(("127.0.0.1", server.port))
    assert served.strip() == certfile.read_text().strip()
    assert server.stop() == 0
    assert (snapshot(certfile), snapshot(keyfile)) == before
    # Nothing written beside them (no lock, no temporary file).
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["mine-key.pem", "mine.pem"]
    # No development certificate was made anywhere.
    home = Path(server.env["HOME"])
    assert "Made a development certificate" not in server.output()
    assert not (home / ".local" / "share" / "h2push").exists()
    assert f"Certificate: {certfile} (self-signed, RSA 2048" in server.output()
