"""h2push.W002: a ``@push_static`` name that no static file answers to.

The check walks the URLconf (function views, ``as_view()`` of decorated classes,
decorated ``as_view()`` results, nested includes) and looks each declared static
name up with the static files finders, then in the storage that collectstatic
filled. This module is its own URLconf: its views declare real and missing names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import checks
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import include, path
from django.views import View

from h2push import push_static, push_url
from h2push.django_layer.checks import check_static_names
from tests.support.staticfiles import collected_manifest

MODULE = __name__


@push_static("css/base.css", "js/app.js")
def real_names(request: HttpRequest) -> HttpResponse:
    return HttpResponse("real")


@push_static("css/base.css", "css/missing.css")
def one_missing(request: HttpRequest) -> HttpResponse:
    return HttpResponse("one missing")


@push_static("js/gone.js")
class MissingClassView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("class")


class PlainView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("plain")


@push_static("fonts/absent.woff2")
async def nested_missing(request: HttpRequest) -> HttpResponse:
    return HttpResponse("nested")


@push_url("/static/not/checked.css")
def url_declared(request: HttpRequest) -> HttpResponse:
    # push_url takes any URL: it is not a static name, so the check leaves it alone.
    return HttpResponse("url")


@push_static("css/base.css?v=2")
def with_query(request: HttpRequest) -> HttpResponse:
    return HttpResponse("query")


inner = [
    path("deep/", nested_missing),
    path("deeper/", include([path("again/", nested_missing)])),
]

urlpatterns = [
    path("real/", real_names),
    path("one-missing/", one_missing),
    path("class/", MissingClassView.as_view()),
    path("decorated-as-view/", push_static("img/nope.png")(PlainView.as_view())),
    path("url/", url_declared),
    path("query/", with_query),
    path("nested/", include(inner)),
]


def w002(messages: list[checks.CheckMessage]) -> list[checks.CheckMessage]:
    return [m for m in messages if m.id == "h2push.W002"]


@override_settings(ROOT_URLCONF=MODULE)
def test_each_missing_name_warns_with_the_views_dotted_path() -> None:
    found = w002(check_static_names())
    by_text = {m.msg: m for m in found}
    expected = [
        (f"{MODULE}.one_missing", "css/missing.css"),
        (f"{MODULE}.MissingClassView", "js/gone.js"),
        (f"{MODULE}.PlainView", "img/nope.png"),
        (f"{MODULE}.nested_missing", "fonts/absent.woff2"),
    ]
    assert len(found) == len(expected), [m.msg for m in found]
    for dotted_path, name in expected:
        (message,) = [m for m in by_text.values() if m.msg.startswith(f"{dotted_path} ")]
        assert repr(name) in message.msg
        assert isinstance(message, checks.Warning)
        assert message.level == checks.WARNING
        assert message.hint and "{% static %}" in message.hint


@override_settings(ROOT_URLCONF=MODULE)
def test_no_warning_for_real_names_urls_or_names_with_a_query() -> None:
    found = " ".join(m.msg for m in w002(check_static_names()))
    assert "real_names" not in found
    assert "css/base.css'" not in found
    assert "url_declared" not in found
    assert "with_query" not in found


@override_settings(ROOT_URLCONF=MODULE)
def test_a_view_reached_twice_warns_once() -> None:
    # nested_missing sits under two includes; one warning says all there is to say.
    found = [m for m in w002(check_static_names()) if "nested_missing" in m.msg]
    assert len(found) == 1


@override_settings(ROOT_URLCONF=MODULE)
def test_runs_with_djangos_checks() -> None:
    assert check_static_names in checks.registry.registry.get_checks()
    ran = [m for m in checks.run_checks() if m.id == "h2push.W002"]
    assert len(ran) == 4


def test_the_test_projects_declarations_are_all_real() -> None:
    assert w002(check_static_names()) == []


@pytest.fixture
def collected_only(tmp_path: Path) -> Iterator[Path]:
    """collectstatic into a manifest storage, then no finder left: what a production
    server without the source folders knows."""
    with (
        collected_manifest(tmp_path / "staticfiles") as root,
        override_settings(STATICFILES_FINDERS=[]),
    ):
        yield root


@override_settings(ROOT_URLCONF=MODULE)
def test_after_collectstatic_the_storage_answers(collected_only: Path) -> None:
    found = " ".join(m.msg for m in w002(check_static_names()))
    assert "real_names" not in found  # known from the collected files alone
    assert f"{MODULE}.one_missing" in found
    # The control: the same name, once its collected file is gone, warns.
    (collected_only / "js" / "app.js").unlink()
    found = " ".join(m.msg for m in w002(check_static_names()))
    assert f"{MODULE}.real_names declares @push_static('js/app.js')" in found


@override_settings(ROOT_URLCONF="tests.django_layer.no_such_urlconf")
def test_a_broken_urlconf_is_left_to_djangos_own_check() -> None:
    assert check_static_names() == []
