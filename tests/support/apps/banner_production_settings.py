"""The test project with ``DEBUG`` off and nothing to serve static files: runh2server
serves none without ``--insecure``. Used by ``tests/server/test_runh2server_banner.py``.
"""

from testproject.settings import *  # noqa: F403

DEBUG = False
