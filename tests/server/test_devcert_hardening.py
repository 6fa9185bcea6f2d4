"""Issue 10, 7b: the development certificate's folder is private even when it existed
before h2push first wrote to it (made by hand, or by an older version, 0755)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from h2push.server.devcert import ensure_dev_certificate


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize("holds_certificate", [False, True], ids=["empty", "with-certificate"])
def test_an_existing_open_folder_is_tightened_to_0700(
    tmp_path: Path, holds_certificate: bool
) -> None:
    folder = tmp_path / "h2push"
    if holds_certificate:
        ensure_dev_certificate(folder)
    else:
        folder.mkdir()
    os.chmod(folder, 0o755)

    cert = ensure_dev_certificate(folder)

    assert cert.keyfile.parent == folder
    assert oct(mode(folder)) == oct(0o700)
    assert oct(mode(cert.keyfile)) == oct(0o600)
