from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class H2PushConfig(AppConfig):
    name = "h2push"
    verbose_name = "HTTP/2 push and preload"

    def ready(self) -> None:
        from h2push.django_layer.checks import check_settings, check_static_names
        from h2push.django_layer.registry import install_response_attribute

        checks.register(check_settings)
        checks.register(check_static_names)
        install_response_attribute()
