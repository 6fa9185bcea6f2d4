"""System checks for h2push settings (ids ``h2push.E0xx`` and ``h2push.W0xx``)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured

from h2push.django_layer.conf import DEFAULTS

__all__ = ["check_settings", "refuse_invalid_settings", "setting_errors"]

_MIDDLEWARE = "h2push.middleware.PreloadMiddleware"
# RFC 9110 token characters, lower case; pseudo headers (":authority") are the server's.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9a-z]+$")
_CREDENTIALS = frozenset({"cookie", "authorization", "proxy-authorization"})


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_duration(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _is_positive(value: Any) -> bool:
    return _is_count(value) and value > 0


def _is_header_names(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(name, str) and _HEADER_NAME.match(name) for name in value
    )


def _copies_no_credentials(value: Any) -> bool:
    names = value if isinstance(value, (list, tuple)) else ()
    return not any(str(name).lower() in _CREDENTIALS for name in names)


def _is_directory_setting(value: Any) -> bool:
    return value is None or (
        isinstance(value, (str, PurePath)) and os.path.isabs(os.path.expanduser(value))
    )


def _is_origin_list(value: Any) -> bool:
    from h2push.django_layer.origins import normalise_origin

    return isinstance(value, list | tuple) and all(normalise_origin(v) for v in value)


def _is_cache_alias(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value in settings.CACHES)


# (setting, id, test, what it must be, hint)
_RULES: list[tuple[str, str, Callable[[Any], bool], str, str]] = [
    (
        "H2PUSH_ENABLED",
        "h2push.E001",
        _is_bool,
        "True or False",
        "Set H2PUSH_ENABLED = False to stop server push; preload links stay.",
    ),
    (
        "H2PUSH_MAX_PRELOADS",
        "h2push.E002",
        _is_count,
        "a whole number of 0 or more",
        "It caps the preload links (and pushes) of one response; the default is 16.",
    ),
    (
        "H2PUSH_COPY_HEADERS",
        "h2push.E003",
        _is_header_names,
        "a list of lower-case header names",
        'For example ["accept", "accept-encoding", "user-agent"]; pseudo headers such as '
        ":authority are set by the server.",
    ),
    (
        "H2PUSH_EARLY_HINTS",
        "h2push.E004",
        _is_bool,
        "True or False",
        "Set H2PUSH_EARLY_HINTS = False to send no 103 Early Hints and no early pushes.",
    ),
    (
        "H2PUSH_LEARN",
        "h2push.E005",
        _is_bool,
        "True or False",
        "Set H2PUSH_LEARN = False to hint only the links views declare with decorators.",
    ),
    (
        "H2PUSH_LEARNED_ROUTES",
        "h2push.E006",
        _is_positive,
        "a whole number above 0",
        "It bounds how many routes the in-process store remembers; the default is 500.",
    ),
    (
        "H2PUSH_LEARN_CACHE",
        "h2push.E007",
        _is_cache_alias,
        "None or an alias in CACHES",
        'Name a cache from CACHES (e.g. "default") to share what is learned between workers, '
        "or None to keep it in each process.",
    ),
    (
        "H2PUSH_PUSH_DIGEST",
        "h2push.E008",
        _is_bool,
        "True or False",
        "Set H2PUSH_PUSH_DIGEST = True to skip pushes a client already has (a cookie).",
    ),
    (
        "H2PUSH_PUSH_BUDGET",
        "h2push.E009",
        _is_positive,
        "a whole number above 0",
        "It caps the pushes in flight on one connection; keep it under the clients' "
        "SETTINGS_MAX_CONCURRENT_STREAMS (100 for most). The default is 32.",
    ),
    (
        "H2PUSH_DEV_CERT_DIR",
        "h2push.E010",
        _is_directory_setting,
        "None or an absolute folder path",
        "Name the folder where runh2server keeps its development certificate, outside "
        "the repository; None uses ~/.local/share/h2push.",
    ),
    (
        "H2PUSH_EARLY_HINTS_MIN_VIEW_MS",
        "h2push.E011",
        _is_duration,
        "a number of milliseconds, 0 or more",
        "Routes whose views answer faster than this get no 103 or early push (they "
        "would gain nothing); 0 hints every route. The default is 10.",
    ),
    (
        "H2PUSH_COPY_HEADERS",
        "h2push.E012",
        _copies_no_credentials,
        "free of cookie, authorization and proxy-authorization",
        "A promised request must never carry the page request's credentials: a pushed "
        "response is cached for the connection, not for the user. Remove them.",
    ),
    (
        "H2PUSH_EARLY_HINTS_AS_INFORMATIONAL",
        "h2push.E014",
        _is_bool,
        "True or False",
        "Set it to True only under a server that takes a 103 as an "
        "http.response.informational message without advertising it (Gunicorn's "
        "ASGI worker).",
    ),
    (
        "H2PUSH_DISCOVER",
        "h2push.E015",
        _is_bool,
        "True or False",
        "Set H2PUSH_DISCOVER = False to learn only what pages register, not what their HTML loads.",
    ),
    (
        "H2PUSH_LEARN_MAX_FILE_BYTES",
        "h2push.E016",
        _is_positive,
        "a whole number of bytes above 0",
        "Learned and discovered links name files no larger than this; the default is "
        "2097152 (2 MiB).",
    ),
    (
        "H2PUSH_LEARN_TIMEOUT_MS",
        "h2push.E013",
        _is_duration,
        "a number of milliseconds, 0 or more",
        "How long a request waits for the learned store before it goes on without "
        "learned hints; the default is 100.",
    ),
    (
        "H2PUSH_ASSET_ORIGINS",
        "h2push.E017",
        _is_origin_list,
        'a list of origins such as "https://cdn.example.com"',
        "Name each origin your static or media files are served from (scheme, host and "
        "port only, no path); the origins of an absolute STATIC_URL and MEDIA_URL are "
        "trusted without being listed.",
    ),
]


def setting_errors() -> list[Error]:
    """An error for each ``H2PUSH_*`` setting that has a wrong value."""
    errors = []
    for name, check_id, is_valid, expected, hint in _RULES:
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
