"""h2push.core.caches: per-process caches and warn-once memory, forgotten together."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from django.test import override_settings

from h2push.core import caches

PACKAGE = Path(__file__).resolve().parents[2] / "h2push"


def test_a_cache_is_cleared_only_by_the_settings_it_depends_on() -> None:
    calls: list[int] = []

    @caches.per_process(8, when=lambda setting: setting == "STATIC_URL")
    def doubled(n: int) -> int:
        calls.append(n)
        return 2 * n

    assert doubled(2) == doubled(2) == 4
    assert calls == [2]
    caches.forget("DEBUG")
    doubled(2)
    assert calls == [2]
    caches.forget("STATIC_URL")
    doubled(2)
    assert calls == [2, 2]
    caches.forget()  # everything
    doubled(2)
    assert calls == [2, 2, 2]


def test_django_settings_changes_reach_the_caches() -> None:
    seen: list[str] = []

    @caches.per_process(8, when=lambda setting: setting == "H2PUSH_MAX_PRELOADS")
    def cap() -> str:
        seen.append("read")
        return "read"

    cap()
    with override_settings(H2PUSH_MAX_PRELOADS=3):
        cap()
    assert seen == ["read", "read"]


def test_a_warning_is_given_once_until_forgotten(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("h2push")
    caches.forget()
    with caplog.at_level(logging.WARNING, logger="h2push"):
        assert caches.warn_once(logger, ("test", 1), "cause %s", 1)
        assert not caches.warn_once(logger, ("test", 1), "cause %s", 1)
        assert caches.warn_once(logger, ("test", 2), "cause %s", 2)
        caches.forget("ANY_SETTING")
        assert caches.warn_once(logger, ("test", 1), "cause %s", 1)
    assert [r.getMessage() for r in caplog.records] == ["cause 1", "cause 2", "cause 1"]


def test_the_warnings_remembered_are_bounded() -> None:
    logger = logging.getLogger("h2push.test_caches")
    logger.propagate = False
    caches.forget()
    try:
        given = [caches.warn_once(logger, n, "w") for n in range(caches.MAX_WARNINGS + 10)]
    finally:
        logger.propagate = True
        caches.forget()
    assert given.count(True) == caches.MAX_WARNINGS


def test_only_the_core_makes_caches_and_only_conf_receives_setting_changed() -> None:
    """One place for per-process caches, one receiver: a module that writes its own
    ``lru_cache`` or ``setting_changed`` receiver escapes :func:`caches.forget`."""
    own_cache = re.compile(r"lru_cache|functools\.cache\b|^\s*@cache\b", re.M)
    receivers = re.compile(r"receiver\(setting_changed|setting_changed\.connect")
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        text = path.read_text()
        if relative != "core/caches.py" and own_cache.search(text):
            offenders.append(f"{relative}: its own cache")
        if relative != "django_layer/conf.py" and receivers.search(text):
            offenders.append(f"{relative}: its own setting_changed receiver")
    assert offenders == []
