"""The development server behind ``runh2server``: Hypercorn configured for HTTP/2 over
TLS (:mod:`~h2push.server.serving`), the certificate (:mod:`~h2push.server.tls`,
:mod:`~h2push.server.devcert`), static files (:mod:`~h2push.server.staticfiles`), the
application it serves (:mod:`~h2push.server.wiring`) and a fix for Hypercorn's idle
close (:mod:`~h2push.server.goaway`)."""
