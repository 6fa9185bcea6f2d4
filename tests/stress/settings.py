"""Django settings for the reliability servers: the test project, run as in production.

``DEBUG`` is off (``runh2server --insecure`` still serves the static files), so a 500
costs what it costs a real site and nothing is kept per request for the debug pages.
The URLs are :mod:`tests.stress.urls`: the test project's pages and a few
that only the fault runs use.

``H2PUSH_RELIABILITY_REDIS_URL`` (an environment variable, so one module serves both
servers the command starts) puts h2push's learned store, and nothing else of the
site, on that Redis: the dead-store fault points it at a Redis that is stopped.
"""

import os

from testproject.settings import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "tests.stress.urls"

# Every error a request meets reaches the server's log, where the command counts
# tracebacks per part and shows the last ones when a part fails.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"tagged": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "tagged"}},
    "loggers": {
        "h2push": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

REDIS_URL = os.environ.get("H2PUSH_RELIABILITY_REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "learned": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A stopped Redis on loopback refuses at once; these bound a hung one.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    H2PUSH_LEARN_CACHE = "learned"
