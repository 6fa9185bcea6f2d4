"""Reading the site's own stylesheets from disk, through Django's static files.

A stylesheet is read from the file that serves it: the static files finders in
development (``DEBUG``), the storage's ``STATIC_ROOT`` after ``collectstatic``
(manifest-hashed names are files there too), each trying the other next. Only a
storage on the local file system is read: a remote one (S3, a CDN's API) would
cost a network round trip on the request path. Nothing is ever fetched over HTTP.

What a stylesheet references is kept per URL (bounded, least recently used first
out) with the file's size and modification time, so an edited file is read again.
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

from h2push.discovery.css import SheetContents, read_sheet

__all__ = ["MAX_SHEET_BYTES", "clear", "contents_of"]

logger = logging.getLogger("h2push")

#: A stylesheet larger than this is not read for fonts.
MAX_SHEET_BYTES = 1024 * 1024
_MAX_SHEETS = 256

_Signature = tuple[int, int]  # (size, modification time in ns)
_sheets: OrderedDict[str, tuple[str, _Signature, SheetContents]] = OrderedDict()
_lock = threading.Lock()


def clear() -> None:
    with _lock:
        _sheets.clear()


def contents_of(url: str, name: str, warn: Callable[[str, BaseException], None]) -> SheetContents:
    """What the stylesheet at ``url`` (the static file ``name``, still quoted)
    references; nothing for a file that cannot be found or read."""
    with _lock:
        cached = _sheets.get(url)
    if cached is not None:
        path, signature, contents = cached
        if _signature(path) == signature:
            with _lock:
                if url in _sheets:
                    _sheets.move_to_end(url)
            return contents
    path_found = _locate(unquote(name))
    if path_found is None:
        return SheetContents()
    signature_now = _signature(path_found)
    if signature_now is None or signature_now[0] > MAX_SHEET_BYTES:
        return SheetContents()
    try:
        with open(path_found, "rb") as sheet:
            data = sheet.read(MAX_SHEET_BYTES + 1)
    except (OSError, ValueError) as error:
        warn("reading a stylesheet", error)
        return SheetContents()
    contents = read_sheet(data) if len(data) <= MAX_SHEET_BYTES else SheetContents()
    with _lock:
        _sheets[url] = (path_found, signature_now, contents)
        _sheets.move_to_end(url)
        while len(_sheets) > _MAX_SHEETS:
            _sheets.popitem(last=False)
    return contents


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
