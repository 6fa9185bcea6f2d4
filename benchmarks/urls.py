"""URLs for the benchmark servers: one page twice, once with ``{% static %}`` and once
with ``{% push_static %}``, beside all of the test project's pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

FORM = "a benchmark page"


def static_page(request: HttpRequest) -> HttpResponse:
    """plain.html: assets named with ``{% static %}``, so nothing is registered."""
    return render(request, "plain.html", {"form": FORM})


def push_page(request: HttpRequest) -> HttpResponse:
    """home.html: the same HTML, assets named with ``{% push_static %}``."""
    return render(request, "home.html", {"form": FORM})


urlpatterns = [
    path("bench/static/", static_page, name="bench-static"),
    path("bench/push/", push_page, name="bench-push"),
    path("", include("testproject.urls")),
]
