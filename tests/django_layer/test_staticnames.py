"""h2push.django_layer.staticnames: a static name is looked up once, never per page,
whatever the storage (issue 19: manifest and remote storages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import Storage
from django.core.management import call_command
from django.test import override_settings

from h2push.core import caches
from h2push.django_layer import staticnames


class RemoteStorage(Storage):
    """Stands for S3 through django-storages: every call would be a request."""

    calls: ClassVar[list[tuple[str, str]]] = []
    files: ClassVar[dict[str, int]] = {"css/site.css": 120, "fonts/a.woff2": 9000}

    def exists(self, name: str) -> bool:
        self.calls.append(("exists", name))
        return name in self.files

    def size(self, name: str) -> int:
        self.calls.append(("size", name))
        return self.files[name]

    def url(self, name: str | None) -> str:
        return f"https://cdn.example/static/{name}"


REMOTE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "tests.django_layer.test_staticnames.RemoteStorage"},
}


@pytest.fixture(autouse=True)
def fresh() -> Any:
    caches.forget()
    RemoteStorage.calls.clear()
    yield
    caches.forget()


@override_settings(STORAGES=REMOTE, STATIC_ROOT=None, STATICFILES_DIRS=[])
def test_a_remote_storage_is_asked_once_per_name() -> None:
    for _ in range(50):
        assert staticnames.exists("css/site.css")
        assert not staticnames.exists("css/missing.css")
        assert staticnames.size("fonts/a.woff2") == 9000
    assert sorted(RemoteStorage.calls) == [
        ("exists", "css/missing.css"),
        ("exists", "css/site.css"),
        ("size", "fonts/a.woff2"),
    ]


def test_a_manifest_answers_without_asking_the_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "src"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body{color:red}")
    manifest = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(
        STORAGES=manifest, STATIC_ROOT=str(tmp_path / "root"), STATICFILES_DIRS=[str(source)]
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        hashed = staticfiles_storage.stored_name("css/site.css")
        assert hashed != "css/site.css"
        with override_settings(STATICFILES_DIRS=[]):  # production: no finders' sources
            monkeypatch.setattr(type(staticfiles_storage._wrapped), "exists", _refuse)
            assert staticnames.exists(hashed)
            assert staticnames.exists("css/site.css")
            assert not staticnames.exists("css/site.0123456789ab.css")


def _refuse(self: Any, name: str) -> bool:
    raise AssertionError("the manifest knows the names: the storage must not be asked")


@override_settings(STATIC_ROOT=None, STATICFILES_DIRS=[], STATICFILES_FINDERS=[])
def test_a_local_storage_without_static_root_holds_nothing() -> None:
    assert not staticnames.exists("css/base.css")
    assert staticnames.size("css/base.css") is None


def test_the_finders_answer_in_development() -> None:
    assert staticnames.exists("css/base.css")
    size = staticnames.size("css/base.css")
    assert size is not None and size > 0
