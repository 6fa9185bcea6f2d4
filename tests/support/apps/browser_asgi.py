"""The test project's ASGI application wrapped in :class:`RequestRecorder`."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.apps.browser_settings")

from harness.browser_recorder import RequestRecorder
from testproject.asgi import application as project_application

application = RequestRecorder(project_application)
