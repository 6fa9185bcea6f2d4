"""The ASGI adapter's options, as one request reads them."""

from __future__ import annotations

from dataclasses import dataclass

from h2push.core.contract import DEFAULT_COPY_HEADERS
from h2push.delivery.links import header_names

__all__ = ["Options"]


@dataclass(frozen=True)
class Options:
    """The adapter's options, as one request sees them (see :class:`DeliveryMiddleware`)."""

    push: bool = True
    early_hints: bool = True
    copy_headers: frozenset[bytes] = header_names(DEFAULT_COPY_HEADERS)
    push_budget: int = 32
    digest_key: bytes | None = None
    informational_hints: bool = False
    # Origins besides the request's own whose preloads a 103 may carry.
    asset_origins: frozenset[str] = frozenset()
