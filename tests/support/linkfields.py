"""The links a ``link`` field line carries.

h2push's 103 carries all its links comma-joined in one ``link`` field (RFC 8288
allows it), whether it goes out as ASGI's ``http.response.early_hint`` (its
``links`` list holds the field), Gunicorn's ``http.response.informational`` or
``wsgi.early_hints``. Tests read the links out of each field with :func:`links_in`,
so that ``[links_in(f) for f in fields] == [[a, b]]`` says: one field, carrying
``a`` and ``b`` in this order.
"""

from __future__ import annotations

from h2push.core.linkheader import split_links

__all__ = ["links_in"]


def links_in(field: str | bytes) -> list[str]:
    """The link values of one ``link`` field line (as bytes or text), in order."""
    text = field.decode() if isinstance(field, bytes) else field
    return list(split_links(text))
