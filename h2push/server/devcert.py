"""The development certificate ``runh2server`` serves when given none.

Made once with the ``cryptography`` package and reused until it nears expiry:

- a self-signed ECDSA P-256 certificate for ``localhost``, ``127.0.0.1`` and ``::1``
  (subject alternative names; browsers ignore the common name), valid for a year and
  made again when fewer than 30 days are left, a name is missing, the files are no
  longer a pair, or the key has become readable by other users;
- kept outside the project, in a per-user data directory (mode 0700):
  ``settings.H2PUSH_DEV_CERT_DIR``, else ``$XDG_DATA_HOME/h2push``, else
  ``~/.local/share/h2push`` (``%LOCALAPPDATA%\\h2push`` on Windows);
- the key created with mode 0600 from the start (``os.open(..., 0o600)``), so it is
  never readable by others, not even for a moment.

Browsers can trust it through its SPKI pin (the base64 SHA-256 of the certificate's
SubjectPublicKeyInfo): ``chromium --ignore-certificate-errors-spki-list=<pin>``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import ipaddress
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    PrivateKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from h2push.server.tls import TLSConfigurationError, load_certificate_pair, public_key_der

__all__ = [
    "CERT_FILENAME",
    "DEV_HOSTS",
    "KEY_FILENAME",
    "RENEW_BEFORE",
    "VALIDITY",
    "CertificateInfo",
    "DevCertificate",
    "build_certificate",
    "default_cert_dir",
    "describe_certificate",
    "ensure_dev_certificate",
    "renewal_reason",
    "spki_pin",
    "write_certificate",
    "write_private_key",
]

DEV_HOSTS = ("localhost", "127.0.0.1", "::1")
VALIDITY = dt.timedelta(days=365)
RENEW_BEFORE = dt.timedelta(days=30)
CERT_FILENAME = "localhost.pem"
KEY_FILENAME = "localhost-key.pem"
SETTING = "H2PUSH_DEV_CERT_DIR"


@dataclass(frozen=True)
class CertificateInfo:
    """What a developer needs to know about a certificate (any, not just ours)."""

    certfile: Path
    keyfile: Path
    names: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime
    key_type: str
    spki_pin: str
    self_signed: bool


@dataclass(frozen=True)
class DevCertificate(CertificateInfo):
    """The development certificate, and whether this call made it (and why)."""

    created: bool = False
    reason: str | None = None


def default_cert_dir() -> Path:
    """Where the development certificate lives unless an option says otherwise."""
    from django.conf import settings

    from h2push.django_layer.conf import conf

    configured = conf.H2PUSH_DEV_CERT_DIR if settings.configured else None
    if configured:
        folder = Path(configured).expanduser()
        if not folder.is_absolute():
            # A relative folder would follow the working directory, and could put
            # the private key inside the project's repository.
            raise TLSConfigurationError(
                f"The {SETTING} setting must be an absolute path, not {str(configured)!r}."
            )
        return folder
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "h2push"
    data_home = os.environ.get("XDG_DATA_HOME")
    if data_home and os.path.isabs(data_home):
        return Path(data_home) / "h2push"
    return Path.home() / ".local" / "share" / "h2push"


def spki_pin(certificate: x509.Certificate) -> str:
    """Base64 SHA-256 of the SubjectPublicKeyInfo, as Chromium's
    ``--ignore-certificate-errors-spki-list`` and HPKP-style pins expect."""
    return base64.b64encode(hashlib.sha256(public_key_der(certificate)).digest()).decode("ascii")


def describe_certificate(
    certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str]
) -> CertificateInfo:
    """Check a certificate/key pair and describe its leaf certificate.

    Raises :class:`h2push.server.tls.TLSConfigurationError` if they can't serve.
    """
    chain, _key = load_certificate_pair(certfile, keyfile)
    return _info(chain[0], Path(certfile), Path(keyfile))


def ensure_dev_certificate(
    directory: str | os.PathLike[str] | None = None,
    *,
    renew: bool = False,
    now: dt.datetime | None = None,
) -> DevCertificate:
    """Reuse the development certificate in ``directory`` or make a new one.

    ``directory`` defaults to :func:`default_cert_dir`; ``renew`` forces a new one.
    Raises :class:`h2push.server.tls.TLSConfigurationError` if the directory can't be used.
    """
    folder = Path(directory).expanduser() if directory is not None else default_cert_dir()
    now = now or dt.datetime.now(dt.UTC)
    certfile, keyfile = folder / CERT_FILENAME, folder / KEY_FILENAME
    try:
        _make_private_dir(folder)
        with _locked(folder):
            reason = "a new one was asked for" if renew else renewal_reason(certfile, keyfile, now)
            if reason is None:
                info = describe_certificate(certfile, keyfile)
                return DevCertificate(**vars(info))
            key = ec.generate_private_key(ec.SECP256R1())
            certificate = build_certificate(key, DEV_HOSTS, now=now)
            write_private_key(keyfile, key)
            write_certificate(certfile, certificate)
    except OSError as error:
        raise TLSConfigurationError(
            f'Cannot write the development certificate in "{folder}": '
            f"{error.strerror or error}. Choose another folder with --cert-dir "
            f"or the {SETTING} setting."
        ) from None
    info = _info(certificate, certfile, keyfile)
    return DevCertificate(**vars(info), created=True, reason=reason)


def renewal_reason(certfile: Path, keyfile: Path, now: dt.datetime) -> str | None:
    """Why the certificate in these files must be made again, or None to reuse it."""
    if not certfile.exists() and not keyfile.exists():
        return "there was none yet"
    try:
        info = describe_certificate(certfile, keyfile)
    except TLSConfigurationError as error:
        return f"the old one cannot be used: {error}"
    if os.name == "posix" and keyfile.stat().st_mode & 0o077:
        return "its key had become readable by other users"
    if info.not_before > now:
        return f"it is not valid before {info.not_before:%Y-%m-%d %H:%M} UTC"
    if info.not_after - now < RENEW_BEFORE:
        return f"it expires on {info.not_after:%Y-%m-%d}"
    missing = [host for host in DEV_HOSTS if host not in info.names]
    if missing:
        return f"it does not name {', '.join(missing)}"
    return None


def build_certificate(
    key: CertificateIssuerPrivateKeyTypes,
    hosts: Iterable[str] = DEV_HOSTS,
    *,
    now: dt.datetime | None = None,
    validity: dt.timedelta = VALIDITY,
) -> x509.Certificate:
    """A self-signed server certificate for ``hosts`` (DNS names or IP addresses)."""
    now = now or dt.datetime.now(dt.UTC)
    hosts = list(hosts)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "h2push development certificate"),
            x509.NameAttribute(NameOID.COMMON_NAME, hosts[0] if hosts else "localhost"),
        ]
    )
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # An hour's slack for a clock that runs behind the browser's.
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + validity)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


def write_private_key(path: Path, key: PrivateKeyTypes) -> None:
    """Write ``key`` (PEM, PKCS#8, unencrypted) with mode 0600, replacing ``path``
    atomically. The file is created 0600, never widened afterwards."""
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_atomically(path, data, 0o600)


def write_certificate(path: Path, certificate: x509.Certificate) -> None:
    """Write ``certificate`` (PEM), replacing ``path`` atomically (mode 0644)."""
    _write_atomically(path, certificate.public_bytes(serialization.Encoding.PEM), 0o644)


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    descriptor = os.open(temporary, flags, mode)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _make_private_dir(folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        if not folder.is_dir():
            raise
    # mkdir's mode is filtered by the umask, and a folder made earlier (by hand, or
    # by an older version) may be open to others: the key's folder is ours alone.
    if folder.stat().st_mode & 0o777 != 0o700:
        os.chmod(folder, 0o700)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise makers of the same certificate (two servers started at once)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; a rare race at worst.
        yield
        return
    descriptor = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _info(certificate: x509.Certificate, certfile: Path, keyfile: Path) -> CertificateInfo:
    names: list[str] = []
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        names.extend(san.get_values_for_type(x509.DNSName))
        names.extend(str(address) for address in san.get_values_for_type(x509.IPAddress))
    return CertificateInfo(
        certfile=certfile,
        keyfile=keyfile,
        names=tuple(names),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        key_type=_key_type(certificate),
        spki_pin=spki_pin(certificate),
        self_signed=certificate.issuer == certificate.subject,
    )


def _key_type(certificate: x509.Certificate) -> str:
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        curve = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
        return f"ECDSA {curve.get(key.curve.name, key.curve.name)}"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    return type(key).__name__.removeprefix("_").replace("PublicKey", "")
