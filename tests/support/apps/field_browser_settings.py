"""runh2server's site for ``tests/browser/test_field.py``: the browser tests' site (the
test project with the request recorder around it), its pages in
:mod:`tests.support.apps.field_browser_urls`, field learning on
(:mod:`tests.support.apps.field_common`)."""

from tests.support.apps.browser_settings import *  # noqa: F403
from tests.support.apps.field_common import *  # noqa: F403

ROOT_URLCONF = "tests.support.apps.field_browser_urls"
