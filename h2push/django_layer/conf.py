"""h2push settings, each read from Django's settings with its default.

Read them through ``conf`` (``from h2push.django_layer.conf import conf``) so tests can change
Django's settings with ``override_settings`` and be seen at once.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from h2push.core import caches
from h2push.core.contract import DEFAULT_COPY_HEADERS

__all__ = ["DEFAULTS", "DEFAULT_COPY_HEADERS", "conf", "django_setting"]


DEFAULTS: dict[str, Any] = {
    "H2PUSH_ENABLED": True,
    "H2PUSH_MAX_PRELOADS": 16,
    "H2PUSH_COPY_HEADERS": DEFAULT_COPY_HEADERS,
    "H2PUSH_EARLY_HINTS": True,
    "H2PUSH_EARLY_HINTS_MIN_VIEW_MS": 10,
    "H2PUSH_EARLY_HINTS_AS_INFORMATIONAL": False,
    "H2PUSH_LEARN": True,
    "H2PUSH_DISCOVER": True,
    "H2PUSH_LEARNED_ROUTES": 500,
    "H2PUSH_LEARN_CACHE": None,
    "H2PUSH_LEARN_TIMEOUT_MS": 100,
    "H2PUSH_LEARN_MAX_FILE_BYTES": 2 * 1024 * 1024,
    "H2PUSH_PUSH_DIGEST": False,
    "H2PUSH_PUSH_BUDGET": 32,
    "H2PUSH_DEV_CERT_DIR": None,
    "H2PUSH_ASSET_ORIGINS": (),
    "H2PUSH_FIELD": False,
    "H2PUSH_FIELD_SAMPLE": 20,
    "H2PUSH_FIELD_QUORUM": 5,
    "H2PUSH_FIELD_HOLDOUT": 0.05,
    "H2PUSH_FIELD_CLIENT_HEADER": None,
}


_values: dict[str, Any] = {}


def _get(name: str) -> Any:
    # Every request reads several settings, and a setting a project leaves out
    # costs Django's settings object an AttributeError on each read: keep the
    # values until a test changes settings.
    try:
        return _values[name]
    except KeyError:
        value = _values[name] = getattr(settings, name, DEFAULTS[name])
        return value


_django_values: dict[str, Any] = {}


def django_setting(name: str) -> Any:
    """One of Django's own settings that h2push reads on every request
    (``STATIC_URL``, ``DEBUG``): each read through Django's lazy settings object
    costs a few method calls."""
    try:
        return _django_values[name]
    except KeyError:
        value = _django_values[name] = getattr(settings, name)
        return value


caches.on_forget(_values.clear, when=DEFAULTS.__contains__)
caches.on_forget(_django_values.clear)


# The one receiver: every per-process cache and warn-once memory of h2push is
# registered with h2push.core.caches, which decides what a setting's change clears.
@receiver(setting_changed)
def _forget_what_depends_on(setting: str, **kwargs: Any) -> None:
    caches.forget(setting)


class Settings:
    """Attribute access to h2push settings, falling back to ``DEFAULTS``."""

    @property
    def H2PUSH_ENABLED(self) -> bool:
        return bool(_get("H2PUSH_ENABLED"))

    @property
    def H2PUSH_MAX_PRELOADS(self) -> int:
        return int(_get("H2PUSH_MAX_PRELOADS"))

    @property
    def H2PUSH_COPY_HEADERS(self) -> tuple[str, ...]:
        return tuple(_get("H2PUSH_COPY_HEADERS"))

    @property
    def H2PUSH_EARLY_HINTS(self) -> bool:
        return bool(_get("H2PUSH_EARLY_HINTS"))

    @property
    def H2PUSH_EARLY_HINTS_MIN_VIEW_MS(self) -> float:
        return float(_get("H2PUSH_EARLY_HINTS_MIN_VIEW_MS"))

    @property
    def H2PUSH_EARLY_HINTS_AS_INFORMATIONAL(self) -> bool:
        return bool(_get("H2PUSH_EARLY_HINTS_AS_INFORMATIONAL"))

    @property
    def H2PUSH_LEARN(self) -> bool:
        return bool(_get("H2PUSH_LEARN"))

    @property
    def H2PUSH_DISCOVER(self) -> bool:
        return bool(_get("H2PUSH_DISCOVER"))

    @property
    def H2PUSH_LEARNED_ROUTES(self) -> int:
        return int(_get("H2PUSH_LEARNED_ROUTES"))

    @property
    def H2PUSH_LEARN_CACHE(self) -> str | None:
        alias: str | None = _get("H2PUSH_LEARN_CACHE")
        return alias

    @property
    def H2PUSH_LEARN_TIMEOUT_MS(self) -> float:
        return float(_get("H2PUSH_LEARN_TIMEOUT_MS"))

    @property
    def H2PUSH_LEARN_MAX_FILE_BYTES(self) -> int:
        return int(_get("H2PUSH_LEARN_MAX_FILE_BYTES"))

    @property
    def H2PUSH_PUSH_DIGEST(self) -> bool:
        return bool(_get("H2PUSH_PUSH_DIGEST"))

    @property
    def H2PUSH_PUSH_BUDGET(self) -> int:
        return int(_get("H2PUSH_PUSH_BUDGET"))

    @property
    def H2PUSH_ASSET_ORIGINS(self) -> tuple[str, ...]:
        return tuple(_get("H2PUSH_ASSET_ORIGINS"))

    @property
    def H2PUSH_FIELD(self) -> bool:
        return bool(_get("H2PUSH_FIELD"))

    @property
    def H2PUSH_FIELD_SAMPLE(self) -> int:
        return int(_get("H2PUSH_FIELD_SAMPLE"))

    @property
    def H2PUSH_FIELD_QUORUM(self) -> int:
        return int(_get("H2PUSH_FIELD_QUORUM"))

    @property
    def H2PUSH_FIELD_HOLDOUT(self) -> float:
        return float(_get("H2PUSH_FIELD_HOLDOUT"))

    @property
    def H2PUSH_FIELD_CLIENT_HEADER(self) -> str | None:
        header: str | None = _get("H2PUSH_FIELD_CLIENT_HEADER")
        return header

    @property
    def H2PUSH_DEV_CERT_DIR(self) -> str | None:
        directory = _get("H2PUSH_DEV_CERT_DIR")
        return str(directory) if isinstance(directory, (str, os.PathLike)) and directory else None


conf = Settings()
