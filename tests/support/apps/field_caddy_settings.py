"""Gunicorn's site behind Caddy for ``tests/browser/test_field.py``: the Caddy tests'
settings (``STATIC_ROOT`` from ``H2PUSH_TEST_STATIC_ROOT``), the pages of
:mod:`tests.support.apps.field_browser_urls`, field learning on
(:mod:`tests.support.apps.field_common`)."""

from tests.support.apps.caddy_settings import *  # noqa: F403
from tests.support.apps.field_common import *  # noqa: F403

ROOT_URLCONF = "tests.support.apps.field_browser_urls"
