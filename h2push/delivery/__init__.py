"""The delivery layer: *how* a page's links travel, whatever framework chose them.

Each module here is one way out: :mod:`h2push.delivery.asgi_middleware` pushes and sends 103
Early Hints through the ASGI extensions a server advertises. A new way (another
server's interface for 103s) is one more module beside it, reading the same
contract (:mod:`h2push.core.contract`). Nothing in this package imports Django.
"""
