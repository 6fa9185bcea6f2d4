"""Headless Chromium for the browser tests: launch it, trust a test certificate, read
what the page saw.

Debian's ``/usr/bin/chromium`` (``scripts/test.sh`` installs it), driven by
Playwright with ``executable_path`` (never ``playwright install``, which downloads
browsers). Each profile trusts exactly one certificate, by its SPKI pin
(``--ignore-certificate-errors-spki-list``), never by ignoring certificate errors:
Chromium does not cache a response that had a certificate error, so an asset
preloaded from a 103 would be fetched a second time.

- :func:`require_chromium`: fail with the reason when the browser is missing;
- :func:`certificate_pin`: the pin of a PEM certificate file;
- :func:`launch_profile`: a persistent context in a fresh profile folder (empty
  cache), trusting one pin; QUIC off, or forced for one origin (``quic_origin``);
- :func:`resource_entries` and :func:`navigation_entry`: the page's Resource Timing
  and Navigation Timing entries (``RESOURCES_JS``, ``NAVIGATION_JS``);
- the ``playwright`` fixture (:func:`playwright_fixture`, one driver per test module)
  and the ``new_profile`` fixture (:func:`new_profile_fixture`), which launches fresh
  profiles trusting the module's ``site`` and closes them all at the end;
- :class:`ProxiedSite` (a server behind a :class:`~harness.proxy.DelayProxy`) and
  :func:`recorded_site`, the recorded runh2server behind that proxy;
- :func:`load_page` (a page that answered 200) and :func:`read_listed_page` (what a
  page with a ``#resource-timing`` list saw);
- :func:`poll`: read until a condition holds, failing with a message after a deadline.

The same tests in Firefox as well: :mod:`harness.crossbrowser`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography import x509
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from h2push.server.devcert import spki_pin
from harness.browser_recorder import ENV_VAR, read_events
from harness.constants import BROWSER_SETTINGS
from harness.processes import ServerProcess
from harness.proxy import DelayProxy
from harness.servers import H2ServerFactory

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000

RESOURCES_JS = """() => performance.getEntriesByType('resource').map(e => ({
    path: new URL(e.name).pathname,
    initiatorType: e.initiatorType,
    transferSize: e.transferSize,
    decodedBodySize: e.decodedBodySize,
    nextHopProtocol: e.nextHopProtocol,
}))"""
NAVIGATION_JS = """() => {
    const n = performance.getEntriesByType('navigation')[0];
    return {
        nextHopProtocol: n.nextHopProtocol,
        responseStatus: n.responseStatus,
        requestStart: n.requestStart,
        firstInterimResponseStart: n.firstInterimResponseStart,
        finalResponseHeadersStart: n.finalResponseHeadersStart,
        responseEnd: n.responseEnd,
        duration: n.duration,
    };
}"""


def require_chromium() -> None:
    assert os.access(CHROMIUM, os.X_OK), (
        f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium package"
    )


def certificate_pin(certfile: Path) -> str:
    """The base64 SHA-256 of the certificate's SubjectPublicKeyInfo."""
    return spki_pin(x509.load_pem_x509_certificate(certfile.read_bytes()))


def launch_profile(
    playwright: Playwright,
    profile: Path,
    pin: str,
    timeout_ms: int = TIMEOUT_MS,
    *,
    quic_origin: str | None = None,
) -> BrowserContext:
    """Chromium with a fresh profile in ``profile``, trusting the certificate ``pin``.

    QUIC is off, unless ``quic_origin`` (``host:port``) is given: then Chromium speaks
    HTTP/3 to that origin from its first request, without waiting for an ``Alt-Svc``
    (the pin covers QUIC's TLS too). ``--disable-quic`` would win over
    ``--enable-quic``, so it is left out."""
    flags = CHROMIUM_FLAGS
    if quic_origin is not None:
        flags = [flag for flag in CHROMIUM_FLAGS if flag != "--disable-quic"]
        flags += ["--enable-quic", f"--origin-to-force-quic-on={quic_origin}"]
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=[*flags, f"--ignore-certificate-errors-spki-list={pin}"],
        # Trust comes from the pin only: never ignore certificate errors.
        ignore_https_errors=False,
        timeout=timeout_ms,
    )
    context.set_default_timeout(timeout_ms)
    return context


def resource_entries(page: Page) -> dict[str, dict[str, Any]]:
    """The page's Resource Timing entries by path (the last one of a path wins)."""
    return {entry["path"]: entry for entry in page.evaluate(RESOURCES_JS)}


