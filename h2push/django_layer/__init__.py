"""The Django layer: decides *what* a page preloads.

Declarations (:mod:`~h2push.django_layer.registry`, :mod:`~h2push.django_layer.decorators`),
discovery from the HTML (:mod:`~h2push.django_layer.discovery`), learning per route
(:mod:`~h2push.django_layer.learning` and its stores), the settings and their checks,
and the middleware that turns a request's links into a ``Link`` header. It never imports
the delivery layer: the two meet in :mod:`h2push.core.contract`.
"""
