"""What a run was made on: printed with every benchmark's and stress run's report, since
its numbers mean little without the CPU, the versions and how busy the machine was."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import ssl
import subprocess
from importlib import metadata
from pathlib import Path

from harness.report import load_average, print_table

__all__ = ["machine_info", "print_machine"]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def _h2load_version() -> str:
    h2load = shutil.which("h2load")
    if h2load is None:
        return "missing"
    output = subprocess.run([h2load, "--version"], capture_output=True, text=True).stdout
    return output.strip().removeprefix("h2load ")


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"


def machine_info() -> list[tuple[str, str]]:
    return [
        ("CPUs (nproc)", str(len(os.sched_getaffinity(0)))),
        ("CPU", _cpu_model()),
        ("Python", platform.python_version()),
        ("Django", _version("django")),
        ("Hypercorn", _version("hypercorn")),
        ("h2", _version("h2")),
        ("h2load", _h2load_version()),
        ("OpenSSL", ssl.OPENSSL_VERSION),
        ("load average", load_average()),
    ]


def print_machine() -> None:
    print_table(["machine", ""], machine_info())
