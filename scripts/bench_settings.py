"""Settings for ``scripts/benchmark.py``: the test project, production-like.

The variant comes from the ``H2PUSH_BENCH_VARIANT`` environment variable, so one
module serves every server the benchmark starts:

- ``plain``: plain Django, without ``PreloadMiddleware``;
- ``h2push`` (the default): with ``PreloadMiddleware``, Early Hints on;
- ``nohints``: with ``PreloadMiddleware``, ``H2PUSH_EARLY_HINTS = False``;
- ``hintall``: with ``PreloadMiddleware``, a 103 for every page however fast its
  view (``H2PUSH_EARLY_HINTS_MIN_VIEW_MS = 0``).

Every other h2push setting keeps the library's default, whatever the test project
sets for its demonstration.
"""

import os

from h2push.conf import DEFAULTS
from testproject.settings import *  # noqa: F403
from testproject.settings import MIDDLEWARE

VARIANT = os.environ.get("H2PUSH_BENCH_VARIANT", "h2push")
if VARIANT not in ("plain", "h2push", "nohints", "hintall"):
    raise ValueError(f"unknown H2PUSH_BENCH_VARIANT {VARIANT!r}")

# A benchmark measures what production runs: no debug bookkeeping.
DEBUG = False
ROOT_URLCONF = "bench_urls"

if VARIANT == "plain":
    MIDDLEWARE = [name for name in MIDDLEWARE if name != "h2push.middleware.PreloadMiddleware"]
else:
    MIDDLEWARE = list(MIDDLEWARE)

H2PUSH_EARLY_HINTS = VARIANT != "nohints"
H2PUSH_EARLY_HINTS_MIN_VIEW_MS = (
    0 if VARIANT == "hintall" else DEFAULTS["H2PUSH_EARLY_HINTS_MIN_VIEW_MS"]
)
