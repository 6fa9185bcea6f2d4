"""What only the tests share that is not a test or a fixture (fixtures are in
conftest.py). What the benchmarks need too (servers, processes, the proxy, the
browser, constants) is in the top-level ``harness`` package.

- ``http1``: an HTTP/1.1 client built on h11 that shows each response a server
  writes and when, 1xx included; plain TCP, or TLS through a context that verifies
  the server (it refuses one that does not).
- ``leaks``: threads, descriptors and sockets a server process holds.
- ``early_harness``: requests through the gated Early Hints views, and a fake
  HTTP/2 connection that follows push promises.
- ``linkfields``: the links a ``link`` field line carries (a 103 joins them in one).
- ``failing_caches``: cache backends that fail, hang or return the wrong type.
- ``staticfiles``: the test project's static files under configured settings.
- ``apps``: settings, URLconfs and ASGI applications that only tests serve.
"""
