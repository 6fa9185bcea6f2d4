"""ASGI entry point: Channels routes HTTP through the h2push adapter."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application
from django.urls import path

from h2push.asgi import H2PushMiddleware

django_application = get_asgi_application()

from testproject.consumers import EchoConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": H2PushMiddleware(django_application),
        "websocket": URLRouter([path("ws/echo/", EchoConsumer.as_asgi())]),
    }
)
