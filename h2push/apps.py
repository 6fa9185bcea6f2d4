from __future__ import annotations

from django.apps import AppConfig


class H2PushConfig(AppConfig):
    name = "h2push"
    verbose_name = "HTTP/2 push and preload"

    def ready(self) -> None:
        from h2push import checks  # noqa: F401  (registers the system checks)
        from h2push.registry import install_response_attribute

        install_response_attribute()