def navigation_entry(page: Page) -> dict[str, Any]:
    """The fields of the page's Navigation Timing entry that the tests read."""
    entry: dict[str, Any] = page.evaluate(NAVIGATION_JS)
    return entry


# ------------------------------------------------------------------ driver, profiles


@pytest.fixture(scope="module", name="playwright")
def playwright_fixture() -> Iterator[Playwright]:
    """The Playwright driver, for a whole test module. A test module takes it in by
    importing this function (pytest registers it under the name ``playwright``)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(name="new_profile")
def new_profile_fixture(
    playwright: Playwright, site: ProxiedSite, tmp_path: Path
) -> Iterator[Callable[[], BrowserContext]]:
    """``new_profile()``: Chromium in a fresh profile (an empty cache, as a new
    visitor's browser) trusting the pin of the module's ``site`` fixture; every one
    is closed when the test ends. Imported like :func:`playwright_fixture`."""
    contexts: list[BrowserContext] = []

    def launch() -> BrowserContext:
        context = launch_profile(playwright, tmp_path / f"profile-{len(contexts)}", site.pin)
        contexts.append(context)
        return context

    yield launch
    for context in contexts:
        context.close()


# ------------------------------------------------------------------------- sites


@dataclass
class ProxiedSite:
    """A server the browser reaches through a delay proxy, trusting its certificate's pin."""

    proxy: DelayProxy
    pin: str

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.proxy.port}{path}"


@dataclass
class RecordedSite(ProxiedSite):
    """runh2server with the browser recorder, behind the delay proxy."""

    server: ServerProcess
    events_path: Path

    def events(self) -> list[tuple[float, str, str]]:
        """Everything the server recorded so far: ``(time, event, detail)``."""
        return read_events(self.events_path) if self.events_path.exists() else []


@contextmanager
def recorded_site(
    factory: H2ServerFactory,
    events_path: Path,
    delay: float,
    cert_pair: tuple[Path, Path] | None = None,
) -> Iterator[RecordedSite]:
    """Start runh2server with ``BROWSER_SETTINGS`` (its recorder writing to
    ``events_path``) and a delay proxy of ``delay`` seconds each way in front of it.
    It serves ``cert_pair`` (``certfile, keyfile``), else a development certificate of
    its own. The server lives as long as ``factory`` keeps it; the proxy until the
    block ends."""
    require_chromium()
    certfile, keyfile = cert_pair or (None, None)
    server = factory(
        settings=BROWSER_SETTINGS,
        env={ENV_VAR: str(events_path)},
        certfile=certfile,
        keyfile=keyfile,
    )
    assert server.certfile is not None
    pin = certificate_pin(server.certfile)
    with DelayProxy(server.host, server.port, delay=delay) as proxy:
        yield RecordedSite(proxy=proxy, pin=pin, server=server, events_path=events_path)


# ------------------------------------------------------------------------- pages

LISTED = "#resource-timing li"


@dataclass
class ListedPage:
    """What a page that lists its resources (``#resource-timing``) showed the browser."""

    resources: dict[str, dict[str, Any]]
    navigation: dict[str, Any]
    title: str
    heading_color: str
    listed: list[str]


def load_page(context: BrowserContext, url: str) -> Page:
    """``url`` loaded in a new tab of ``context``, which answered 200."""
    page = context.new_page()
    response = page.goto(url, wait_until="load")
    assert response is not None
    assert response.status == 200, response.status
    return page


def read_listed_page(context: BrowserContext, url: str) -> ListedPage:
    """Load ``url`` in a new tab, read what it saw, close the tab."""
    page = load_page(context, url)
    # The page's script lists each resource once DOMContentLoaded fired.
    page.wait_for_selector(LISTED)
    resources = resource_entries(page)
    navigation = navigation_entry(page)
    title = page.title()
    heading_color = page.eval_on_selector("h1", "h => getComputedStyle(h).color")
    listed = page.eval_on_selector_all(LISTED, "items => items.map(i => i.textContent)")
    page.close()
    return ListedPage(resources, navigation, title, heading_color, listed)


def poll(
    read: Callable[[], T],
    done: Callable[[T], bool],
    message: Callable[[T], str],
    seconds: float = 5.0,
) -> T:
    """``read()`` every 50 ms until ``done`` holds for what it returned; fail with
    ``message(last read)`` after ``seconds``. A server writes its record of a response
    after sending it, so the record can trail the browser's load event."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, message(value)
        time.sleep(0.05)
