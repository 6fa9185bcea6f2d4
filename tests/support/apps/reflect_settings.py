"""The test project with the reflecting page (:mod:`tests.support.apps.reflect_urls`)
and a second static folder named by ``H2PUSH_TEST_EXTRA_STATIC``, where a test puts
the large and mislabelled files it wants an attacker to name."""

from __future__ import annotations

import os

from testproject.settings import *  # noqa: F403
from testproject.settings import STATICFILES_DIRS

ROOT_URLCONF = "tests.support.apps.reflect_urls"
STATICFILES_DIRS = [*STATICFILES_DIRS, os.environ["H2PUSH_TEST_EXTRA_STATIC"]]
