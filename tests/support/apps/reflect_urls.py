"""A page that puts request input into ``{% static %}``: ``/reflect/?name=css/dark.css``
renders ``<link rel="stylesheet" href="{% static name %}">``, as a theme switcher
might. Two requests that agree make the route learn what they named, so this is how
one client would choose what the route's next visitors are hinted."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.urls import path

PAGE = Template(
    "{% load static %}<!doctype html><html><head>"
    '<link rel="stylesheet" href="{% static name %}"></head><body>reflected</body></html>'
)


def reflect(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE.render(Context({"name": request.GET.get("name", "css/base.css")})))


# Routes of their own (/reflect/, /reflect1/, ...), so a test can teach each afresh:
# discovery reads only some of a route's later pages.
urlpatterns = [path(f"reflect{n or ''}/", reflect, name=f"reflect{n}") for n in range(4)]
