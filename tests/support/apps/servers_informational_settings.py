""":mod:`tests.support.apps.servers_settings` with the opt-in for servers that take a
103 as ``http.response.informational`` without advertising it (Gunicorn's ASGI worker)."""

from tests.support.apps.servers_settings import *  # noqa: F403

H2PUSH_EARLY_HINTS_AS_INFORMATIONAL = True
