"""Settings for ``tests/e2e/test_foreign_origins.py``: the test project's, routed to
:mod:`tests.support.apps.foreign_origins`, with one asset origin named."""

from testproject.settings import *  # noqa: F403
from tests.support.apps.foreign_origins import ASSET_ORIGIN

ROOT_URLCONF = "tests.support.apps.foreign_origins"
H2PUSH_ASSET_ORIGINS = [ASSET_ORIGIN]
