"""Settings for the tests behind Caddy (``tests/e2e/test_behind_caddy.py`` and
``tests/browser/test_behind_caddy.py``): the test project's, routed to
:mod:`tests.support.apps.caddy_urls`, with ``STATIC_ROOT`` in the test's own
folder (``H2PUSH_TEST_STATIC_ROOT``), where ``collectstatic`` puts the files Caddy
serves.

``H2PUSH_TEST_INFORMATIONAL=1`` turns on ``H2PUSH_EARLY_HINTS_AS_INFORMATIONAL``, for
Gunicorn's ASGI worker (the Deploying page's second recipe).
"""

import os

from testproject.settings import *  # noqa: F403

ROOT_URLCONF = "tests.support.apps.caddy_urls"
STATIC_ROOT = os.environ["H2PUSH_TEST_STATIC_ROOT"]
H2PUSH_EARLY_HINTS_AS_INFORMATIONAL = os.environ.get("H2PUSH_TEST_INFORMATIONAL") == "1"
