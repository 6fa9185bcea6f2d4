"""h2push.jinja2: Jinja2 templates register preloads as Django templates do.

``push_static()`` and ``push_url()`` render the URL (``push_static`` exactly what
``static()`` renders) and register it with the current response. They reach an
environment three ways: h2push's own ``environment``, the ``PreloadExtension`` in a
project's environment, or ``install()`` called by the project's environment
function. Nothing h2push offers renders an object's repr: ``make_push_promise()``
called as a global renders its URL, in Jinja2 and in Django templates alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pytest
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.template.backends.jinja2 import Jinja2
from django.templatetags.static import static
from django.test import Client
from django.urls import path

from h2push import make_push_promise
from h2push.core.linkheader import split_links
from h2push.django_layer import registry
from h2push.jinja2 import PreloadExtension, install
from harness.constants import CSS_LINK as BASE_CSS_LINK
from harness.constants import JS_LINK as APP_JS_LINK
from tests.support.staticfiles import collected_manifest


def engine(**options: Any) -> Jinja2:
    """A Django Jinja2 engine as a TEMPLATES entry with these OPTIONS builds it."""
    return Jinja2({"NAME": "jinja2-test", "DIRS": [], "APP_DIRS": False, "OPTIONS": options})


H2PUSH_ENGINE = {"environment": "h2push.jinja2.environment"}


def project_environment(**options: Any) -> jinja2.Environment:
    """A project's own environment function, with a global of its own."""
    env = jinja2.Environment(**options)
    env.globals["site_name"] = "Example"
    return env


def project_environment_installing(**options: Any) -> jinja2.Environment:
    return install(project_environment(**options))


def render_registering(
    source: str, options: dict[str, Any] | None = None, **context: Any
) -> tuple[str, list[str]]:
    """Render ``source`` inside an active registry: the output and what it registered."""
    template = engine(**(options or H2PUSH_ENGINE)).from_string(source)
    promises, token = registry.activate()
    try:
        output = template.render(context)
    finally:
        registry.deactivate(token)
    return output, [preload.link_value() for preload in promises.preloads()]


# --- the globals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["css/base.css", "js/app.js", "img/logo.png", "img/a b&c.png", "x.css?v=1&w=2"]
)
def test_push_static_renders_what_static_renders(name: str) -> None:
    static_output, _ = render_registering("{{ static(name) }}", name=name)
    output, registered = render_registering("{{ push_static(name) }}", name=name)
    assert output == static_output
    # Autoescaped like static()'s string: a plain str, escaped once.
    assert output == str(markupsafe.escape(static(name)))
    assert len(registered) == 1
    assert registered[0].startswith(f"<{static(name)}>; rel=preload")


def test_push_static_registers_the_static_url_with_its_options() -> None:
    output, registered = render_registering(
        '<link rel="stylesheet" href="{{ push_static("css/base.css") }}">'
        '<script src="{{ push_static("js/app.js", nopush=True) }}"></script>'
        '{{ push_static("img/logo.png", as_="fetch", crossorigin="use-credentials") }}'
    )
    assert output == (
        '<link rel="stylesheet" href="/static/css/base.css">'
        '<script src="/static/js/app.js"></script>/static/img/logo.png'
    )
    assert registered == [
        BASE_CSS_LINK,
        f"{APP_JS_LINK}; nopush",
        "</static/img/logo.png>; rel=preload; as=fetch; crossorigin=use-credentials",
    ]


def test_push_url_renders_and_registers_any_url() -> None:
    output, registered = render_registering('{{ push_url("/api/menu.json?a=1&b=2") }}')
    assert output == "/api/menu.json?a=1&amp;b=2"
    assert registered == ["</api/menu.json?a=1&b=2>; rel=preload; as=fetch; crossorigin"]


def test_outside_a_request_the_globals_only_render() -> None:
    template = engine(**H2PUSH_ENGINE).from_string('{{ push_static("css/base.css") }}')
    assert template.render({}) == "/static/css/base.css"
    assert registry.current() is None


def test_an_unsafe_url_raises_and_registers_nothing() -> None:
    promises, token = registry.activate()
    try:
        with pytest.raises(ValueError):
            engine(**H2PUSH_ENGINE).from_string('{{ push_url("javascript:alert(1)") }}').render({})
    finally:
        registry.deactivate(token)
    assert list(promises) == []


def test_h2push_environment_has_djangos_usual_globals() -> None:
    output, _ = render_registering('{{ static("css/base.css") }} {{ url("home") }}')
    assert output == "/static/css/base.css /"


