"""What h2push asks of the static files: whether a name is one, and its size.

In development the finders know the files. In production the storage does: with a
manifest (``ManifestStaticFilesStorage``, or django-storages' manifest storages) the
names are read from the manifest the storage loaded once, without touching a disk
or a network; any other storage is asked once per name, and its answer kept (a
remote one, such as S3 through django-storages, costs one request per name, never
one per page). A local storage without ``STATIC_ROOT`` holds nothing yet.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import FileSystemStorage
from django.utils.functional import empty

from h2push.core import caches

__all__ = ["built_storage", "exists", "exists_now", "names_files", "size"]


def names_files(setting: str) -> bool:
    """Whether ``setting`` changes which static files there are, or their names."""
    return setting.startswith("STATIC") or setting in ("STORAGES", "INSTALLED_APPS", "DEBUG")


@caches.per_process(4096, when=names_files)
def exists(name: str) -> bool:
    """Whether static file ``name`` exists (a source name, or a hashed one from the
    manifest); ``False`` when nothing can tell, and never an error. Asked once."""
    manifest = _manifest_names()
    if manifest is not None and name in manifest:
        return True
    return exists_now(name)


def exists_now(name: str) -> bool:
    """Whether the finders or the storage itself have ``name`` now, asked anew: for a
    system check, which runs rarely and must see the files as they are."""
    if finders.find(name) is not None:
        return True
    try:
        return _storage_holds_files() and bool(staticfiles_storage.exists(name))
    except Exception:  # a storage that cannot answer (remote, misconfigured)
        return False


@caches.per_process(4096, when=names_files)
def size(name: str) -> int | None:
    """The size in bytes of static file ``name``; ``None`` if unknown."""
    found = finders.find(name)
    if isinstance(found, str):
        try:
            return FileSystemStorage(location="/").size(found)
        except OSError:
            return None
    try:
        return int(staticfiles_storage.size(name)) if _storage_holds_files() else None
    except Exception:  # a storage that cannot answer: not hinted, never an error
        return None


@caches.per_process(1, when=names_files)
def _manifest_names() -> frozenset[str] | None:
    """Every name a manifest storage knows (source and hashed), or ``None`` for a
    storage without one (or whose manifest is empty: not collected yet)."""
    try:
        hashed = getattr(staticfiles_storage, "hashed_files", None)
    except Exception:  # the storage failed to load its manifest
        return None
    if not isinstance(hashed, dict) or not hashed:
        return None
    return frozenset(hashed) | frozenset(hashed.values())


def _storage_holds_files() -> bool:
    # A local storage holds files only once collectstatic has a STATIC_ROOT to fill;
    # a remote one (any other class) holds what was uploaded to it.
    if settings.STATIC_ROOT:
        return True
    storage = built_storage()
    return storage is not None and not isinstance(storage, FileSystemStorage)


@caches.per_process(1, when=names_files)
def built_storage() -> Any:
    """The static files storage itself (``staticfiles_storage`` is a lazy stand-in,
    each attribute a detour through it); ``None`` if it cannot be built."""
    lazy: Any = staticfiles_storage  # a LazyObject, built on first use
    try:
        if lazy._wrapped is empty:
            lazy._setup()
        return lazy._wrapped
    except Exception:  # the storage cannot even be built
        return None
