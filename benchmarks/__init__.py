"""Benchmarks of h2push: what it costs, and what its Early Hints gain.

Run from the repository root::

    python -m benchmarks overhead      # req/s under h2load: plain Django vs h2push
    python -m benchmarks early-hints   # time to the stylesheet, hints on vs off
    python -m benchmarks in-process    # CPU per request of Django and h2push alone

``overhead`` (:mod:`benchmarks.overhead`)
    Requests per second of the same page under Hypercorn (TLS, HTTP/2, one worker),
    measured with ``h2load`` (which refuses push, as browsers do): plain Django
    rendering it with ``{% static %}`` against h2push (middleware and ASGI adapter)
    rendering it with ``{% push_static %}``. The target: h2push reaches at least
    0.95 times plain Django's requests per second.

``early-hints`` (:mod:`benchmarks.early_hints`)
    A browser-like client (push refused) loads ``/slow/?ms=300`` through a TCP delay
    proxy and requests the page's stylesheet as soon as it learns its URL: from the
    103 when Early Hints are on, else from the final response.

``in-process`` (:mod:`benchmarks.in_process`)
    The same pages through the ASGI applications called in this process, with no
    network: h2push's own share without TLS, HTTP/2 framing and load-test noise.

Benchmarks, not tests: timings belong in a report, not in assertions. Each command
starts its own servers on free loopback ports with a throwaway certificate, stops
them by process group, and ends within about two minutes (``--quick`` for a smoke
run of a few seconds). ``overhead`` needs ``h2load`` (Debian: ``nghttp2-client``).
docs/benchmarks.rst tells what is measured and what came out.
"""
