"""Settings for the end-to-end test of discovery's bounds
(``tests/e2e/test_discovery_bounds.py``): the test project's, routed to the attack
pages of :mod:`tests.support.apps.discovery_attacks`."""

from testproject.settings import *  # noqa: F403

ROOT_URLCONF = "tests.support.apps.discovery_attacks"
