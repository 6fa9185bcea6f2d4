"""The public home of :class:`PreloadMiddleware` (``"h2push.middleware.PreloadMiddleware"``
in ``MIDDLEWARE``); the code lives in :mod:`h2push.django_layer.middleware`."""

from h2push.django_layer.middleware import PreloadMiddleware, merge_preload_links

__all__ = ["PreloadMiddleware", "merge_preload_links"]