# --- composing with a project's own environment ----------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {
            "environment": f"{__name__}.project_environment",
            "extensions": ["h2push.jinja2.PreloadExtension"],
        },
        {"environment": f"{__name__}.project_environment_installing"},
        {"extensions": [PreloadExtension]},  # Jinja2's own Environment
    ],
    ids=["extension", "install", "extension-default-environment"],
)
def test_a_projects_environment_gets_the_globals(options: dict[str, Any]) -> None:
    source = '{{ site_name|default("") }}:{{ push_static("css/base.css") }}'
    output, registered = render_registering(source, options)
    expected_site = "" if "environment" not in options else "Example"
    assert output == f"{expected_site}:/static/css/base.css"
    assert registered == [BASE_CSS_LINK]


# --- never a repr ----------------------------------------------------------------------


@pytest.mark.parametrize("options", [H2PUSH_ENGINE, {}], ids=["h2push", "plain"])
def test_make_push_promise_as_a_global_renders_its_url(options: dict[str, Any]) -> None:
    # The workaround people reach for: make_push_promise() as a global. It returns a
    # Preload, which must render as its URL, escaped once, and never as its repr.
    template = engine(**options).from_string(
        '{{ make_push_promise("/static/css/base.css") }}|{{ make_push_promise("/a?x=1&y=2") }}'
    )
    template.template.environment.globals["make_push_promise"] = make_push_promise
    promises, token = registry.activate()
    try:
        output = template.render({})
    finally:
        registry.deactivate(token)
    assert output == "/static/css/base.css|/a?x=1&amp;y=2"
    assert "Preload(" not in output
    assert list(promises) == ["/static/css/base.css", "/a?x=1&y=2"]


@pytest.mark.parametrize("autoescape", [True, False])
def test_a_preload_renders_as_its_url_in_django_templates(autoescape: bool) -> None:
    preload = registered_preload("/a?x=1&y=2")
    source = "{% autoescape " + ("on" if autoescape else "off") + " %}{{ p }}{% endautoescape %}"
    output = Template(source).render(Context({"p": preload}))
    assert output == ("/a?x=1&amp;y=2" if autoescape else "/a?x=1&y=2")


def registered_preload(url: str) -> Any:
    """What make_push_promise() returns, made inside a registry."""
    _promises, token = registry.activate()
    try:
        return make_push_promise(url)
    finally:
        registry.deactivate(token)


# --- through the middleware -------------------------------------------------------------


def jinja2_page(request: HttpRequest) -> HttpResponse:
    template = engine(**H2PUSH_ENGINE).from_string(
        '<link rel="stylesheet" href="{{ push_static("css/base.css") }}">'
        '<script src="{{ push_static("js/app.js") }}"></script>'
    )
    return HttpResponse(template.render({}, request))


urlpatterns = [path("jinja2-page/", jinja2_page)]


@pytest.mark.urls(__name__)
def test_a_jinja2_page_gets_its_link_header() -> None:
    response = Client().get("/jinja2-page/")
    assert response.status_code == 200
    assert response.content == (
        b'<link rel="stylesheet" href="/static/css/base.css"><script src="/static/js/app.js">'
        b"</script>"
    )
    assert list(split_links(response.headers["Link"])) == [BASE_CSS_LINK, APP_JS_LINK]


def test_the_test_projects_jinja2_page_renders_with_static_only() -> None:
    response = Client().get("/discovery/jinja2/", {"ms": "0"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<link rel="stylesheet" href="/static/css/discovery.css">' in html
    assert '<script type="module" src="/static/js/discovery-module.js"></script>' in html
    assert "Preload(" not in html


# --- the staticfiles manifest -----------------------------------------------------------


@pytest.fixture
def manifest_storage(tmp_path: Path) -> Iterator[Path]:
    with collected_manifest(tmp_path / "staticfiles") as root:
        yield root


def test_manifest_hashed_names_and_missing_names(manifest_storage: Path) -> None:
    static_output, _ = render_registering('{{ static("css/base.css") }}')
    output, registered = render_registering('{{ push_static("css/base.css") }}')
    assert re.fullmatch(r"/static/css/base\.[0-9a-f]{12}\.css", output)
    assert output == static_output
    assert registered == [f"<{output}>; rel=preload; as=style"]

    with pytest.raises(ValueError) as expected:
        render_registering('{{ static("css/missing.css") }}')
    with pytest.raises(ValueError) as got:
        render_registering('{{ push_static("css/missing.css") }}')
    assert str(got.value) == str(expected.value)
