"""Settings for ``tests/browser/test_cdn.py``: the browser tests' site (the test
project with the request recorder around it), its static files served from another
origin, as from a CDN.

``STATIC_URL`` is read from ``$H2PUSH_TEST_STATIC_URL``, an absolute URL such as
``https://127.0.0.1:PORT2/static/`` (the port of the Caddy that serves the files is
only known once the test started it). h2push trusts that origin for hinting because
``STATIC_URL`` names it. The static files finders still find the files in the test
project's folder, which is what Caddy serves.
"""

import os

from tests.support.apps.browser_settings import *  # noqa: F403

STATIC_URL = os.environ["H2PUSH_TEST_STATIC_URL"]
