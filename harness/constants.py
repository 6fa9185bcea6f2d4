"""Names and numbers that several test modules and the benchmarks need.

Plain values only (no Django import), so that subprocess helpers and the benchmarks
can import this module without configuring Django first. The test sites' settings and
applications are named here as dotted strings for the subprocesses that import them;
this package never imports them itself.
"""

from __future__ import annotations

from pathlib import Path

#: The repository's root: the working directory of every server subprocess.
REPO = Path(__file__).resolve().parents[1]
MANAGE = REPO / "manage.py"
#: The test project's static files (``STATICFILES_DIRS``), read to compare bodies.
STATIC_DIR = REPO / "testproject" / "static"

# Settings modules and ASGI applications, as dotted paths: subprocesses get them as
# strings, so a moved module must be renamed here and nowhere else.
SETTINGS = "testproject.settings"
EARLY_SETTINGS = "tests.support.apps.early_settings"
EARLY_URLS = "tests.support.apps.early_urls"
EARLY_ASGI_APP = "tests.support.apps.early_asgi:application"
BROWSER_SETTINGS = "tests.support.apps.browser_settings"
PROBE_ASGI_APP = "tests.support.apps.probe_app:app"
REDIS_SETTINGS = "tests.support.apps.redis_settings"
HARDENING_SETTINGS = "tests.support.apps.hardening_settings"
WRONG_TYPE_SETTINGS = "tests.support.apps.wrong_type_settings"

# The test project's two assets that its pages push or hint.
CSS_PATH = "/static/css/base.css"
JS_PATH = "/static/js/app.js"
CSS_LINK = f"<{CSS_PATH}>; rel=preload; as=style"
JS_LINK = f"<{JS_PATH}>; rel=preload; as=script"

#: Seconds a server subprocess gets to accept connections.
START_TIMEOUT = 30.0
#: Seconds a server subprocess gets to exit after the first signal.
STOP_TIMEOUT = 10.0
