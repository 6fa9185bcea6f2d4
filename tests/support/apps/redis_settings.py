"""Settings for the end-to-end test of Redis as the learned store: the test project's,
with the learned links in Django's ``RedisCache`` on the Redis the test started
(``H2PUSH_TEST_REDIS_URL``), and log lines that say their level, logger and process.

Served by ``tests.support.apps.early_asgi:application`` (which names its worker in
``x-worker-pid``), with ``DJANGO_SETTINGS_MODULE`` pointing here.
"""

import os

from testproject.settings import *  # noqa: F403
from tests.support.apps.tagged_logging import tagged_logging

CACHES = {
    # Nothing else of the site may depend on Redis: only h2push's store is on it.
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "learned": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["H2PUSH_TEST_REDIS_URL"],
        # A stopped Redis on loopback refuses at once; these bound a hung one, as an
        # operator would.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
}
H2PUSH_LEARN_CACHE = "learned"

# The test counts h2push's WARNINGs per worker process in the server's stderr.
LOGGING = tagged_logging("h2push")
# These tests are about sharing what is learned: a page on a busy two-core machine
# may wait longer for Redis than the default 100 ms. The bound itself is tested in
# tests/e2e/test_hung_store.py.
H2PUSH_LEARN_TIMEOUT_MS = 1000
