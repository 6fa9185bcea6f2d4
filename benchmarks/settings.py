"""Django settings for every benchmark site: the test project, run as in production,
with :mod:`benchmarks.urls` as its URLconf.

``H2PUSH_BENCH_VARIANT`` (an environment variable, so that one module serves every
server a benchmark starts) picks what is measured:

- ``plain``: Django alone, ``PreloadMiddleware`` taken out;
- ``h2push`` (the default): ``PreloadMiddleware`` with Early Hints on;
- ``nohints``: ``PreloadMiddleware`` with ``H2PUSH_EARLY_HINTS = False``;
- ``hintall``: ``PreloadMiddleware`` sending a 103 for every page, fast views too
  (``H2PUSH_EARLY_HINTS_MIN_VIEW_MS = 0``).

``H2PUSH_BENCH_ASSETS``, where set, names a folder of generated static files added
to ``STATICFILES_DIRS`` (see :mod:`benchmarks.assets`).

All other h2push settings are the library's defaults, not the values the test
project picks for its demonstration.
"""

import os
from pathlib import Path

from benchmarks.assets import ASSETS_ENV
from h2push.django_layer.conf import DEFAULTS
from testproject.settings import *  # noqa: F403
from testproject.settings import MIDDLEWARE, STATICFILES_DIRS

VARIANTS = ("plain", "h2push", "nohints", "hintall")
VARIANT = os.environ.get("H2PUSH_BENCH_VARIANT", "h2push")
if VARIANT not in VARIANTS:
    raise ValueError(f"unknown H2PUSH_BENCH_VARIANT {VARIANT!r}; one of {VARIANTS}")

# Production does not keep DEBUG's bookkeeping (SQL log, richer errors); neither do we.
DEBUG = False
ROOT_URLCONF = "benchmarks.urls"

if VARIANT == "plain":
    MIDDLEWARE = [name for name in MIDDLEWARE if name != "h2push.middleware.PreloadMiddleware"]
else:
    MIDDLEWARE = list(MIDDLEWARE)

H2PUSH_EARLY_HINTS = VARIANT != "nohints"
H2PUSH_EARLY_HINTS_MIN_VIEW_MS = (
    0 if VARIANT == "hintall" else DEFAULTS["H2PUSH_EARLY_HINTS_MIN_VIEW_MS"]
)

if os.environ.get(ASSETS_ENV):
    STATICFILES_DIRS = [*STATICFILES_DIRS, Path(os.environ[ASSETS_ENV])]
