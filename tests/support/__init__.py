"""What the tests share that is not a test or a fixture (fixtures are in conftest.py).

- ``constants``: the repository's paths, dotted names of test settings and apps,
  timeouts.
- ``processes``: start a server subprocess, wait for its port, read its output,
  stop it by process group, read its CPU time (the benchmarks use it too).
- ``servers``: ``manage.py runh2server`` and Daphne factories on top of it.
- ``workers``: Hypercorn with several workers, for tests of what workers share.
- ``redis``: a throwaway ``redis-server`` on a loopback port.
- ``proxy``: a TCP proxy that delays each chunk, in a thread or a child process.
- ``asgi``: call an ASGI app with a scope and record what it sends.
- ``early_harness``: requests through the gated Early Hints views, and a fake
  HTTP/2 connection that follows push promises.
- ``apps``: settings, URLconfs and ASGI applications that only tests serve.
"""
