"""Static files as a production server has them: collected into a manifest storage.

Django is imported inside the function, so that importing this module needs no
configured settings (as :mod:`harness.constants`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def collected_manifest(root: Path) -> Iterator[Path]:
    """Within the block: ``DEBUG`` off and ``ManifestStaticFilesStorage`` over
    ``STATIC_ROOT = root``, which ``collectstatic`` filled first (hashed names and
    ``staticfiles.json``). Yields ``root``."""
    from django.core.management import call_command
    from django.test import override_settings

    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(DEBUG=False, STATIC_ROOT=str(root), STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root
