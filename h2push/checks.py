"""System checks for h2push settings (ids ``h2push.E0xx`` and ``h2push.W0xx``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

__all__ = ["check_settings"]

_MIDDLEWARE = "h2push.middleware.PreloadMiddleware"
# RFC 9110 token characters; pseudo headers (":authority") are not allowed.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9a-z]+$")


@register()
def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    enabled = getattr(settings, "H2PUSH_ENABLED", True)
    if not isinstance(enabled, bool):
        errors.append(
            Error(
                f"H2PUSH_ENABLED must be True or False, not {enabled!r}.",
                hint="Set H2PUSH_ENABLED = False to turn server push off; preload links stay.",
                id="h2push.E001",
            )
        )
    cap = getattr(settings, "H2PUSH_MAX_PRELOADS", 16)
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
        errors.append(
            Error(
                f"H2PUSH_MAX_PRELOADS must be a whole number of 0 or more, not {cap!r}.",
                hint="It caps the preload links (and pushes) of one response; the default is 16.",
                id="h2push.E002",
            )
        )
    names = getattr(settings, "H2PUSH_COPY_HEADERS", ())
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or not all(
        isinstance(name, str) and _HEADER_NAME.match(name) for name in names
    ):
        errors.append(
            Error(
                f"H2PUSH_COPY_HEADERS must be a list of lower-case header names, not {names!r}.",
                hint='For example ["accept", "accept-encoding", "user-agent"]; pseudo headers '
                "such as :authority are set by the server.",
                id="h2push.E003",
            )
        )
    if _MIDDLEWARE not in getattr(settings, "MIDDLEWARE", ()):
        errors.append(
            Warning(
                f"{_MIDDLEWARE} is not in MIDDLEWARE, so nothing registered is sent.",
                hint=f'Add "{_MIDDLEWARE}" to MIDDLEWARE.',
                id="h2push.W001",
            )
        )
    return errors
