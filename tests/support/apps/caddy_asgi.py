"""The ASGI application of the Deploying page's Gunicorn ASGI worker recipe, for the
tests behind Caddy: h2push's :func:`~h2push.asgi.get_asgi_application` with
:mod:`tests.support.apps.caddy_settings` (``gunicorn -k asgi
tests.support.apps.caddy_asgi:application``).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.apps.caddy_settings")

from h2push.asgi import get_asgi_application

application = get_asgi_application()
