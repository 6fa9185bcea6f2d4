"""Settings for the two-worker end-to-end test: the test project's, plus a
file-based cache in a folder the test names (``H2PUSH_TEST_CACHE_DIR``).

``H2PUSH_TEST_LEARN_CACHE`` is the cache alias the learned store uses; empty or
unset keeps the store in each process (``H2PUSH_LEARN_CACHE = None``).
"""

import os

from testproject.settings import *  # noqa: F403

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ["H2PUSH_TEST_CACHE_DIR"],
    }
}
H2PUSH_LEARN_CACHE = os.environ.get("H2PUSH_TEST_LEARN_CACHE") or None
# These tests are about sharing what is learned, not about a slow store: on a busy
# two-core machine a file cache call can take longer than the 100 ms a page waits by
# default, and a page that stops waiting learns nothing. The bound itself is tested
# in tests/e2e/test_hung_store.py and tests/django_layer/test_store_calls.py.
H2PUSH_LEARN_TIMEOUT_MS = 2000
