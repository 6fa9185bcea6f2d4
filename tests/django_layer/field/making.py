"""Samples and stores for the tests of the field's samples, quorum and report."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache import caches
from django.test import override_settings

from h2push.core import caches as h2push_caches
from h2push.django_layer.field.sample import HintUse, LcpElement, Sample, ViewportGroup
from tests.support.failing_caches import learned_store

ROUTE = "localhost hero/"
HERO = LcpElement("/static/img/hero.jpg", is_image=True)
CSS = "/static/css/site.css"
OLD_JS = "/static/js/old.js"
FIELD_CACHE = "h2push-field"


def used(url: str) -> HintUse:
    return HintUse(url, used=True, initiator="early-hints", response_end_ms=120.0)


def unused(url: str) -> HintUse:
    return HintUse(url, used=False, initiator="early-hints", response_end_ms=140.0)


def sample(
    client: str = "client-1",
    *,
    route: str = ROUTE,
    group: ViewportGroup = ViewportGroup.DESKTOP,
    lcp: LcpElement | None = HERO,
    lcp_ms: float | None = 800.0,
    fcp_ms: float | None = 300.0,
    holdout: bool = False,
    hints: tuple[HintUse, ...] = (),
) -> Sample:
    return Sample(
        route=route,
        group=group,
        client=client,
        lcp=lcp,
        lcp_ms=lcp_ms,
        fcp_ms=fcp_ms,
        had_early_hint=not holdout,
        holdout=holdout,
        hints=hints,
    )


def cache_settings(backend: str, **more: Any) -> dict[str, Any]:
    """Settings that put the learned store, and so the samples, in a cache of ``backend``."""
    # Far more than a locmem call takes on a busy machine: a call that misses the
    # deadline would read as a failing store.
    more.setdefault("H2PUSH_LEARN_TIMEOUT_MS", 5000)
    return learned_store(backend, "h2push-field-tests", FIELD_CACHE, **more)


@contextmanager
def locmem_store(**more: Any) -> Iterator[None]:
    """The samples in an empty Django locmem cache, as they would be in Redis."""
    with override_settings(
        **cache_settings("django.core.cache.backends.locmem.LocMemCache", **more)
    ):
        caches[FIELD_CACHE].clear()
        yield
        caches[FIELD_CACHE].clear()


def forget_everything() -> None:
    """No store, memo or warning of another test."""
    h2push_caches.forget()
