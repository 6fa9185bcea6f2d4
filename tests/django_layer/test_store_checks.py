"""Issue 17, finding 4: check ``h2push.W003`` warns of a Redis learned store without
socket timeouts (a hung Redis holds each call to it until the client gives up)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from h2push.django_layer.checks import check_settings

DJANGO_REDIS = "django.core.cache.backends.redis.RedisCache"
DJANGO_REDIS_PACKAGE = "django_redis.cache.RedisCache"
LOCATION = "redis://127.0.0.1:6379/0"


def learned_in(cache: dict[str, Any], **more: Any) -> Any:
    """``override_settings`` with ``cache`` as the learned store's alias."""
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "learned": cache,
    }
    return override_settings(**{"CACHES": caches, "H2PUSH_LEARN_CACHE": "learned", **more})


def w003() -> list[checks.CheckMessage]:
    return [message for message in check_settings() if message.id == "h2push.W003"]


@pytest.mark.parametrize(
    "options",
    [None, {}, {"socket_timeout": 0.5}, {"socket_connect_timeout": 0.5}, {"socket_timeout": None}],
    ids=["no-options", "empty", "read-only", "connect-only", "none"],
)
def test_w003_for_django_redis_cache_without_both_timeouts(options: dict[str, Any] | None) -> None:
    cache: dict[str, Any] = {"BACKEND": DJANGO_REDIS, "LOCATION": LOCATION}
    if options is not None:
        cache["OPTIONS"] = options
    with learned_in(cache):
        [warning] = w003()
        # Django's own run of the checks reports it too.
        assert "h2push.W003" in [message.id for message in checks.run_checks()]
    assert isinstance(warning, checks.Warning)
    assert "'learned'" in warning.msg
    assert "socket_timeout" in warning.msg or "socket_connect_timeout" in warning.msg
    assert warning.hint is not None
    assert '"socket_timeout": 0.1, "socket_connect_timeout": 0.1' in warning.hint


def test_w003_names_only_the_missing_timeout() -> None:
    cache = {"BACKEND": DJANGO_REDIS, "LOCATION": LOCATION, "OPTIONS": {"socket_timeout": 1}}
    with learned_in(cache):
        [warning] = w003()
    assert "sets no socket_connect_timeout," in warning.msg


def test_no_w003_with_both_timeouts() -> None:
    options = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    with learned_in({"BACKEND": DJANGO_REDIS, "LOCATION": LOCATION, "OPTIONS": options}):
        assert w003() == []


def test_no_w003_with_timeouts_in_the_url() -> None:
    location = [f"{LOCATION}?socket_timeout=0.5&socket_connect_timeout=0.5", LOCATION]
    with learned_in({"BACKEND": DJANGO_REDIS, "LOCATION": location}):
        assert w003() == []
    with learned_in({"BACKEND": DJANGO_REDIS, "LOCATION": f"{LOCATION}?socket_timeout=0.5"}):
        assert len(w003()) == 1


def test_w003_for_django_redis_package_and_its_own_option_names() -> None:
    with learned_in({"BACKEND": DJANGO_REDIS_PACKAGE, "LOCATION": LOCATION}):
        [warning] = w003()
    assert warning.hint is not None
    assert '"SOCKET_TIMEOUT": 0.1, "SOCKET_CONNECT_TIMEOUT": 0.1' in warning.hint
    options = {"SOCKET_TIMEOUT": 0.5, "SOCKET_CONNECT_TIMEOUT": 0.5}
    with learned_in({"BACKEND": DJANGO_REDIS_PACKAGE, "LOCATION": LOCATION, "OPTIONS": options}):
        assert w003() == []
    pool = {"CONNECTION_POOL_KWARGS": {"socket_timeout": 1, "socket_connect_timeout": 1}}
    with learned_in({"BACKEND": DJANGO_REDIS_PACKAGE, "LOCATION": LOCATION, "OPTIONS": pool}):
        assert w003() == []


def test_no_w003_where_the_store_is_not_redis_or_not_used() -> None:
    redis = {"BACKEND": DJANGO_REDIS, "LOCATION": LOCATION}
    with learned_in({"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}):
        assert w003() == []
    with learned_in(redis, H2PUSH_LEARN=False):
        assert w003() == []
    # The site's own Redis cache is not h2push's business when the store is in process.
    with learned_in(redis, H2PUSH_LEARN_CACHE=None):
        assert w003() == []
    # An alias CACHES lacks is E007's to report.
    with learned_in(redis, H2PUSH_LEARN_CACHE="missing"):
        assert w003() == []
