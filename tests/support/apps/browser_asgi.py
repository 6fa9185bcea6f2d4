"""The test project's ASGI application wrapped in :class:`RequestRecorder`."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.apps.browser_settings")

from testproject.asgi import application as project_application
from tests.support.apps.browser_recorder import RequestRecorder

application = RequestRecorder(project_application)
