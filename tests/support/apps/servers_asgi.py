"""ASGI application for the end-to-end tests of Early Hints through Uvicorn, Daphne,
Gunicorn's ASGI worker and Hypercorn: the test app as a site would serve it, through
:func:`h2push.asgi.get_asgi_application` (which also answers the lifespan protocol).

The settings module comes from ``DJANGO_SETTINGS_MODULE``
(:mod:`tests.support.apps.servers_settings` unless the test names another).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.apps.servers_settings")

from h2push.asgi import get_asgi_application

application = get_asgi_application()
