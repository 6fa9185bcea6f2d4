"""h2push settings, each read from Django's settings with its default.

Read them through ``conf`` (``from h2push.conf import conf``) so tests can change
Django's settings with ``override_settings`` and be seen at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

__all__ = ["DEFAULTS", "conf"]

# The request headers a promised request copies from the page's request, as Quart
# and Starlette do: they shape the pushed response the way the client's own
# request would (content negotiation, compression, caching).
DEFAULT_COPY_HEADERS = ("accept", "accept-encoding", "accept-language", "cache-control", "user-agent")

DEFAULTS: dict[str, Any] = {
    "H2PUSH_ENABLED": True,
    "H2PUSH_MAX_PRELOADS": 16,
    "H2PUSH_COPY_HEADERS": DEFAULT_COPY_HEADERS,
}


class Settings:
    """Attribute access to h2push settings, falling back to ``DEFAULTS``."""

    @property
    def H2PUSH_ENABLED(self) -> bool:
        return bool(getattr(settings, "H2PUSH_ENABLED", DEFAULTS["H2PUSH_ENABLED"]))

    @property
    def H2PUSH_MAX_PRELOADS(self) -> int:
        return int(getattr(settings, "H2PUSH_MAX_PRELOADS", DEFAULTS["H2PUSH_MAX_PRELOADS"]))

    @property
    def H2PUSH_COPY_HEADERS(self) -> tuple[str, ...]:
        return tuple(getattr(settings, "H2PUSH_COPY_HEADERS", DEFAULTS["H2PUSH_COPY_HEADERS"]))


conf = Settings()
