"""WSGI entry point: ``gunicorn testproject.wsgi``; 103s where the server offers them."""

import os

from h2push.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")

application = get_wsgi_application()
