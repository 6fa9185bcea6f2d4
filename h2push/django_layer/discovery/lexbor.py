"""How much of a page Lexbor can read within a CPU budget.

Lexbor's tree builder does work that grows with the square of the input for some
markup: each nested ``<div>`` or ``<li>`` scans the stack of open elements, each
formatting element with new attributes scans the list of active formatting
elements, and a text node re-opens every formatting element still listed (so a few
bytes can create thousands of elements). 0.9 MB of nested ``<div>`` took over a
minute. No count of bytes or tags bounds that, so the page is measured instead:
:func:`affordable_length` feeds it to Lexbor's incremental parser a small chunk at
a time and stops once the parse has used its CPU budget.

selectolax has no interface for an incremental parse, but its extension module is
Lexbor itself, with Lexbor's C functions exported; they are called through
:mod:`ctypes` (which lets other threads run meanwhile). Where those functions
cannot be found (a selectolax built differently), :func:`affordable_length` falls
back to a count of the page's tags (see :data:`FALLBACK_MAX_TAGS`).
"""

from __future__ import annotations

import ctypes
import time
from typing import Any

from selectolax import lexbor as _selectolax_lexbor

__all__ = ["FALLBACK_MAX_TAGS", "affordable_length", "incremental"]

#: Without the incremental parser, a page with more ``<`` than this is not read:
#: the worst markup of that many tags costs a few milliseconds.
FALLBACK_MAX_TAGS = 300

_OK = 0


class _Lexbor:
    """The few Lexbor functions an incremental parse needs, with their C types."""

    def __init__(self, library: ctypes.CDLL) -> None:
        document = ctypes.c_void_p
        self.create = _typed(library.lxb_html_document_create, [], document)
        self.destroy = _typed(library.lxb_html_document_destroy, [document], document)
        self.scripting = _typed(
            library.lxb_dom_document_scripting_set_noi, [document, ctypes.c_bool], None
        )
        self.begin = _typed(library.lxb_html_document_parse_chunk_begin, [document], ctypes.c_uint)
        self.chunk = _typed(
            library.lxb_html_document_parse_chunk,
            [document, ctypes.c_char_p, ctypes.c_size_t],
            ctypes.c_uint,
        )
        self.end = _typed(library.lxb_html_document_parse_chunk_end, [document], ctypes.c_uint)


def _typed(function: Any, arguments: list[Any], result: Any) -> Any:
    function.argtypes = arguments
    function.restype = result
    return function


def _bind() -> _Lexbor | None:
    try:
        return _Lexbor(ctypes.CDLL(_selectolax_lexbor.__file__))
    except (OSError, AttributeError, TypeError):
        return None


_lexbor = _bind()


def incremental() -> bool:
    """Whether Lexbor's incremental parser could be reached (else the fallback)."""
    return _lexbor is not None


def affordable_length(page: bytes, seconds: float, chunk: int) -> int:
    """How many leading bytes of ``page`` (UTF-8) Lexbor parses within ``seconds``
    of this thread's CPU time, in steps of ``chunk`` bytes: ``len(page)`` when it
    reads the whole page in time. The parse of that prefix costs about as much
    again, and the last chunk may overrun the budget by that chunk's cost."""
    if _lexbor is None:
        return len(page) if page.count(b"<") <= FALLBACK_MAX_TAGS else 0
    document = _lexbor.create()
    if not document:
        raise MemoryError("Lexbor could not make a document")
    try:
        # As the real parse does: <noscript> holds text, as in a browser with scripts.
        _lexbor.scripting(document, True)
        if _lexbor.begin(document) != _OK:
            raise RuntimeError("Lexbor refused to start a parse")
        return _feed(document, page, seconds, chunk)
    finally:
        _lexbor.destroy(document)


def _feed(document: int, page: bytes, seconds: float, chunk: int) -> int:
    assert _lexbor is not None
    started = time.thread_time()
    for start in range(0, len(page), chunk):
        piece = page[start : start + chunk]
        if _lexbor.chunk(document, piece, len(piece)) != _OK:
            raise RuntimeError("Lexbor failed to parse a chunk")
        if time.thread_time() - started > seconds:
            return start + len(piece)
    _lexbor.end(document)
    return len(page)
