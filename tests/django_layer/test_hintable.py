"""Issue 17, finding 5: reflected input cannot make the next visitor fetch just any file.

A page that puts request input into ``{% static %}`` lets one client, with two
requests that agree, choose what the route's later visitors are hinted. Such a link is
hinted only when its file is what the link says (its extension's destination is the
link's ``as``) and no larger than ``H2PUSH_LEARN_MAX_FILE_BYTES``. Each test is run
in process (Django's test client, one address for every request, as behind a proxy)
and against a real ``runh2server`` (an HTTP/2 client that accepts push).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings

from h2push.core.linkheader import split_links
from h2push.probe import H2Connection
from harness.certificates import cafile
from harness.processes import ServerProcess
from harness.servers import H2ServerFactory

BIG_BYTES = 3 * 1024 * 1024  # over the default bound of 2 MiB
FILES = {
    "attack/big.css": b"/*" + b" " * BIG_BYTES + b"*/",
    "attack/clip.mp4": b"\x00" * 4096,  # a video, named by a stylesheet's link
    "attack/small.css": b"body { color: red }",
}
ATTACKS = ["attack/big.css", "attack/clip.mp4"]
REFLECT_URLS = "tests.support.apps.reflect_urls"
REFLECT_SETTINGS = "tests.support.apps.reflect_settings"


@pytest.fixture(scope="module")
def extra_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("extra-static")
    for name, body in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)
    return folder


@pytest.fixture
def reflecting(extra_static: Path, settings: object) -> Iterator[Client]:
    from testproject.settings import STATICFILES_DIRS

    with override_settings(
        ROOT_URLCONF=REFLECT_URLS, STATICFILES_DIRS=[*STATICFILES_DIRS, extra_static]
    ):
        yield Client()


def hinted(link_header: str | None) -> list[str]:
    return [v[1 : v.index(">")] for v in split_links(link_header or "")]


def taught_then_visited(client: Client, name: str) -> list[str]:
    """Two requests from one client name ``name``; what a plain visit is then hinted."""
    for _ in range(2):
        assert client.get("/reflect/", {"name": name}).status_code == 200
    return hinted(client.get("/reflect/", {"name": "css/base.css"}).headers.get("Link"))


@pytest.mark.usefixtures("fresh_store")
@pytest.mark.parametrize("name", ATTACKS)
def test_an_attackers_file_is_never_hinted_to_the_next_visitor(
    reflecting: Client, name: str
) -> None:
    assert f"/static/{name}" not in taught_then_visited(reflecting, name)


@pytest.mark.usefixtures("fresh_store")
def test_a_file_that_fits_is_still_learned_from_one_address(reflecting: Client) -> None:
    """Control: learning keeps working where every request comes from one address."""
    assert "/static/attack/small.css" in taught_then_visited(reflecting, "attack/small.css")


@pytest.mark.usefixtures("fresh_store")
def test_the_bound_is_the_setting(reflecting: Client) -> None:
    with override_settings(H2PUSH_LEARN_MAX_FILE_BYTES=BIG_BYTES + 10):
        assert "/static/attack/big.css" in taught_then_visited(reflecting, "attack/big.css")


@pytest.mark.e2e
def test_runh2server_neither_hints_nor_pushes_an_attackers_file(
    h2server_factory: H2ServerFactory, extra_static: Path
) -> None:
    server: ServerProcess = h2server_factory(
        settings=REFLECT_SETTINGS, env={"H2PUSH_TEST_EXTRA_STATIC": str(extra_static)}
    )
    with H2Connection("127.0.0.1", server.port, cafile=cafile(server), timeout=30) as connection:
        for n, name in enumerate([*ATTACKS, "attack/small.css"], start=1):
            for _ in range(2):  # two pages that agree on it
                assert connection.request(f"/reflect{n}/?name={name}").status == 200
            visit = connection.request(f"/reflect{n}/?name=css/base.css")
            assert visit.status == 200
            sent = {value[1 : value.index(">")] for value in visit.links}
            sent |= {v[1 : v.index(">")] for hint in visit.early_hints for v in hint.links}
            sent |= set(visit.pushed_paths)
            # Control: a file that fits is hinted, so the attacks' absence means something.
            assert (f"/static/{name}" in sent) == (name == "attack/small.css"), (name, sent)
