"""A shared store keeps a settled route's entry, whatever the cache's TIMEOUT.

h2push writes a route's entry only when its links change. Written with the cache's
own TIMEOUT (Django's default: 300 s), a settled route's entry, never rewritten,
expired: the route went unhinted until two more pages taught it again. Here the
cache's TIMEOUT is one second, and the route is still hinted after it.
"""

from __future__ import annotations

import time

from django.test import Client, override_settings

from h2push.testing import teach

PAGE = "/discovery/?ms=0"
CSS_LINK = "</static/css/discovery.css>; rel=preload; as=style"
SHORT_TIMEOUT = 1
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "learned": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "h2push-store-lifetime",
        "TIMEOUT": SHORT_TIMEOUT,
    },
}


def test_a_learned_entry_outlives_the_caches_timeout() -> None:
    with override_settings(CACHES=CACHES, H2PUSH_LEARN_CACHE="learned"):
        client = Client()
        teach(client, PAGE)
        assert CSS_LINK in client.get(PAGE).headers.get("Link", "")
        time.sleep(SHORT_TIMEOUT + 0.2)
        assert CSS_LINK in client.get(PAGE).headers.get("Link", "")
