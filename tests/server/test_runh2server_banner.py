"""The ``Static files:`` line of runh2server's banner says what really serves them.

Three answers, each checked against a real server by asking for a static file:
runh2server's own development handler (``DEBUG``, or ``--insecure``), WhiteNoise's
middleware (in ``MIDDLEWARE``, when runh2server serves none), or nobody, with the
reason. WhiteNoise's responses are told apart by ``Access-Control-Allow-Origin: *``,
which it adds by default and Django's handler never does. The odd configurations
(a subclass of WhiteNoise's middleware, a ``STATIC_URL`` on another host) are
checked on the line alone.
"""

from __future__ import annotations

import importlib.util
import time
from typing import TYPE_CHECKING

import pytest

from h2push.management.commands.runh2server import static_files_line
from h2push.probe import Exchange, H2Connection
from harness.certificates import cafile
from harness.constants import CSS_PATH, JS_PATH

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper

    from harness.processes import ServerProcess
    from harness.servers import H2ServerFactory

WHITENOISE_SETTINGS = "tests.support.apps.banner_whitenoise_settings"
PRODUCTION_SETTINGS = "tests.support.apps.banner_production_settings"
NO_STATICFILES_SETTINGS = "tests.support.apps.banner_no_staticfiles_settings"
WHITENOISE = "whitenoise.middleware.WhiteNoiseMiddleware"

needs_whitenoise = pytest.mark.skipif(
    importlib.util.find_spec("whitenoise") is None, reason="whitenoise is not installed"
)


def static_line(server: ServerProcess) -> str:
    """The banner's ``Static files:`` line (the banner is written just after binding)."""
    deadline = time.monotonic() + 10
    while "Quit the server with" not in server.output():
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.05)
    lines = [line for line in server.output().splitlines() if line.startswith("Static files:")]
    assert len(lines) == 1, server.output()
    return lines[0]


def get(server: ServerProcess, path: str) -> Exchange:
    with H2Connection("127.0.0.1", server.port, cafile=cafile(server), timeout=30) as connection:
        return connection.request(path)


def by_whitenoise(exchange: Exchange) -> bool:
    return exchange.header("access-control-allow-origin") == "*"


# ============================================================== against a real server


@pytest.mark.e2e
def test_runh2server_serves_them_in_debug(h2server: ServerProcess) -> None:
    assert static_line(h2server) == (
        "Static files: served by runh2server at /static/ (from the staticfiles finders)"
    )
    asset = get(h2server, CSS_PATH)
    assert asset.status == 200
    assert not by_whitenoise(asset)


@needs_whitenoise
@pytest.mark.e2e
def test_whitenoise_serves_them_without_debug(h2server_factory: H2ServerFactory) -> None:
    server = h2server_factory(settings=WHITENOISE_SETTINGS)
    assert static_line(server) == (
        f"Static files: served by WhiteNoise at /static/ ({WHITENOISE} in MIDDLEWARE)"
    )
    asset = get(server, CSS_PATH)
    assert asset.status == 200
    assert by_whitenoise(asset)
    # Pushed requests run through the application too, so WhiteNoise answers them.
    page = get(server, "/")
    assert page.pushed_paths == [CSS_PATH, JS_PATH]
    for promise in page.promises:
        assert promise.status == 200, promise
        assert promise.response_header("access-control-allow-origin") == "*", promise


@needs_whitenoise
@pytest.mark.e2e
def test_runh2server_answers_before_whitenoise_with_insecure(
    h2server_factory: H2ServerFactory,
) -> None:
    """Its handler wraps the whole application, so WhiteNoise never sees /static/."""
    server = h2server_factory("--insecure", settings=WHITENOISE_SETTINGS)
    assert static_line(server) == (
        "Static files: served by runh2server at /static/ (from the staticfiles finders); "
        f"{WHITENOISE} in MIDDLEWARE would serve them with --nostatic"
    )
    asset = get(server, CSS_PATH)
    assert asset.status == 200
    assert not by_whitenoise(asset)


@pytest.mark.e2e
def test_nobody_serves_them_without_debug(h2server_factory: H2ServerFactory) -> None:
    server = h2server_factory(settings=PRODUCTION_SETTINGS)
    assert static_line(server) == (
        "Static files: not served (DEBUG is False; --insecure would serve them)"
    )
    assert get(server, CSS_PATH).status == 404


@pytest.mark.e2e
def test_nobody_serves_them_with_nostatic(h2server_factory: H2ServerFactory) -> None:
    server = h2server_factory("--nostatic")
    assert static_line(server) == "Static files: not served (--nostatic)"
    assert get(server, CSS_PATH).status == 404


@pytest.mark.e2e
def test_nobody_serves_them_without_the_staticfiles_app(
    h2server_factory: H2ServerFactory,
) -> None:
    server = h2server_factory(settings=NO_STATICFILES_SETTINGS)
    assert static_line(server) == (
        "Static files: not served (django.contrib.staticfiles is not in INSTALLED_APPS)"
    )
    assert get(server, CSS_PATH).status == 404


# ====================================================================== the line alone


def test_static_url_on_another_host_is_served_by_nobody_here(
    settings: SettingsWrapper,
) -> None:
    """Django's handler passes every request on when STATIC_URL names a host."""
    settings.STATIC_URL = "https://cdn.example/static/"
    options = {"use_static_handler": True, "insecure_serving": False}
    assert static_files_line(True, options) == (
        "Static files: not served (STATIC_URL is on another host: https://cdn.example/static/)"
    )


@needs_whitenoise
def test_a_subclass_of_whitenoise_counts(settings: SettingsWrapper) -> None:
    settings.MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "tests.server.test_runh2server_banner.ProjectWhiteNoise",
    ]
    options = {"use_static_handler": False, "insecure_serving": False}
    assert static_files_line(False, options) == (
        "Static files: served by WhiteNoise at /static/ "
        "(tests.server.test_runh2server_banner.ProjectWhiteNoise in MIDDLEWARE)"
    )


def test_a_middleware_that_does_not_import_is_no_whitenoise(settings: SettingsWrapper) -> None:
    settings.MIDDLEWARE = ["no.such.Middleware"]
    options = {"use_static_handler": False, "insecure_serving": False}
    assert static_files_line(False, options) == "Static files: not served (--nostatic)"


if importlib.util.find_spec("whitenoise") is not None:
    from whitenoise.middleware import WhiteNoiseMiddleware

    class ProjectWhiteNoise(WhiteNoiseMiddleware):
        """A project's own WhiteNoise, as some add headers this way."""
