"""The test project's settings with django-debug-toolbar and h2push's panel.

Used by the panel's tests (in a subprocess: see
:mod:`tests.support.apps.toolbar_visit`) and for the docs' screenshot
(``manage.py runh2server --settings tests.support.apps.toolbar_settings``). The
demo's own settings never name the toolbar: it stays an optional extra.
"""

from testproject.settings import *  # noqa: F403
from testproject.settings import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [*INSTALLED_APPS, "debug_toolbar"]
# The toolbar first, as its docs ask: it then sees the Link header h2push wrote,
# and h2push never reads (or learns from) the toolbar's HTML.
MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "tests.support.apps.toolbar_urls"
INTERNAL_IPS = ["127.0.0.1", "::1"]

DEBUG_TOOLBAR_PANELS = [
    "debug_toolbar.panels.history.HistoryPanel",
    "debug_toolbar.panels.versions.VersionsPanel",
    "debug_toolbar.panels.timer.TimerPanel",
    "debug_toolbar.panels.settings.SettingsPanel",
    "debug_toolbar.panels.headers.HeadersPanel",
    "debug_toolbar.panels.request.RequestPanel",
    "debug_toolbar.panels.staticfiles.StaticFilesPanel",
    "debug_toolbar.panels.templates.TemplatesPanel",
    "h2push.debug_toolbar.H2PushPanel",
]
