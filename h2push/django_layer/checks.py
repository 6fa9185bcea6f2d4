"""System checks for h2push settings (ids ``h2push.E0xx`` and ``h2push.W0xx``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured

from h2push.django_layer.conf import DEFAULTS
from h2push.django_layer.rules import RULES

__all__ = ["check_settings", "refuse_invalid_settings", "setting_errors"]

_MIDDLEWARE = "h2push.middleware.PreloadMiddleware"


def setting_errors() -> list[Error]:
    """An error for each ``H2PUSH_*`` setting that has a wrong value."""
    errors = []
    for name, check_id, is_valid, expected, hint in RULES:
        value = getattr(settings, name, DEFAULTS[name])
        if not is_valid(value):
            errors.append(
                Error(f"{name} must be {expected}, not {value!r}.", hint=hint, id=check_id)
            )
    return errors


def refuse_invalid_settings() -> None:
    """Raise ``ImproperlyConfigured`` at start-up if a setting is wrong.

    A server that skips the system checks (plain ``hypercorn`` or ``gunicorn`` never
    runs them) would otherwise fail every request that reads the setting.
    """
    errors = setting_errors()
    if errors:
        raise ImproperlyConfigured("\n".join(f"{e.id}: {e.msg} {e.hint}" for e in errors))


def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = list(setting_errors())
    if _MIDDLEWARE not in getattr(settings, "MIDDLEWARE", ()):
        errors.append(
            Warning(
                f"{_MIDDLEWARE} is not in MIDDLEWARE, so nothing registered is sent.",
                hint=f'Add "{_MIDDLEWARE}" to MIDDLEWARE.',
                id="h2push.W001",
            )
        )
    errors.extend(_store_timeout_warnings())
    return errors


# Redis backends, and how their OPTIONS name the socket timeouts: Django's passes
# OPTIONS on to redis-py as they are, django-redis takes its own upper-case names
# (or redis-py's inside CONNECTION_POOL_KWARGS).
_REDIS_BACKENDS = {
    "django.core.cache.backends.redis.RedisCache": False,
    "django_redis.cache.RedisCache": True,
}
_SOCKET_TIMEOUTS = ("socket_timeout", "socket_connect_timeout")


def _store_timeout_warnings() -> list[CheckMessage]:
    """``h2push.W003``: the learned store is a Redis cache without socket timeouts.

    A page waits for the store no longer than ``H2PUSH_LEARN_TIMEOUT_MS`` whatever
    the client does, but a hung Redis keeps each call that reached it (and h2push's
    learned hints) waiting until the client gives up, as long as its timeouts say.
    """
    alias = getattr(settings, "H2PUSH_LEARN_CACHE", None)
    if getattr(settings, "H2PUSH_LEARN", True) is False or not isinstance(alias, str):
        return []
    config = settings.CACHES.get(alias)  # an alias CACHES lacks is E007's
    if not isinstance(config, dict) or config.get("BACKEND") not in _REDIS_BACKENDS:
        return []
    missing = [name for name in _SOCKET_TIMEOUTS if not _sets_timeout(config, name)]
    if not missing:
        return []
    return [
        Warning(
            f"The learned store's cache {alias!r} ({config['BACKEND']}) sets no "
            f"{' or '.join(missing)}, so a Redis that hangs holds each call to it until "
            "the client gives up.",
            hint=f"Add them to CACHES[{alias!r}]['OPTIONS'], for example "
            + _timeout_example(_REDIS_BACKENDS[config["BACKEND"]])
            + " on a cache of h2push's own. Pages never wait longer than "
            "H2PUSH_LEARN_TIMEOUT_MS, but learned hints stop until the hung calls end.",
            id="h2push.W003",
        )
    ]


def _sets_timeout(config: dict[str, Any], name: str) -> bool:
    """Whether the cache's OPTIONS (or its LOCATION URLs' queries) set ``name`` to a
    number of seconds above 0."""
    options = config.get("OPTIONS") or {}
    if not isinstance(options, dict):
        return False
    pool = options.get("CONNECTION_POOL_KWARGS") or {}
    values = [options.get(name), options.get(name.upper())]
    values += [pool.get(name)] if isinstance(pool, dict) else []
    locations = config.get("LOCATION") or []
    if isinstance(locations, str):
        locations = locations.split(",")
    for location in locations if isinstance(locations, (list, tuple)) else []:
        values += parse_qs(urlsplit(str(location).strip()).query).get(name, [])
    return any(_is_seconds(value) for value in values)


def _is_seconds(value: Any) -> bool:
    try:
        return not isinstance(value, bool) and float(value) > 0
    except (TypeError, ValueError):
        return False


def _timeout_example(upper_case: bool) -> str:
    names = [name.upper() if upper_case else name for name in _SOCKET_TIMEOUTS]
    return "{" + ", ".join(f'"{name}": 0.1' for name in names) + "}"


def check_static_names(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``h2push.W002``: a ``@push_static`` name that no static file answers to.

    Such a view would preload (and push) a 404 on every request; Django only finds
    out when ``static()`` is called, and the default storage never does.
    """
    from django.urls import get_resolver

    from h2push.django_layer.decorators import declared_preloads

    try:
        patterns = list(get_resolver().url_patterns)
    except Exception:  # Django's own URL checks report a URLconf that fails
        return []
    warnings: list[CheckMessage] = []
    seen: set[tuple[str, str]] = set()
    for dotted_path, view in _views(patterns):
        for declaration in declared_preloads(view):
            key = (dotted_path, declaration.target)
            if not declaration.is_static or key in seen:
                continue
            seen.add(key)
            if not _names_static_file(declaration.target):
                warnings.append(_unknown_static_name(dotted_path, declaration.target))
    return warnings


def _views(patterns: Sequence[Any]) -> list[tuple[str, Any]]:
    """``(dotted path, view)`` of every URL pattern, includes followed."""
    from django.urls import URLPattern, URLResolver

    found: list[tuple[str, Any]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found.extend(_views(pattern.url_patterns))
        elif isinstance(pattern, URLPattern):
            found.append((pattern.lookup_str, pattern.callback))
    return found


def _names_static_file(name: str) -> bool:
    from h2push.django_layer import staticnames

    # static() keeps a query or fragment after the name; the file is the part before.
    return staticnames.exists_now(re.split(r"[?#]", name, maxsplit=1)[0])


def _unknown_static_name(dotted_path: str, name: str) -> Warning:
    return Warning(
        f"{dotted_path} declares @push_static({name!r}), but no static file has that name, "
        "so every response of the view would preload (and push) a missing file.",
        hint="Correct the name (it is relative to the static files folders, as in "
        "{% static %}), or add the file where the static files finders look.",
        id="h2push.W002",
    )
