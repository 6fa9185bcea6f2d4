"""h2push settings, each read from Django's settings with its default.

Read them through ``conf`` (``from h2push.django_layer.conf import conf``) so tests can change
Django's settings with ``override_settings`` and be seen at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
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


caches.on_forget(_django_values.clear)


# The one receiver: every per-process cache and warn-once memory of h2push is
# registered with h2push.core.caches, which decides what a setting's change clears.
@receiver(setting_changed)
def _forget_what_depends_on(setting: str, **kwargs: Any) -> None:
    caches.forget(setting)


def _path_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, os.PathLike)) and value else None


def _as_is(value: Any) -> Any:
    return value


# How each setting's value is read (what its annotation below says it is).
_READ: dict[str, Callable[[Any], Any]] = {
    "H2PUSH_ENABLED": bool,
    "H2PUSH_MAX_PRELOADS": int,
    "H2PUSH_COPY_HEADERS": tuple,
    "H2PUSH_EARLY_HINTS": bool,
    "H2PUSH_EARLY_HINTS_MIN_VIEW_MS": float,
    "H2PUSH_EARLY_HINTS_AS_INFORMATIONAL": bool,
    "H2PUSH_LEARN": bool,
    "H2PUSH_DISCOVER": bool,
    "H2PUSH_LEARNED_ROUTES": int,
    "H2PUSH_LEARN_CACHE": _as_is,
    "H2PUSH_LEARN_TIMEOUT_MS": float,
    "H2PUSH_LEARN_MAX_FILE_BYTES": int,
    "H2PUSH_PUSH_DIGEST": bool,
    "H2PUSH_PUSH_BUDGET": int,
    "H2PUSH_DEV_CERT_DIR": _path_or_none,
    "H2PUSH_ASSET_ORIGINS": tuple,
    "H2PUSH_FIELD": bool,
    "H2PUSH_FIELD_SAMPLE": int,
    "H2PUSH_FIELD_QUORUM": int,
    "H2PUSH_FIELD_HOLDOUT": float,
    "H2PUSH_FIELD_CLIENT_HEADER": _as_is,
}


class Settings:
    """Attribute access to h2push settings, falling back to ``DEFAULTS``.

    Every request reads several, and a setting a project leaves out costs Django's
    settings object an ``AttributeError`` on each read: each is read once, then kept
    as a plain attribute of ``conf`` (no call at all to read it) until a setting
    changes.
    """

    H2PUSH_ENABLED: bool
    H2PUSH_MAX_PRELOADS: int
    H2PUSH_COPY_HEADERS: tuple[str, ...]
    H2PUSH_EARLY_HINTS: bool
    H2PUSH_EARLY_HINTS_MIN_VIEW_MS: float
    H2PUSH_EARLY_HINTS_AS_INFORMATIONAL: bool
    H2PUSH_LEARN: bool
    H2PUSH_DISCOVER: bool
    H2PUSH_LEARNED_ROUTES: int
    H2PUSH_LEARN_CACHE: str | None
    H2PUSH_LEARN_TIMEOUT_MS: float
    H2PUSH_LEARN_MAX_FILE_BYTES: int
    H2PUSH_PUSH_DIGEST: bool
    H2PUSH_PUSH_BUDGET: int
    H2PUSH_DEV_CERT_DIR: str | None
    H2PUSH_ASSET_ORIGINS: tuple[str, ...]
    H2PUSH_FIELD: bool
    H2PUSH_FIELD_SAMPLE: int
    H2PUSH_FIELD_QUORUM: int
    H2PUSH_FIELD_HOLDOUT: float
    H2PUSH_FIELD_CLIENT_HEADER: str | None

    def __getattr__(self, name: str) -> Any:
        # Only called for a setting not read since the last change.
        read = _READ.get(name)
        if read is None:
            raise AttributeError(name)
        value = self.__dict__[name] = read(getattr(settings, name, DEFAULTS[name]))
        return value


conf = Settings()
caches.on_forget(conf.__dict__.clear, when=DEFAULTS.__contains__)
