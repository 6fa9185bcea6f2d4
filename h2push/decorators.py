"""The public home of the view decorators; the code lives in
:mod:`h2push.django_layer.decorators`."""

from h2push.django_layer.decorators import push_static, push_url

__all__ = ["push_static", "push_url"]
