"""URLs for ``scripts/benchmark.py``: the same page with ``{% static %}`` and with
``{% push_static %}``, next to every test project page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

FORM = "a benchmark page"


def static_page(request: HttpRequest) -> HttpResponse:
    """plain.html: its assets through ``{% static %}`` (nothing registered)."""
    return render(request, "plain.html", {"form": FORM})


def push_page(request: HttpRequest) -> HttpResponse:
    """home.html: the same HTML, its assets through ``{% push_static %}``."""
    return render(request, "home.html", {"form": FORM})


urlpatterns = [
    path("bench/static/", static_page, name="bench-static"),
    path("bench/push/", push_page, name="bench-push"),
    path("", include("testproject.urls")),
]
