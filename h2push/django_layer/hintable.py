"""Whether a static file may be hinted to a route's later visitors.

What a route learned, and what discovery found in its HTML, reaches every visitor
after it. A page that puts request input into ``{% static %}`` or ``static()`` lets
the client that sends it choose those links (two of its requests are enough for the
route's pages to agree), so a learned or discovered link is hinted only when its file
is what the link says it is: a stylesheet's file is CSS, a font's a font, and so on
(the destination its extension implies is the link's ``as``), and it is no larger than
``H2PUSH_LEARN_MAX_FILE_BYTES``. Links a view declares are the developer's choice and
are not checked here.
"""

from __future__ import annotations

from h2push.django_layer import staticnames
from h2push.django_layer.preload import Preload, destination_for

__all__ = ["fits"]


def fits(preload: Preload, name: str, max_bytes: int) -> bool:
    """Whether static file ``name`` (it exists) matches ``preload``'s ``as`` and
    size bound."""
    if destination_for(name) != preload.as_:
        return False
    size = staticnames.size(name)
    return size is not None and size <= max_bytes
