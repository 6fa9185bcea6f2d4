"""Shared fixtures: real servers on loopback ports, started as subprocesses.

- ``h2server``: one ``manage.py runh2server 127.0.0.1:PORT --noreload`` for the whole
  session (per xdist worker), with its development certificate in a temporary
  folder. It yields a :class:`harness.processes.ServerProcess`: ``host``,
  ``port``, ``base_url`` (``https://127.0.0.1:PORT``), ``url(path)``, ``certfile``,
  ``keyfile``, ``pid``, ``output()`` (stdout so far) and ``errors()`` (stderr so far).
- ``h2server_rsa``: another session server, given ``rsa_cert_pair`` as
  ``--certfile``/``--keyfile``.
- ``h2server_factory``: starts more of them (extra arguments, environment, settings,
  the autoreloader); each is stopped when the test ends.
- ``daphne_server`` / ``daphne_factory``: Daphne serving the test project over TLS
  (HTTP/2 by ALPN), for comparisons.
- ``rsa_cert_pair``: an RSA certificate and key for ``localhost``/``127.0.0.1``/``::1``
  (TLS tests need RSA to show non-ECDHE suites refused; Daphne can use it too).
- ``manage``: runs a management command to completion (``subprocess.CompletedProcess``).
- ``free_port``: a TCP port nothing listens on right now.
- ``dev_cert_pair``: ``(certfile, keyfile)`` of a development certificate
  (``h2push.server.devcert``) for the session, for servers the tests start themselves.
- ``fresh_store``: h2push's learning store, empty before and after the test (its
  cache is process-wide, so each test of what was learned starts from nothing).

Every process starts in its own session (so a Ctrl-C in the terminal does not reach
it) and is stopped through its process group id: SIGINT, then SIGTERM, then SIGKILL
(:mod:`harness.processes`; the factories are in :mod:`harness.servers`).
No certificate is ever written into the repository or the user's home: ``HOME`` and
``XDG_DATA_HOME`` point into pytest's temporary folder.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.processes import ServerProcess, find_free_port
from harness.servers import DaphneFactory, H2ServerFactory, run_manage


@pytest.fixture
def free_port() -> int:
    return find_free_port()


@pytest.fixture(autouse=True)
def fresh_store() -> Iterator[None]:
    """Every test starts with nothing learned, timed or discovered: learning runs on
    every page (the Link header carries what a route agreed on), so what one test's
    pages taught would otherwise show in the next test's headers."""
    from h2push.django_layer import discovery, settled
    from h2push.django_layer.learning import get_store, get_view_times

    def forget() -> None:
        get_store.cache_clear()
        get_view_times.cache_clear()
        discovery.forget()
        settled.forget()

    forget()
    yield
    forget()


@pytest.fixture(scope="session")
def dev_cert_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(certfile, keyfile)``: h2push's development certificate, made for this session."""
    from h2push.server.devcert import ensure_dev_certificate

    cert = ensure_dev_certificate(tmp_path_factory.mktemp("devcert"))
    return cert.certfile, cert.keyfile


@pytest.fixture(scope="session")
def rsa_cert_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(certfile, keyfile)``: a self-signed RSA 2048 pair for the loopback names."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from h2push.server.devcert import build_certificate, write_certificate, write_private_key

    folder = tmp_path_factory.mktemp("rsa")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certfile, keyfile = folder / "rsa-cert.pem", folder / "rsa-key.pem"
    write_private_key(keyfile, key)
    write_certificate(certfile, build_certificate(key))
    return certfile, keyfile


@pytest.fixture(scope="session")
def _session_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[H2ServerFactory]:
    factory = H2ServerFactory(tmp_path_factory.mktemp("h2server"))
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def h2server(_session_factory: H2ServerFactory) -> ServerProcess:
    """The session's ``runh2server 127.0.0.1:PORT --noreload`` with a fresh
    development certificate (made by this very start, in a folder of its own)."""
    return _session_factory(cert_dir=_session_factory.tmp / "h2server-devcert")


@pytest.fixture(scope="session")
def h2server_rsa(
    _session_factory: H2ServerFactory, rsa_cert_pair: tuple[Path, Path]
) -> ServerProcess:
    """A session runh2server serving the RSA pair given as ``--certfile``/``--keyfile``."""
    certfile, keyfile = rsa_cert_pair
    return _session_factory(certfile=certfile, keyfile=keyfile)


@pytest.fixture(scope="session")
def h2server_session_factory(_session_factory: H2ServerFactory) -> H2ServerFactory:
    """Like ``h2server_factory``, but its servers live until the session ends
    (for session-scoped fixtures of other modules)."""
    return _session_factory


@pytest.fixture
def h2server_factory(tmp_path: Path) -> Iterator[H2ServerFactory]:
    """Starts runh2server subprocesses that are stopped when the test ends."""
    factory = H2ServerFactory(tmp_path)
    yield factory
    factory.close()


@pytest.fixture
def daphne_factory(tmp_path: Path) -> Iterator[DaphneFactory]:
    factory = DaphneFactory(tmp_path)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def daphne_server(
    tmp_path_factory: pytest.TempPathFactory, rsa_cert_pair: tuple[Path, Path]
) -> Iterator[ServerProcess]:
    """Daphne serving ``testproject.asgi:application`` over TLS with the RSA pair."""
    factory = DaphneFactory(tmp_path_factory.mktemp("daphne"))
    server = factory(*rsa_cert_pair)
    yield server
    factory.close()


@pytest.fixture
def manage(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``manage(*args, env=None, settings=None, launcher=None, timeout=60, **popen_kwargs)``:
    run ``python manage.py *args`` to completion, output captured as text
    (:func:`harness.servers.run_manage`)."""
    return functools.partial(run_manage, tmp_path / "home")
