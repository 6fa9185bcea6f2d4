"""h2push: preload links, HTTP/2 server push and 103 Early Hints for Django pages."""

from h2push.django_layer.decorators import push_static, push_url
from h2push.django_layer.preload import Preload
from h2push.django_layer.registry import PushPromises, make_push_promise

__all__ = ["Preload", "PushPromises", "__version__", "make_push_promise", "push_static", "push_url"]

__version__ = "0.1.0"
