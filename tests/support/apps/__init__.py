"""Settings modules, URLconfs and ASGI applications that only the tests serve.

Subprocesses get them by dotted name: ``tests.support.constants`` holds those names.
"""
