"""TLS clients that verify the servers the tests and benchmarks start.

Every server started here over TLS serves a certificate that a client can take as
its own trust anchor: ``runh2server``'s development certificate
(:mod:`h2push.server.devcert`, self-signed, naming ``localhost``, ``127.0.0.1`` and
``::1``) or a pair a test made for the same names and handed to Caddy, Daphne,
Gunicorn, Uvicorn or Hypercorn. So nothing needs verification turned off::

    H2Connection(server.host, server.port, cafile=cafile(server))  # the h2 probe
    context = client_context(server)                # ssl: CERT_REQUIRED, hostname
    context = client_context(server, alpn=["h2"])   # ALPN other than http/1.1
    with verified(server):                          # where errors are caught broadly
        ...

``server`` is anything with a ``certfile`` (a :class:`harness.processes.ServerProcess`,
a :class:`harness.caddy_stack.CaddyStack`) or the certificate file itself.

A connection whose certificate does not verify must fail the test, never pass as
"the server refused": ``ssl.SSLCertVerificationError`` is an ``ssl.SSLError`` and an
``OSError``, and the probe reports it as a :class:`~h2push.probe.TLSError`, a
``ProbeError``, so a test that expects a refusal, or retries until a server answers,
would take it for something else. :func:`verified` turns it into
:class:`UntrustedCertificate`, an ``AssertionError`` none of those catch.

No pytest and no Django here: the benchmarks import this too.
"""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, TypeAlias

__all__ = [
    "HasCertificate",
    "Trust",
    "UntrustedCertificate",
    "cafile",
    "client_context",
    "is_verification_error",
    "verified",
]


class HasCertificate(Protocol):
    """A started server that knows the certificate it serves."""

    @property
    def certfile(self) -> Path | None: ...


#: A started server, or the certificate file to trust for it.
Trust: TypeAlias = HasCertificate | str | os.PathLike[str]


class UntrustedCertificate(AssertionError):
    """A server's certificate did not verify against the one it was started with."""


def cafile(trust: Trust) -> Path:
    """The certificate file a client trusts for ``trust`` (a server, or the file).

    Fails if the server was started without one being recorded, or the file is
    missing: a client must never fall back to trusting nothing in particular.
    """
    if isinstance(trust, str | os.PathLike):
        path = Path(trust)
    else:
        certfile = trust.certfile
        if certfile is None:
            raise UntrustedCertificate(f"{trust!r} was started without a recorded certfile")
        path = Path(certfile)
    if not path.is_file():
        raise UntrustedCertificate(f"the trust anchor {path} does not exist")
    return path


def client_context(trust: Trust, *, alpn: Sequence[str] = ("http/1.1",)) -> ssl.SSLContext:
    """A client context that requires the server's certificate to chain to ``trust``'s
    certificate and to name the host connected to (``server_hostname``), offering
    ``alpn``. The caller may narrow it further (versions, suites); it must not turn
    verification off."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(cafile(trust)))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    if alpn:
        context.set_alpn_protocols(list(alpn))
    return context


def is_verification_error(error: BaseException) -> bool:
    """Whether ``error`` is, or was raised while handling, a failed certificate
    verification (the probe raises its ``TLSError`` ``from None``, which keeps the
    ``ssl`` error as its context)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


@contextlib.contextmanager
def verified(trust: Trust | None = None) -> Iterator[None]:
    """Raise :class:`UntrustedCertificate` (an ``AssertionError``) for a certificate
    that fails verification inside the block, instead of an ``ssl.SSLError`` or
    probe error that a surrounding ``except`` could take for an expected failure.
    ``trust`` only names the anchor in the message."""
    try:
        yield
    except UntrustedCertificate:
        raise
    except Exception as error:
        if not is_verification_error(error):
            raise
        anchor = "" if trust is None else f" against {_describe(trust)}"
        raise UntrustedCertificate(f"certificate verification failed{anchor}: {error}") from error


def _describe(trust: Trust) -> str:
    if isinstance(trust, str | os.PathLike):
        return str(trust)
    return str(trust.certfile)
