"""Settings for ``scripts/demo.sh``: the test project's, with its database in a file.

The test project keeps its database in memory, which suits the tests (every process
starts empty, and a test asserts runserver's unapplied-migrations warning) but
cannot be migrated before ``runh2server`` starts: a ``migrate`` run would migrate a
database that ends with it. The demo migrates this file first instead, so the
server starts without the warning. ``/db.sqlite3`` is ignored by git.
"""

from testproject.settings import *  # noqa: F403
from testproject.settings import BASE_DIR

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
