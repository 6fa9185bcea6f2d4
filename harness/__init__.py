"""What the tests and the benchmarks both need; neither of them owns it.

Both start the same servers the same way and measure them with the same tools, so
those pieces live here, beside ``tests/`` and ``benchmarks/``, and import neither.
Test sites are named only by dotted strings (settings modules and ASGI applications
that a subprocess imports), never imported.

- ``constants``: the repository's paths, timeouts, and the dotted names of the
  settings and applications that servers are started with.
- ``processes``: start a server subprocess, wait for its port, read its output, stop
  it by process group, read its CPU time.
- ``servers``: ``manage.py runh2server`` (:class:`~harness.servers.H2ServerFactory`,
  the one way to start it) and Daphne.
- ``workers``: Hypercorn with several workers.
- ``redis``: a throwaway ``redis-server`` on a loopback port.
- ``proxy``: a TCP proxy that delays each chunk, in a thread or a child process.
- ``browser``: headless Chromium through Playwright, trusting one certificate pin.
- ``firefox``: headless Firefox ESR over WebDriver BiDi (``websockets``), its fresh
  profile trusting one certificate through NSS ``certutil``.
- ``crossbrowser``: the ``browser`` fixture, which runs a test in Chromium and in
  Firefox, and one way to load a page and read its timing entries in either.
- ``browser_recorder``: an ASGI wrapper that logs when the server saw each request.
- ``caddy_stack``: Gunicorn behind Caddy, started from the files in ``deploy/``.
- ``static_origin``: Caddy serving the static files on an origin of their own, as a
  CDN would (CORS and timing headers, a JSON access log to count requests).
- ``certificates``: TLS clients that verify a started server against the
  certificate it serves (the probe's ``cafile``, an ``ssl`` context), and a failed
  verification raised as an ``AssertionError`` no ``except`` takes for a refusal.
- ``asgi``: call an ASGI app with a scope and record what it sends.
- ``report``: a long run's printed output: lines flushed at once, medians, plain tables.
- ``machine``: the CPU, versions and load average a run was made on.
"""
