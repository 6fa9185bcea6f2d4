"""Settings for the end-to-end tests of Early Hints through other servers
(``tests/e2e/test_servers.py``): the test project's, routed to
:mod:`tests.support.apps.servers_urls`, with this folder's templates.

Log lines say their level, logger and process, so a test can find h2push's
warnings in a server's output.
"""

from testproject.settings import *  # noqa: F403
from testproject.settings import BASE_DIR, TEMPLATES
from tests.support.apps.tagged_logging import tagged_logging

ROOT_URLCONF = "tests.support.apps.servers_urls"

TEMPLATES = [
    {
        **TEMPLATES[0],
        "DIRS": [
            BASE_DIR / "tests" / "support" / "templates",
            BASE_DIR / "testproject" / "templates",
        ],
    }
]

LOGGING = tagged_logging("h2push", "django")
