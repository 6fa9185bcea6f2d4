"""Reading the site's own stylesheets from disk, through Django's static files.

A stylesheet is read from the file that serves it: the static files finders in
development (``DEBUG``), the storage's ``STATIC_ROOT`` after ``collectstatic``
(manifest-hashed names are files there too), each trying the other next. Only a
storage on the local file system is read: a remote one (S3, a CDN's API) would
cost a network round trip on the request path. Nothing is ever fetched over HTTP.

What a stylesheet references is kept per file (bounded, least recently used first
out) with the file's size and modification time, so an edited file is read again.
A stylesheet is scanned rather than tokenised whole (:mod:`h2push.django_layer.discovery.cssscan`),
within a CPU budget of its own (:data:`~h2push.django_layer.discovery.budget.SHEET_SECONDS`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage

from h2push.django_layer.discovery.budget import Budget, Deferred, OverBudget
from h2push.django_layer.discovery.css import SheetContents, read_sheet

__all__ = ["MAX_SHEET_BYTES", "clear", "contents_of"]

logger = logging.getLogger("h2push")

#: A stylesheet larger than this is not read for fonts.
MAX_SHEET_BYTES = 1024 * 1024
_MAX_SHEETS = 256

Warn = Callable[[str, BaseException], None]
_Signature = tuple[int, int]  # (size, modification time in ns)
_sheets: OrderedDict[str, tuple[str, _Signature, SheetContents]] = OrderedDict()
_lock = threading.Lock()


def clear() -> None:
    with _lock:
        _sheets.clear()


def contents_of(name: str, warn: Warn, budget: Budget) -> SheetContents:
    """What the stylesheet that is the static file ``name`` (still quoted)
    references; nothing for a file that cannot be found or read.

    Kept per file name, not per URL: ``?v=1`` and ``?v=2`` name the same file, and
    a page must not make a stylesheet be read again by naming it anew. A file not
    read yet is read within ``budget`` (see :meth:`Budget.may_read_sheet`)."""
    key = unquote(name)
    with _lock:
        cached = _sheets.get(key)
    if cached is not None:
        path, signature, contents = cached
        if _signature(path) == signature:
            with _lock:
                if key in _sheets:
                    _sheets.move_to_end(key)
            return contents
    path_found = _locate(key)
    if path_found is None:
        return SheetContents()
    signature_now = _signature(path_found)
    if signature_now is None or signature_now[0] > MAX_SHEET_BYTES:
        return SheetContents()
    if not budget.may_read_sheet(signature_now[0]):
        return SheetContents()  # the page's time is up: a later reading reads it
    read = _read(path_found, key, warn, budget)
    if read is None:
        return SheetContents()
    _keep(key, path_found, signature_now, read)
    return read


def _read(path: str, name: str, warn: Warn, budget: Budget) -> SheetContents | None:
    """The file's references; ``None`` if it could not be read (not kept, so it is
    tried again)."""
    try:
        with open(path, "rb") as sheet:
            data = sheet.read(MAX_SHEET_BYTES + 1)
    except (OSError, ValueError) as error:
        warn("reading a stylesheet", error)
        return None
    if len(data) > MAX_SHEET_BYTES:
        return SheetContents()
    contents = read_sheet(data, budget.sheet_deadline())
    if contents.unread is not None:
        if budget.inline:
            raise Deferred("a stylesheet takes longer to read than the event loop may wait")
        warn("reading a stylesheet", OverBudget(f"{name}: {contents.unread}"))
    return contents


def _keep(key: str, path: str, signature: _Signature, contents: SheetContents) -> None:
    with _lock:
        _sheets[key] = (path, signature, contents)
        _sheets.move_to_end(key)
        while len(_sheets) > _MAX_SHEETS:
            _sheets.popitem(last=False)


def _signature(path: str) -> _Signature | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL byte, from a %00 in the URL
        return None
    return status.st_size, status.st_mtime_ns


def _locate(name: str) -> str | None:
    """The file that serves the static file ``name``, where one is on disk."""
    if not name or name.endswith("/"):
        return None
    order = (_found, _collected) if settings.DEBUG else (_collected, _found)
    for where in order:
        path = where(name)
        if path is not None and os.path.isfile(path):
            return path
    return None


def _found(name: str) -> str | None:
    try:
        path = finders.find(name)
    except (SuspiciousFileOperation, ImproperlyConfigured, ValueError):
        return None
    return path if isinstance(path, str) else None


def _collected(name: str) -> str | None:
    if not settings.STATIC_ROOT or not isinstance(staticfiles_storage, FileSystemStorage):
        return None
    try:
        return str(staticfiles_storage.path(name))
    except (SuspiciousFileOperation, ImproperlyConfigured, NotImplementedError, ValueError):
        return None
