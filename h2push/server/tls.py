"""The TLS policy of ``runh2server``: one explicit :class:`ssl.SSLContext` factory.

Every setting HTTP/2 over TLS depends on is written here rather than left to a
library default that could change under us (RFC 9113 section 9.2):

- TLS 1.2 at least (``minimum_version``); TLS 1.3 allowed.
- TLS 1.2 suites ``ECDHE+AESGCM`` only: forward secret AEAD suites, none of them on
  HTTP/2's block list (RFC 9113 appendix A). The cipher string does not limit TLS 1.3,
  whose suites are all AEAD.
- Compression off (``OP_NO_COMPRESSION``, RFC 9113 section 9.2.1) and renegotiation
  off (``OP_NO_RENEGOTIATION``, section 9.2.1 as well).
- ALPN ``h2`` then ``http/1.1``, so HTTP/1.1-only clients still connect.

:func:`create_server_context` also checks the certificate and key files first, so a
wrong file gives one readable :class:`TLSConfigurationError` rather than OpenSSL's
``[SSL] PEM lib (_ssl.c:...)``.
"""

from __future__ import annotations

import errno
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

__all__ = [
    "DEFAULT_POLICY",
    "TLSConfigurationError",
    "TLSPolicy",
    "create_server_context",
    "load_certificate_pair",
    "public_key_der",
]

StrPath = str | os.PathLike[str]


class TLSConfigurationError(Exception):
    """A certificate or key file cannot be used; the message is one readable line."""


@dataclass(frozen=True)
class TLSPolicy:
    """What a server context allows. :data:`DEFAULT_POLICY` is runh2server's."""

    minimum_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
    tls12_ciphers: str = "ECDHE+AESGCM"
    alpn_protocols: tuple[str, ...] = ("h2", "http/1.1")
    compression: bool = False
    renegotiation: bool = False

    def describe(self) -> str:
        """One line for the start-up banner, e.g.
        ``TLS 1.2+ · ECDHE+AESGCM · ALPN h2, http/1.1 · compression off``."""
        version = _VERSION_NAMES.get(self.minimum_version, self.minimum_version.name)
        return " · ".join(
            [
                f"{version}+",
                self.tls12_ciphers,
                f"ALPN {', '.join(self.alpn_protocols)}",
                f"compression {'on' if self.compression else 'off'}",
            ]
        )


_VERSION_NAMES = {
    ssl.TLSVersion.TLSv1: "TLS 1.0",
    ssl.TLSVersion.TLSv1_1: "TLS 1.1",
    ssl.TLSVersion.TLSv1_2: "TLS 1.2",
    ssl.TLSVersion.TLSv1_3: "TLS 1.3",
}

DEFAULT_POLICY = TLSPolicy()


def create_server_context(
    certfile: StrPath, keyfile: StrPath, policy: TLSPolicy = DEFAULT_POLICY
) -> ssl.SSLContext:
    """A server context for ``certfile``/``keyfile`` (PEM) that enforces ``policy``.

    Raises :class:`TLSConfigurationError` if a file is missing, unreadable, not PEM,
    or the two are not a pair.
    """
    load_certificate_pair(certfile, keyfile)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = policy.minimum_version
    context.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    try:
        context.set_ciphers(policy.tls12_ciphers)
    except ssl.SSLError as error:
        raise TLSConfigurationError(
            f"OpenSSL accepts none of the TLS 1.2 ciphers {policy.tls12_ciphers!r}."
        ) from error
    # SSLv3 and below are already excluded by minimum_version.
    options = context.options | ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_SINGLE_ECDH_USE
    if policy.compression:
        options &= ~ssl.OP_NO_COMPRESSION
    else:
        options |= ssl.OP_NO_COMPRESSION
    if policy.renegotiation:
        options &= ~ssl.OP_NO_RENEGOTIATION
    else:
        options |= ssl.OP_NO_RENEGOTIATION
    context.options = options
    context.set_alpn_protocols(list(policy.alpn_protocols))
    try:
        context.load_cert_chain(os.fspath(certfile), os.fspath(keyfile))
    except ssl.SSLError as error:  # e.g. a key type this OpenSSL cannot use
        reason = error.reason or str(error)
        raise TLSConfigurationError(
            f'OpenSSL cannot use certificate "{certfile}" with key "{keyfile}": {reason}.'
        ) from error
    return context


def load_certificate_pair(
    certfile: StrPath, keyfile: StrPath
) -> tuple[list[x509.Certificate], PrivateKeyTypes]:
    """Read and check a PEM certificate chain and its unencrypted private key.

    Returns the certificates (leaf first) and the key. Raises
    :class:`TLSConfigurationError` with one readable line when they can't serve.
    """
    cert_data = _read("Certificate file", certfile)
    key_data = _read("Key file", keyfile)
    try:
        chain = x509.load_pem_x509_certificates(cert_data)
    except ValueError:
        hint = (
            " (it holds a private key: are --certfile and --keyfile swapped?)"
            if b"PRIVATE KEY-----" in cert_data
            else ""
        )
        raise TLSConfigurationError(
            f'Certificate file "{certfile}" is not a PEM certificate{hint}.'
        ) from None
    try:
        key = serialization.load_pem_private_key(key_data, password=None)
    except TypeError:
        raise TLSConfigurationError(
            f'Key file "{keyfile}" is encrypted; give runh2server an unencrypted key.'
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        hint = (
            " (it holds a certificate: are --certfile and --keyfile swapped?)"
            if b"-----BEGIN CERTIFICATE-----" in key_data
            else ""
        )
        raise TLSConfigurationError(
            f'Key file "{keyfile}" is not a PEM private key{hint}.'
        ) from None
    if public_key_der(chain[0]) != _key_der(key):
        raise TLSConfigurationError(
            f'Key file "{keyfile}" does not belong to certificate "{certfile}" '
            "(they are not a pair)."
        )
    return chain, key


def public_key_der(certificate: x509.Certificate) -> bytes:
    """The certificate's SubjectPublicKeyInfo, DER encoded (what an SPKI pin hashes)."""
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _key_der(key: PrivateKeyTypes) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _read(what: str, path: StrPath) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise TLSConfigurationError(f'{what} "{path}" does not exist.') from None
    except PermissionError:
        raise TLSConfigurationError(
            f'{what} "{path}" is not readable (permission denied).'
        ) from None
    except IsADirectoryError:
        raise TLSConfigurationError(f'{what} "{path}" is a directory, not a file.') from None
    except OSError as error:
        reason = error.strerror or errno.errorcode.get(error.errno or 0, str(error))
        raise TLSConfigurationError(f'{what} "{path}" cannot be read: {reason}.') from None
