"""h2push's settings through ``conf``: defaults, changes seen at once, nothing else."""

from __future__ import annotations

import pytest
from django.test import override_settings

from h2push.django_layer.conf import DEFAULTS, conf


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_every_setting_is_an_attribute_read_as_set(name: str) -> None:
    expected = DEFAULTS[name]
    with override_settings(**{name: expected}):
        value = getattr(conf, name)
    assert value == (tuple(expected) if isinstance(expected, (list, tuple)) else expected)


def test_a_changed_setting_is_seen_at_once_and_forgotten_after() -> None:
    before = conf.H2PUSH_MAX_PRELOADS
    with override_settings(H2PUSH_MAX_PRELOADS=before + 3):
        assert before + 3 == conf.H2PUSH_MAX_PRELOADS
    assert before == conf.H2PUSH_MAX_PRELOADS


def test_a_value_is_read_as_its_type() -> None:
    with override_settings(H2PUSH_EARLY_HINTS_MIN_VIEW_MS=5, H2PUSH_ASSET_ORIGINS=["x"]):
        assert isinstance(conf.H2PUSH_EARLY_HINTS_MIN_VIEW_MS, float)
        assert conf.H2PUSH_ASSET_ORIGINS == ("x",)


def test_only_h2push_settings_are_attributes() -> None:
    with pytest.raises(AttributeError):
        conf.DEBUG  # noqa: B018
