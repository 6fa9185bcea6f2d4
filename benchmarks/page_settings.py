"""Settings for the browser, cost, push-vs-pull and growth benchmarks.

Those of :mod:`benchmarks.settings` (the test project run as in production, the
variant picked by ``H2PUSH_BENCH_VARIANT``), with :mod:`benchmarks.page_urls` as the
URLconf and, where ``H2PUSH_BENCH_ASSETS`` names a folder, that folder among the
static files (see :mod:`benchmarks.assets`).
"""

import os
from pathlib import Path

from benchmarks.assets import ASSETS_ENV
from benchmarks.settings import *  # noqa: F403
from benchmarks.settings import STATICFILES_DIRS

ROOT_URLCONF = "benchmarks.page_urls"

if os.environ.get(ASSETS_ENV):
    STATICFILES_DIRS = [*STATICFILES_DIRS, Path(os.environ[ASSETS_ENV])]
