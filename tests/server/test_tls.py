"""runh2server's TLS policy, checked with Python's ssl module against the running server.

The test client is opened as wide as this OpenSSL goes (TLS 1.0 and every suite at
``@SECLEVEL=0``), so each refusal below is the server's, not the client's; and the
very same client settings are shown to connect to a deliberately weak server first,
or a refusal would prove nothing.

Wide open as it is, the client still verifies the server's certificate against the
one the server was given, and the name ``localhost`` in it
(:func:`harness.certificates.client_context`). A certificate that fails is raised
as :class:`harness.certificates.UntrustedCertificate`, an ``AssertionError``, so it
can never pass for a refusal (``ssl.SSLError``).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from h2push.server.tls import (
    DEFAULT_POLICY,
    TLSConfigurationError,
    TLSPolicy,
    create_server_context,
    load_certificate_pair,
)
from harness.certificates import HasCertificate, client_context, verified

if TYPE_CHECKING:
    from harness.processes import ServerProcess

pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")

TLS1 = ssl.TLSVersion.TLSv1
TLS1_1 = ssl.TLSVersion.TLSv1_1
TLS1_2 = ssl.TLSVersion.TLSv1_2
TLS1_3 = ssl.TLSVersion.TLSv1_3
OPEN = "ALL:@SECLEVEL=0"

# RFC 7919's ffdhe2048 group, so the weak server can offer DHE suites too.
FFDHE2048 = """-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
"""

# What the policy allows with an RSA certificate, and nothing else (TLS 1.2).
RSA_ACCEPTED = {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"}


def open_client(
    trust: HasCertificate | Path,
    max_version: ssl.TLSVersion | None = None,
    ciphers: str = OPEN,
    alpn: list[str] | None = None,
) -> ssl.SSLContext:
    """A client that allows TLS 1.0 and every suite, so the server must do the
    refusing, and that verifies the server against ``trust``'s certificate."""
    context = client_context(trust, alpn=())
    context.minimum_version = TLS1
    if max_version is not None:
        context.maximum_version = max_version
    context.set_ciphers(ciphers)
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def handshake(port: int, context: ssl.SSLContext, host: str = "127.0.0.1") -> tuple[str, str]:
    """Connect, finish the handshake, return (version, cipher); raises ssl.SSLError,
    or UntrustedCertificate if the server's certificate does not verify."""
    with (
        verified(),
        socket.create_connection((host, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        version, cipher = tls.version(), tls.cipher()
        assert version is not None and cipher is not None
        return version, cipher[0]


def tls12_suites(trust: HasCertificate | Path) -> list[str]:
    """Every suite the open client can offer in TLS 1.2 (all but TLS 1.3's: OpenSSL
    labels each by the version that introduced it, SSLv3 and TLSv1 included)."""
    suites = open_client(trust).get_ciphers()
    return sorted(c["name"] for c in suites if c["protocol"] != "TLSv1.3")


@pytest.fixture(scope="module")
def weak_server(
    rsa_cert_pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """A deliberately weak TLS server (TLS 1.0+, every suite, @SECLEVEL=0) in a thread,
    with the same RSA certificate; yields its port."""
    certfile, keyfile = rsa_cert_pair
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = TLS1
    context.set_ciphers(OPEN)
    context.load_cert_chain(certfile, keyfile)
    dh_params = tmp_path_factory.mktemp("dh") / "ffdhe2048.pem"
    dh_params.write_text(FFDHE2048)
    context.load_dh_params(str(dh_params))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                conn.settimeout(5)
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


# The client settings each refusal is asserted with: (label, max version, ciphers).
REFUSED = [
    ("TLS 1.0", TLS1, OPEN),
    ("TLS 1.1", TLS1_1, OPEN),
    ("TLS 1.2 RSA key exchange, CBC (AES128-SHA256)", TLS1_2, "AES128-SHA256:@SECLEVEL=0"),
    ("TLS 1.2 RSA key exchange, GCM (AES128-GCM-SHA256)", TLS1_2, "AES128-GCM-SHA256:@SECLEVEL=0"),
    ("TLS 1.2 ECDHE, CBC (ECDHE-RSA-AES128-SHA)", TLS1_2, "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"),
    ("TLS 1.2 ECDHE, CBC (ECDHE-RSA-AES256-SHA384)", TLS1_2, "ECDHE-RSA-AES256-SHA384"),
    (
        "TLS 1.2 ECDHE, ChaCha20 (ECDHE-RSA-CHACHA20-POLY1305)",
        TLS1_2,
        "ECDHE-RSA-CHACHA20-POLY1305",
    ),
    ("TLS 1.2 DHE, GCM (DHE-RSA-AES128-GCM-SHA256)", TLS1_2, "DHE-RSA-AES128-GCM-SHA256"),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("label", "max_version", "ciphers"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_by_the_server_not_the_client(
    label: str,
    max_version: ssl.TLSVersion,
    ciphers: str,
    weak_server: int,
    h2server_rsa: ServerProcess,
) -> None:
    # The same client settings do connect to a weak server: the client allows this.
    # Both serve the same RSA certificate, so one client verifies both.
    client = open_client(h2server_rsa, max_version, ciphers)
    version, cipher = handshake(weak_server, client)
    if max_version != TLS1_2:
        assert version == {TLS1: "TLSv1", TLS1_1: "TLSv1.1"}[max_version]
    else:
        assert version == "TLSv1.2"
        assert cipher == ciphers.split(":")[0]

    with pytest.raises(ssl.SSLError):
        handshake(h2server_rsa.port, client)


@pytest.mark.e2e
def test_tls12_accepts_exactly_ecdhe_aes_gcm(weak_server: int, h2server_rsa: ServerProcess) -> None:
    accepted_by_weak: set[str] = set()
    accepted: set[str] = set()
    for suite in tls12_suites(h2server_rsa):
        client = open_client(h2server_rsa, TLS1_2, f"{suite}:@SECLEVEL=0")
        with contextlib.suppress(ssl.SSLError):
            accepted_by_weak.add(handshake(weak_server, client)[1])
        try:
            version, cipher = handshake(h2server_rsa.port, client)
        except ssl.SSLError:
            continue
        assert version == "TLSv1.2"
        accepted.add(cipher)
    assert accepted == RSA_ACCEPTED
    # The weak server took many more from the same client, RSA key exchange and CBC among them.
    assert {
        "AES128-SHA",
        "AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-SHA",
        "DHE-RSA-AES128-GCM-SHA256",
    } <= accepted_by_weak
    assert len(accepted_by_weak) > 30


@pytest.mark.e2e
@pytest.mark.parametrize("suite", sorted(RSA_ACCEPTED))
def test_tls12_ecdhe_aes_gcm_accepted(suite: str, h2server_rsa: ServerProcess) -> None:
    client = open_client(h2server_rsa, TLS1_2, suite)
    assert handshake(h2server_rsa.port, client) == ("TLSv1.2", suite)


@pytest.mark.e2e
def test_tls13_accepted(h2server_rsa: ServerProcess) -> None:
    version, cipher = handshake(h2server_rsa.port, open_client(h2server_rsa))
    assert version == "TLSv1.3"
    assert cipher.startswith("TLS_")


@pytest.mark.e2e
def test_compression_off_and_alpn(h2server_rsa: ServerProcess) -> None:
    for max_version in (TLS1_2, None):
        context = open_client(h2server_rsa, max_version, alpn=["h2", "http/1.1"])
        with (
            verified(),
            socket.create_connection(("127.0.0.1", h2server_rsa.port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            assert tls.compression() is None
            assert tls.selected_alpn_protocol() == "h2"


@pytest.mark.e2e
def test_development_certificate_ecdsa(h2server: ServerProcess) -> None:
    """The default (ECDSA) certificate: TLS 1.3, TLS 1.2 ECDHE-ECDSA-AES-GCM only."""
    assert handshake(h2server.port, open_client(h2server))[0] == "TLSv1.3"
    accepted = set()
    for suite in tls12_suites(h2server):
        with contextlib.suppress(ssl.SSLError):
            accepted.add(handshake(h2server.port, open_client(h2server, TLS1_2, suite))[1])
    assert accepted == {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"}
    with pytest.raises(ssl.SSLError):
        handshake(h2server.port, open_client(h2server, TLS1_1))


@pytest.mark.e2e
def test_refused_handshakes_leave_no_noise(h2server_rsa: ServerProcess) -> None:
    for max_version in (TLS1, TLS1_1):
        with pytest.raises(ssl.SSLError):
            handshake(h2server_rsa.port, open_client(h2server_rsa, max_version))
    # Still serving, and nothing about the refusals on stderr.
    assert handshake(h2server_rsa.port, open_client(h2server_rsa))[0] == "TLSv1.3"
    errors = h2server_rsa.errors()
    assert "Traceback" not in errors
    assert "SSL" not in errors


# ---------------------------------------------------------------------- the context itself


def test_context_policy(rsa_cert_pair: tuple[Path, Path]) -> None:
    context = create_server_context(*rsa_cert_pair)
    assert context.minimum_version == TLS1_2
    assert context.maximum_version == ssl.TLSVersion.MAXIMUM_SUPPORTED
    assert context.options & ssl.OP_NO_COMPRESSION
    assert context.options & ssl.OP_NO_RENEGOTIATION
    assert context.options & ssl.OP_CIPHER_SERVER_PREFERENCE
    tls12 = [c["name"] for c in context.get_ciphers() if c["protocol"] != "TLSv1.3"]
    assert tls12
    assert all(name.startswith("ECDHE-") and "-GCM-" in name for name in tls12)


def test_policy_is_explicit_and_described() -> None:
    explicit = TLSPolicy(
        minimum_version=TLS1_2,
        tls12_ciphers="ECDHE+AESGCM",
        alpn_protocols=("h2", "http/1.1"),
        compression=False,
        renegotiation=False,
    )
    assert explicit == DEFAULT_POLICY
    assert DEFAULT_POLICY.describe() == (
        "TLS 1.2+ · ECDHE+AESGCM · ALPN h2, http/1.1 · compression off"
    )


def test_another_policy_is_enforced(rsa_cert_pair: tuple[Path, Path]) -> None:
    context = create_server_context(*rsa_cert_pair, policy=TLSPolicy(minimum_version=TLS1_3))
    assert context.minimum_version == TLS1_3
    assert TLSPolicy(minimum_version=TLS1_3).describe().startswith("TLS 1.3+ ·")


def test_pair_is_checked(tmp_path: Path, rsa_cert_pair: tuple[Path, Path]) -> None:
    from h2push.server.devcert import ensure_dev_certificate

    certfile, keyfile = rsa_cert_pair
    chain, _key = load_certificate_pair(certfile, keyfile)
    assert len(chain) == 1
    other = ensure_dev_certificate(tmp_path / "other")
    with pytest.raises(TLSConfigurationError, match="not a pair"):
        create_server_context(certfile, other.keyfile)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda d, c, k: (d / "missing.pem", k),
            r'Certificate file ".*missing.pem" does not exist\.',
        ),
        (lambda d, c, k: (c, d / "missing.pem"), r'Key file ".*missing.pem" does not exist\.'),
        (lambda d, c, k: (d, k), r"is a directory, not a file\."),
        (lambda d, c, k: (_text(d, "x.pem", "hello"), k), r"is not a PEM certificate\.$"),
        (lambda d, c, k: (c, _text(d, "k.pem", "hello")), r"is not a PEM private key\.$"),
        (lambda d, c, k: (k, c), r"are --certfile and --keyfile swapped\?"),
        (lambda d, c, k: (c, c), r"holds a certificate: are --certfile and --keyfile swapped"),
    ],
    ids=[
        "cert missing",
        "key missing",
        "directory",
        "cert not PEM",
        "key not PEM",
        "swapped",
        "cert as key",
    ],
)
def test_bad_files(make, message: str, tmp_path: Path, rsa_cert_pair: tuple[Path, Path]) -> None:  # type: ignore[no-untyped-def]
    certfile, keyfile = make(tmp_path, *rsa_cert_pair)
    with pytest.raises(TLSConfigurationError, match=message) as caught:
        create_server_context(certfile, keyfile)
    assert "\n" not in str(caught.value)


def test_encrypted_key(tmp_path: Path, rsa_cert_pair: tuple[Path, Path]) -> None:
    from cryptography.hazmat.primitives import serialization

    certfile, keyfile = rsa_cert_pair
    key = serialization.load_pem_private_key(keyfile.read_bytes(), password=None)
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(TLSConfigurationError, match="is encrypted"):
        create_server_context(certfile, encrypted)


def _text(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path
