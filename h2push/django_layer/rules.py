"""The rule each ``H2PUSH_*`` setting's value must follow: its check id, what it must
be, and the hint shown when it is not. :mod:`h2push.django_layer.checks` runs them."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from django.conf import settings

__all__ = ["RULES"]

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


def _is_fraction(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1


def _is_meta_header(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, str) and re.fullmatch(r"HTTP_[A-Z0-9_]+", value) is not None


def _is_cache_alias(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value in settings.CACHES)


# (setting, id, test, what it must be, hint)
RULES: list[tuple[str, str, Callable[[Any], bool], str, str]] = [
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
    (
        "H2PUSH_FIELD",
        "h2push.E018",
        _is_bool,
        "True or False",
        "Set H2PUSH_FIELD = True to learn from the browsers that load your pages (the LCP "
        "image hinted, unused hints dropped); see docs/field.rst.",
    ),
    (
        "H2PUSH_FIELD_SAMPLE",
        "h2push.E019",
        _is_positive,
        "a whole number above 0",
        "Once a route has its samples, one visitor in this many is asked; the default is 20.",
    ),
    (
        "H2PUSH_FIELD_QUORUM",
        "h2push.E020",
        _is_positive,
        "a whole number above 0",
        "How many distinct visitors must agree before a route's hints change; the default is 5.",
    ),
    (
        "H2PUSH_FIELD_HOLDOUT",
        "h2push.E021",
        _is_fraction,
        "a number from 0 up to (not including) 1",
        "The share of navigations served without a 103, to compare with; the default is 0.05.",
    ),
    (
        "H2PUSH_FIELD_CLIENT_HEADER",
        "h2push.E022",
        _is_meta_header,
        'None or a request.META name such as "HTTP_X_FORWARDED_FOR"',
        "Name the header your proxy writes the client's address into, as Django's "
        "request.META spells it; None uses REMOTE_ADDR.",
    ),
]
