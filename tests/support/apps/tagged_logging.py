"""The ``LOGGING`` of the test settings whose tests read a server's log output.

Each line says its level, logger and process (``WARNING h2push [1234] …``), so a test
can find h2push's warnings in a server's stderr and count them per worker process.
"""

from __future__ import annotations

from typing import Any


def tagged_logging(*loggers: str) -> dict[str, Any]:
    """A ``LOGGING`` dict that sends the WARNINGs (and worse) of ``loggers`` to the
    console, each line tagged with its level, logger and process id."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "tagged": {"format": "%(levelname)s %(name)s [%(process)d] %(message)s"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "tagged"}},
        "loggers": {name: {"handlers": ["console"], "level": "WARNING"} for name in loggers},
    }
