"""The test project served as in production, static files by WhiteNoise.

``DEBUG`` is off, so runh2server installs no static files handler of its own (unless
``--insecure``), and WhiteNoise's middleware answers ``/static/``: from the finders,
since the test project has no collected ``STATIC_ROOT`` (``None`` here, so WhiteNoise
warns about no missing folder). Used by ``tests/server/test_runh2server_banner.py``.
"""

from testproject.settings import *  # noqa: F403
from testproject.settings import MIDDLEWARE

DEBUG = False
# Right after SecurityMiddleware, where WhiteNoise's documentation puts it.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
