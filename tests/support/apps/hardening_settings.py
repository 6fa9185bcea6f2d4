"""Settings for the hardening end-to-end tests: the test project's, routed to the
test views of :mod:`tests.support.apps.early_urls` (pages that register whatever
static name their query string gives, as an attacker's target would)."""

from testproject.settings import *  # noqa: F403

ROOT_URLCONF = "tests.support.apps.early_urls"
