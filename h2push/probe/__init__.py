"""A small synchronous HTTP/2 client that shows what a server really sends.

Browsers refuse server push and curl's command line cannot show it, so this client
accepts pushes (unless told not to) and records, per request, every 103 response,
every PUSH_PROMISE with its pushed response, and an ordered timeline of frames.
The ``h2probe`` management command prints that; the end-to-end tests assert on it.

It speaks HTTP/2 over TLS only (ALPN ``h2``), with nothing but :mod:`socket`,
:mod:`ssl` and the ``h2`` state machine, and every wait is bounded by ``timeout``.

Certificates: ``verify=None`` (the default) verifies them except for loopback hosts
(``localhost``, ``127.0.0.0/8``, ``::1``), where development servers use
self-signed certificates. ``verify=True``/``False`` or ``cafile=`` decide explicitly.

The package's parts, each usable alone:

- :mod:`~h2push.probe.results`: what comes back (:class:`Exchange`, :class:`Interim`,
  :class:`Promise`, :class:`TimelineEvent` and its :class:`EventKind`);
- :mod:`~h2push.probe.request`: what is asked for (:class:`Request`, :class:`Target`,
  :func:`parse_url`, the header block a request sends);
- :mod:`~h2push.probe.errors`: what is raised, all :class:`ProbeError`;
- :mod:`~h2push.probe.protocol`: the HTTP/2 exchange without I/O, and
  :data:`EventHook`, the type of an ``on_event`` callback that sees every ``h2``
  event as it arrives;
- :mod:`~h2push.probe.transport`: the TCP and TLS socket with bounded waits;
- :mod:`~h2push.probe.client`: :class:`H2Connection` and :func:`fetch`, which drive
  the protocol over the transport.
"""

from h2push.probe.client import H2Connection, fetch
from h2push.probe.errors import (
    ALPNError,
    ConnectError,
    ConnectionClosed,
    GoAwayError,
    InvalidURL,
    ProbeError,
    ProbeTimeout,
    ProtocolViolation,
    StreamResetError,
    TLSError,
    error_code_name,
)
from h2push.probe.protocol import EventHook
from h2push.probe.request import DEFAULT_ACCEPT, USER_AGENT, Request, Target, parse_url
from h2push.probe.results import EventKind, Exchange, Interim, Promise, TimelineEvent
from h2push.probe.transport import DEFAULT_TIMEOUT, is_loopback

__all__ = [
    "DEFAULT_ACCEPT",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "ALPNError",
    "ConnectError",
    "ConnectionClosed",
    "EventHook",
    "EventKind",
    "Exchange",
    "GoAwayError",
    "H2Connection",
    "Interim",
    "InvalidURL",
    "ProbeError",
    "ProbeTimeout",
    "Promise",
    "ProtocolViolation",
    "Request",
    "StreamResetError",
    "TLSError",
    "Target",
    "TimelineEvent",
    "error_code_name",
    "fetch",
    "is_loopback",
    "parse_url",
]
