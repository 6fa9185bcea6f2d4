"""Settings for ``tests/e2e/test_field.py``: the test project's, routed to
:mod:`tests.support.apps.field_urls`, with field learning on.

- three distinct clients make a quorum and no navigation is held out of its 103, so
  that a test reaches a conclusion in a few reports;
- the client is the right-most ``X-Forwarded-For`` entry, as behind a proxy: the test
  makes its clients distinct by that header;
- the learned links and the field samples are in a file-based cache in the folder the
  test names (``H2PUSH_TEST_CACHE_DIR``), so that ``manage.py h2push_field --json``,
  a process of its own, reads what the server was told.
"""

import os

from testproject.settings import *  # noqa: F403

ROOT_URLCONF = "tests.support.apps.field_urls"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ["H2PUSH_TEST_CACHE_DIR"],
    }
}
H2PUSH_LEARN_CACHE = "default"
# A file cache call on a busy two-core machine can take longer than the 100 ms a page
# waits by default; the bound itself is tested elsewhere (tests/e2e/test_hung_store.py).
H2PUSH_LEARN_TIMEOUT_MS = 2000
H2PUSH_FIELD = True
H2PUSH_FIELD_QUORUM = 3
H2PUSH_FIELD_HOLDOUT = 0.0
H2PUSH_FIELD_CLIENT_HEADER = "HTTP_X_FORWARDED_FOR"
