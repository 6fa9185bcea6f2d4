"""Visit pages with the debug toolbar and fetch h2push's panel as the toolbar does.

Run in a subprocess, so the toolbar (its app, its panels' instrumentation, the
story listener the panel registers) never reaches the test run's own process::

    python -m tests.support.apps.toolbar_visit /slow/declared/?ms=0 /slow/?ms=0

Each path is one visitor (a new :class:`~h2push.testing.H2TestClient`, so a new
connection); :func:`main` also takes ``[path, headers]`` pairs. Prints a JSON list
with, per visit: ``status``, ``link`` (the page's ``Link`` header), ``toolbar``
(whether the page carries the toolbar), ``subtitle`` (the panel's line in the
toolbar), ``enabled`` (whether the panel is ticked there) and ``panel`` (the
content the toolbar's ``render_panel`` view answers for the panel). Settings:
:mod:`tests.support.apps.toolbar_settings`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any
from urllib.parse import urlencode

PANEL_ID = "H2PushPanel"
# The toolbar's root element names the stored request: data-request-id since
# version 6, data-store-id before.
REQUEST_ID = re.compile(r'data-(?:request|store)-id="([0-9a-f]+)"')
RENDER_PANEL_URL = re.compile(r'data-render-panel-url="([^"]+)"')


def panel_content(client: Any, page: str) -> str | None:
    """The panel's HTML for ``page``, fetched as the toolbar's JavaScript does."""
    request_id = REQUEST_ID.search(page)
    url = RENDER_PANEL_URL.search(page)
    if request_id is None or url is None:
        return None
    key = request_id.group(1)
    query = urlencode({"request_id": key, "store_id": key, "panel_id": PANEL_ID})
    answer = client.get(f"{url.group(1)}?{query}", headers={"accept": "application/json"})
    content: str = json.loads(answer.content)["content"]
    return content


def subtitle(page: str) -> str | None:
    """The panel's subtitle in the toolbar's list of panels."""
    button = re.search(rf'id="djdt-{PANEL_ID}".*?<small>(.*?)</small>', page, flags=re.DOTALL)
    return button.group(1).strip() if button else None


def visit(path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    from h2push.testing import H2TestClient

    client = H2TestClient(headers=headers)
    response = client.get(path)
    page = response.content.decode()
    return {
        "path": path,
        "status": response.status,
        "link": response.header("link"),
        "toolbar": 'id="djDebug"' in page,
        "subtitle": subtitle(page),
        "enabled": re.search(rf'data-cookie="djdt{PANEL_ID}" checked', page) is not None,
        "panel": panel_content(client, page),
    }


def main(visits: list[str | list[Any]]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.apps.toolbar_settings")
    import django

    django.setup()
    pairs = [(entry, None) if isinstance(entry, str) else tuple(entry) for entry in visits]
    print(json.dumps([visit(path, headers) for path, headers in pairs]))


if __name__ == "__main__":
    main(sys.argv[1:])
