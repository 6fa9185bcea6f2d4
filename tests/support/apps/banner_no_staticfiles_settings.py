"""The test project without ``django.contrib.staticfiles``: runh2server has no static
files handler to install. Used by ``tests/server/test_runh2server_banner.py``.
"""

from testproject.settings import *  # noqa: F403
from testproject.settings import INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "django.contrib.staticfiles"]
