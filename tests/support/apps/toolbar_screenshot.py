"""Take the docs' screenshot of h2push's debug-toolbar panel.

Starts ``manage.py runh2server`` with :mod:`tests.support.apps.toolbar_settings`,
has headless Chromium (:mod:`harness.browser`) load ``/slow/?ms=300`` three
times, so the third load is hinted with what the first two agreed on, opens the
h2push panel in the toolbar and saves the window::

    .venv/bin/python -m tests.support.apps.toolbar_screenshot docs/_static/debug-toolbar-panel.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.browser import certificate_pin, launch_profile, require_chromium
from harness.servers import H2ServerFactory

PAGE = "/slow/?ms=300"
VISITS = 3
VIEWPORT = {"width": 1280, "height": 620}


def take(output: Path) -> None:
    require_chromium()
    with tempfile.TemporaryDirectory() as folder:
        factory = H2ServerFactory(Path(folder))
        try:
            server = factory(settings="tests.support.apps.toolbar_settings")
            assert server.certfile is not None
            pin = certificate_pin(server.certfile)
            with sync_playwright() as playwright:
                context = launch_profile(playwright, Path(folder) / "profile", pin)
                try:
                    browser_page = context.new_page()
                    browser_page.set_viewport_size(VIEWPORT)
                    for _ in range(VISITS):
                        browser_page.goto(server.url(PAGE), wait_until="load")
                    browser_page.click("#djdt-H2PushPanel a")
                    browser_page.wait_for_selector("#H2PushPanel tr.h2push-link")
                    browser_page.screenshot(path=str(output))
                finally:
                    context.close()
        finally:
            factory.close()


if __name__ == "__main__":
    take(Path(sys.argv[1]))
