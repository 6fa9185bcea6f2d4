"""Settings for ``scripts/benchmark.py``: the test project, production-like.

The variant comes from the ``H2PUSH_BENCH_VARIANT`` environment variable, so one
module serves every server the benchmark starts:

- ``plain``: plain Django, without ``PreloadMiddleware``;
- ``h2push`` (the default): with ``PreloadMiddleware``, Early Hints on;
- ``nohints``: with ``PreloadMiddleware``, ``H2PUSH_EARLY_HINTS = False``.
"""

import os

from testproject.settings import *  # noqa: F403
from testproject.settings import MIDDLEWARE

VARIANT = os.environ.get("H2PUSH_BENCH_VARIANT", "h2push")
if VARIANT not in ("plain", "h2push", "nohints"):
    raise ValueError(f"unknown H2PUSH_BENCH_VARIANT {VARIANT!r}")

# A benchmark measures what production runs: no debug bookkeeping.
DEBUG = False
ROOT_URLCONF = "bench_urls"

if VARIANT == "plain":
    MIDDLEWARE = [name for name in MIDDLEWARE if name != "h2push.middleware.PreloadMiddleware"]
else:
    MIDDLEWARE = list(MIDDLEWARE)

H2PUSH_EARLY_HINTS = VARIANT != "nohints"
