"""A report as a page's script sends it, for the tests of the beacon's checks."""

from __future__ import annotations

from typing import Any

from h2push.django_layer.field.token import issue

OWN = "https://shop.example"
CDN = "https://cdn.example"
ASSETS = frozenset({CDN})
ROUTE = "shop.example products/<int:pk>/"
FINGERPRINT = "5120-9f3a77c1"


def report(**changes: Any) -> dict[str, Any]:
    """A report that passes every check (its token issued now), with ``changes``."""
    data: dict[str, Any] = {
        "v": 1,
        "route": ROUTE,
        "fp": FINGERPRINT,
        "token": issue(ROUTE, FINGERPRINT, False),
        "vw": 1280,
        "lcp": {"url": f"{OWN}/static/hero.jpg", "img": True},
        "lcpMs": 1234.5,
        "fcpMs": 800,
        "interim": True,
        "imgs": [f"{OWN}/static/hero.jpg", "/media/banner.png"],
        "hints": [
            {
                "url": f"{OWN}/static/site.css",
                "used": True,
                "initiator": "early-hints",
                "end": 90.5,
            },
            {"url": f"{CDN}/static/font.woff2", "used": True, "initiator": "css", "end": 120},
            {"url": "/static/old.js", "used": False, "initiator": "", "end": None},
        ],
    }
    data.update(changes)
    return data
