"""Field learning on, for ``tests/browser/test_field.py``: the settings its two sites
share (``field_browser_settings`` under runh2server, ``field_caddy_settings`` under
Gunicorn behind Caddy), star-imported after each site's own.

- every page asks for a report (a route asks every visitor until a viewport group
  holds 24 samples), none is held out of its 103, and three distinct clients make a
  quorum, so that a test reaches a conclusion in a few visits;
- the client is the right-most ``X-Forwarded-For`` entry, as behind Caddy (which
  writes the address it was connected from and drops what the client sent); without
  that header (runh2server, no proxy in front) the connection's peer. The test makes
  its clients distinct by connecting from addresses of their own (``127.0.0.N``);
- the learned links and the field samples are in the throwaway Redis the test
  started (``H2PUSH_TEST_REDIS_URL``), so that ``manage.py h2push_field --json``,
  a process of its own, reads what the server was told.
"""

import os

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "learned": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["H2PUSH_TEST_REDIS_URL"],
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
}
H2PUSH_LEARN_CACHE = "learned"
# A page on a busy two-core machine may wait longer for Redis than the default.
H2PUSH_LEARN_TIMEOUT_MS = 1000

H2PUSH_FIELD = True
H2PUSH_FIELD_QUORUM = 3
H2PUSH_FIELD_HOLDOUT = 0
H2PUSH_FIELD_CLIENT_HEADER = "HTTP_X_FORWARDED_FOR"
