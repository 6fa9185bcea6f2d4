"""h2push.django_layer.checks: the system checks of the core settings and the middleware."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core import checks
from django.test import override_settings

from h2push.django_layer.checks import check_settings

MIDDLEWARE = "h2push.middleware.PreloadMiddleware"


def h2push_messages() -> list[checks.CheckMessage]:
    """What Django's own check run reports for h2push."""
    return [m for m in checks.run_checks() if (m.id or "").startswith("h2push.")]


def ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [m.id for m in messages if m.id]


def test_project_settings_pass() -> None:
    assert check_settings() == []
    assert h2push_messages() == []


def test_check_is_registered_with_django() -> None:
    assert check_settings in checks.registry.registry.get_checks()


@pytest.mark.parametrize("value", [True, False])
def test_e001_not_for_booleans(value: bool) -> None:
    with override_settings(H2PUSH_ENABLED=value):
        assert "h2push.E001" not in ids(check_settings())


@pytest.mark.parametrize("value", ["False", "yes", 0, 1, None, [], "off"])
def test_e001_for_non_booleans(value: Any) -> None:
    with override_settings(H2PUSH_ENABLED=value):
        messages = [m for m in check_settings() if m.id == "h2push.E001"]
        assert [m.id for m in h2push_messages()].count("h2push.E001") == 1
    assert len(messages) == 1
    message = messages[0]
    assert isinstance(message, checks.Error)
    assert message.level == checks.ERROR
    assert "H2PUSH_ENABLED" in message.msg
    assert repr(value) in message.msg
    assert message.hint


@pytest.mark.parametrize("value", [0, 1, 16, 1000])
def test_e002_not_for_whole_numbers(value: int) -> None:
    with override_settings(H2PUSH_MAX_PRELOADS=value):
        assert "h2push.E002" not in ids(check_settings())


@pytest.mark.parametrize("value", [-1, 2.5, "16", None, True, False, [16]])
def test_e002_for_bad_caps(value: Any) -> None:
    with override_settings(H2PUSH_MAX_PRELOADS=value):
        messages = [m for m in check_settings() if m.id == "h2push.E002"]
        assert "h2push.E002" in ids(h2push_messages())
    assert len(messages) == 1
    assert isinstance(messages[0], checks.Error)
    assert "H2PUSH_MAX_PRELOADS" in messages[0].msg
    assert messages[0].hint


@pytest.mark.parametrize(
    "value",
    [
        [],
        (),
        ["accept"],
        ("accept", "accept-encoding", "accept-language", "cache-control", "user-agent"),
        ["x-custom-header", "dnt"],
    ],
)
def test_e003_not_for_lower_case_header_names(value: Any) -> None:
    with override_settings(H2PUSH_COPY_HEADERS=value):
        assert "h2push.E003" not in ids(check_settings())


@pytest.mark.parametrize(
    "value",
    [
        "accept",
        ["Accept"],
        [":authority"],
        ["accept", ":path"],
        ["accept encoding"],
        ["accept\r\nx-evil"],
        [""],
        [b"accept"],
        [None],
        None,
        {"accept": True},
        42,
    ],
)
def test_e003_for_bad_header_lists(value: Any) -> None:
    with override_settings(H2PUSH_COPY_HEADERS=value):
        messages = [m for m in check_settings() if m.id == "h2push.E003"]
        assert "h2push.E003" in ids(h2push_messages())
    assert len(messages) == 1
    assert isinstance(messages[0], checks.Error)
    assert "H2PUSH_COPY_HEADERS" in messages[0].msg
    assert messages[0].hint


def test_several_errors_at_once() -> None:
    with override_settings(H2PUSH_ENABLED="no", H2PUSH_MAX_PRELOADS=-3, H2PUSH_COPY_HEADERS="x"):
        found = ids(check_settings())
    assert {"h2push.E001", "h2push.E002", "h2push.E003"} <= set(found)


