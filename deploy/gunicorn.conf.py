"""Gunicorn settings for a Django site that uses h2push, behind Caddy (deploy/Caddyfile).

    gunicorn -c deploy/gunicorn.conf.py mysite.wsgi

with ``mysite/wsgi.py`` calling :func:`h2push.wsgi.get_wsgi_application`. Gunicorn 25
or later puts ``wsgi.early_hints`` in each request's environ; through it h2push
writes a 103 Early Hints to Caddy before the view runs, and Caddy forwards it to the
browser. The same file runs Gunicorn's ASGI worker (``-k asgi mysite.asgi:application``,
with ``H2PUSH_EARLY_HINTS_AS_INFORMATIONAL = True``): options given on the command
line win over this file.

Values that differ between machines come from the environment, so the test suite
runs this very file:

- ``GUNICORN_BIND``: where to listen, ``host:port`` (default ``127.0.0.1:8000``;
  the Caddyfile proxies to the same variable).
- ``WEB_CONCURRENCY``: worker processes (default: CPUs available + 1).
- ``GUNICORN_THREADS``: threads per worker (default 4).
- ``FORWARDED_ALLOW_IPS``: the proxy's addresses (default: loopback).
- ``GUNICORN_CONTROL_SOCKET``: a path of this site's own for the control socket that
  ``gunicornc`` talks to (default: no control socket; see below).
"""

import os


def _cpus() -> int:
    # The CPUs this process may run on (a container's share), not the host's count.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# Loopback only: Caddy is the one client, and it is on the same machine.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

# Caddy talks HTTP/1.1 to Gunicorn and forwards its 103s; Gunicorn's own HTTP/2 is
# for when nothing stands in front of it.
http_protocols = "h1"

# Threads: a worker keeps serving while one view waits on its database, and idle
# keep-alive connections from Caddy cost no thread (the sync worker would close
# every connection after one response). Processes spread CPU-bound work over cores.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", _cpus() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Application code loads in each worker after the fork, so each one opens its own
# connection to the learned store (H2PUSH_LEARN_CACHE) at start-up.
preload_app = False

# A gthread worker's heartbeat comes from its main thread, so a slow view does not
# count as silence: ``timeout`` only catches a worker that hangs as a whole.
timeout = 30
graceful_timeout = 30
# Longer than Caddy's idle timeout for upstream connections (60 s in the Caddyfile),
# so it is always Caddy that closes an idle connection, never Gunicorn under it.
keepalive = 75

# Trust X-Forwarded-Proto (and the other secure_scheme_headers) from the proxy only:
# then wsgi.url_scheme is "https" for requests that reached Caddy over TLS, and
# Django builds https URLs and secure cookies without SECURE_PROXY_SSL_HEADER.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Errors to stderr (journald, container logs). No access log: Caddy writes one line
# per request, static files included.
errorlog = "-"
accesslog = None
loglevel = "info"

# Gunicorn 25.1 and later open a control socket for ``gunicornc`` by default, at one
# path per user ($XDG_RUNTIME_DIR/gunicorn.ctl, else ~/.gunicorn/gunicorn.ctl), not one
# per instance. Every Gunicorn that user starts (another site, a second copy of this
# one) deletes the socket already there and binds its own, so ``gunicornc`` reaches
# whichever started last: a ``reload`` or ``shutdown`` meant for one site lands on
# another. Off unless GUNICORN_CONTROL_SOCKET names a path for this instance alone
# (e.g. /run/mysite/gunicorn.ctl, in a folder only this site's user can enter).
control_socket_path = os.environ.get("GUNICORN_CONTROL_SOCKET")
if control_socket_path:
    control_socket = control_socket_path
else:
    control_socket_disable = True
