"""The WSGI application Gunicorn serves behind Caddy in the browser benchmark.

``harness/caddy_stack.py`` starts Gunicorn with the Caddy tests' settings in the
environment; the benchmark serves its own pages, so this module names
:mod:`benchmarks.settings` (h2push's default settings) before Django loads. It is
apart from :mod:`benchmarks.asgi` because Gunicorn's WSGI worker imports it.
"""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
os.environ.setdefault("H2PUSH_BENCH_VARIANT", "h2push")

from h2push.wsgi import get_wsgi_application

application = get_wsgi_application()
