"""Settings of the ``lcp`` benchmark's site (:mod:`benchmarks.lcp`): those of every
benchmark site (:mod:`benchmarks.settings`: ``H2PUSH_BENCH_VARIANT`` picks plain
Django or h2push, ``H2PUSH_BENCH_ASSETS`` adds the folder holding the hero page's
generated stylesheet and image), with :mod:`benchmarks.lcp_urls` as the URLconf and
field learning switched by ``H2PUSH_BENCH_FIELD``:

- ``H2PUSH_FIELD`` is on only where ``H2PUSH_BENCH_FIELD=1``;
- ``H2PUSH_FIELD_CLIENT_HEADER`` names ``X-H2push-Bench-Client``, which the
  benchmark's teaching visits carry (one address each, as a trusted proxy would
  write them); a request without it counts as its peer's address, as usual;
- ``H2PUSH_FIELD_HOLDOUT = 0``: the loads measure hinted visits only, where the
  default would send one navigation in twenty without its 103.

Everything else is the library's defaults (``H2PUSH_FIELD_QUORUM`` 5 among them).
"""

import os

from benchmarks.settings import *  # noqa: F403

FIELD_ENV = "H2PUSH_BENCH_FIELD"
#: The header the teaching visits carry, as Django's ``request.META`` names it.
CLIENT_META = "HTTP_X_H2PUSH_BENCH_CLIENT"

ROOT_URLCONF = "benchmarks.lcp_urls"
H2PUSH_FIELD = os.environ.get(FIELD_ENV) == "1"
H2PUSH_FIELD_CLIENT_HEADER = CLIENT_META
H2PUSH_FIELD_HOLDOUT = 0.0
