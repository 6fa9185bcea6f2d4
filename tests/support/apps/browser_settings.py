"""The test project's settings, with the request recorder around its application.

Used only by the browser test: ``manage.py runh2server --settings
tests.support.apps.browser_settings`` (with ``$H2PUSH_BROWSER_EVENTS`` naming the events file).
"""

from testproject.settings import *  # noqa: F403

ASGI_APPLICATION = "tests.support.apps.browser_asgi.application"
