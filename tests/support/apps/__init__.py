"""Settings modules, URLconfs and ASGI applications that only the tests serve.

Subprocesses get them by dotted name: ``harness.constants`` holds those names (the
harness names them as strings and never imports them).
"""
