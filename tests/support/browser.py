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
  cache), trusting one pin;
- :func:`resource_entries` and :func:`navigation_entry`: the page's Resource Timing
  and Navigation Timing entries (``RESOURCES_JS``, ``NAVIGATION_JS``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography import x509
from playwright.sync_api import BrowserContext, Page, Playwright

from h2push.devcert import spki_pin

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
    playwright: Playwright, profile: Path, pin: str, timeout_ms: int = TIMEOUT_MS
) -> BrowserContext:
    """Chromium with a fresh profile in ``profile``, trusting the certificate ``pin``."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_FLAGS, f"--ignore-certificate-errors-spki-list={pin}"],
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
