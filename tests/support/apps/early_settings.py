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
