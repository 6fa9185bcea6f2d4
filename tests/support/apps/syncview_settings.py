"""Settings for the sync-view push tests: the test project's, routed to
:mod:`tests.support.apps.syncview_urls` (pages that sleep in a sync or an async view)."""

from testproject.settings import *  # noqa: F403

ROOT_URLCONF = "tests.support.apps.syncview_urls"