def test_w001_when_the_middleware_is_missing() -> None:
    others = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    with override_settings(MIDDLEWARE=others):
        messages = [m for m in check_settings() if m.id == "h2push.W001"]
        assert "h2push.W001" in ids(h2push_messages())
    assert len(messages) == 1
    assert isinstance(messages[0], checks.Warning)
    assert messages[0].level == checks.WARNING
    assert MIDDLEWARE in messages[0].msg
    assert MIDDLEWARE in (messages[0].hint or "")
    with override_settings(MIDDLEWARE=[]):
        assert "h2push.W001" in ids(check_settings())


def test_no_w001_when_the_middleware_is_present() -> None:
    assert MIDDLEWARE in settings.MIDDLEWARE
    assert "h2push.W001" not in ids(check_settings())
    with override_settings(MIDDLEWARE=[MIDDLEWARE]):
        assert "h2push.W001" not in ids(check_settings())


def test_unset_settings_use_valid_defaults() -> None:
    with override_settings():
        for name in ("H2PUSH_ENABLED", "H2PUSH_MAX_PRELOADS", "H2PUSH_COPY_HEADERS"):
            if hasattr(settings, name):
                delattr(settings, name)
        assert not hasattr(settings, "H2PUSH_COPY_HEADERS")
        found = ids(check_settings())
    assert not {"h2push.E001", "h2push.E002", "h2push.E003"} & set(found)


# (setting, id, good values, bad values) for the settings of Early Hints, learning,
# the push digest and budget, and the development certificate.
LATER_SETTINGS = [
    ("H2PUSH_EARLY_HINTS", "h2push.E004", [True, False], ["yes", 1, None]),
    ("H2PUSH_EARLY_HINTS_MIN_VIEW_MS", "h2push.E011", [0, 10, 2.5], [-1, "10", True, None]),
    ("H2PUSH_LEARN", "h2push.E005", [True, False], ["no", 0, None]),
    ("H2PUSH_LEARNED_ROUTES", "h2push.E006", [1, 500], [0, -1, True, "500", 2.5]),
    ("H2PUSH_LEARN_MAX_FILE_BYTES", "h2push.E016", [1, 2097152], [0, -1, True, "1", 2.5]),
    ("H2PUSH_LEARN_CACHE", "h2push.E007", [None, "default"], ["missing-alias", 3, ""]),
    ("H2PUSH_PUSH_DIGEST", "h2push.E008", [True, False], ["on", 1, None]),
    ("H2PUSH_PUSH_BUDGET", "h2push.E009", [1, 32], [0, -5, False, "32"]),
    (
        "H2PUSH_DEV_CERT_DIR",
        "h2push.E010",
        [None, "/tmp/certs", "~/certs"],
        ["", 42, ["/tmp"], "certs"],
    ),
    ("H2PUSH_FIELD", "h2push.E018", [True, False], ["on", 1, None]),
    ("H2PUSH_FIELD_SAMPLE", "h2push.E019", [1, 20], [0, -1, True, "20", 2.5]),
    ("H2PUSH_FIELD_QUORUM", "h2push.E020", [1, 5], [0, -1, False, "5"]),
    ("H2PUSH_FIELD_HOLDOUT", "h2push.E021", [0, 0.05, 0.5], [1, 1.5, -0.1, True, "0.05", None]),
    (
        "H2PUSH_FIELD_CLIENT_HEADER",
        "h2push.E022",
        [None, "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP"],
        ["X-Forwarded-For", "REMOTE_ADDR", "", 1],
    ),
]


@pytest.mark.parametrize(
    ("name", "check_id", "value"),
    [(name, check_id, value) for name, check_id, good, _ in LATER_SETTINGS for value in good],
)
def test_later_settings_pass_with_good_values(name: str, check_id: str, value: Any) -> None:
    with override_settings(**{name: value}):
        assert check_id not in ids(check_settings())


@pytest.mark.parametrize(
    ("name", "check_id", "value"),
    [(name, check_id, value) for name, check_id, _, bad in LATER_SETTINGS for value in bad],
)
def test_later_settings_fail_with_bad_values(name: str, check_id: str, value: Any) -> None:
    with override_settings(**{name: value}):
        messages = [m for m in check_settings() if m.id == check_id]
    assert len(messages) == 1
    assert name in messages[0].msg
    assert repr(value) in messages[0].msg
    assert messages[0].hint
