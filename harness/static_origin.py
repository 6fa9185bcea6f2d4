"""A second origin that serves static files, as a CDN would: Caddy over TLS.

For tests of a site whose ``STATIC_URL`` is absolute and on another origin
(``https://127.0.0.1:PORT2/static/``). Caddy serves a folder under a path prefix,
with the certificate pair the test gives it, and writes one JSON line per request
to a log file the test reads::

    origin = start_static_origin(workdir, STATIC_DIR, certfile, keyfile)
    origin.origin                      # "https://127.0.0.1:PORT2"
    origin.static_url                  # "https://127.0.0.1:PORT2/static/"
    offset = len(origin.access_log())
    ...                                # the browser loads a page
    origin.requests(since=offset)      # ["/static/css/a.css", ...] in order
    origin.stop()

Every response carries ``Access-Control-Allow-Origin`` (``*`` unless told
otherwise: fonts and module scripts are fetched in CORS mode and a CDN must allow
the page's origin), ``Timing-Allow-Origin`` with the same value (else the page's
Resource Timing entries of another origin's files read 0 for their sizes, and
``transferSize == 0`` would prove nothing) and ``Cache-Control: public,
max-age=3600`` (a browser uses an asset preloaded from a 103 only if its response
may be cached). It speaks HTTP/1.1
and HTTP/2 only: a browser that learned of HTTP/3 from an ``Alt-Svc`` header could
otherwise move to QUIC between two visits. Its admin endpoint is off, no HTTP
redirect port is opened, and its data and config folders live under ``workdir``.

Debian's ``caddy`` package is needed, as for :mod:`harness.caddy_stack`, whose
starter (free port, retried when another process took it first) this reuses.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from h2push.probe import ProbeError, fetch
from harness.caddy_stack import CADDY, _start_retrying, require_caddy
from harness.certificates import verified
from harness.constants import START_TIMEOUT
from harness.processes import ServerProcess, find_free_port, server_env

__all__ = ["StaticOrigin", "start_static_origin"]

_CADDYFILE = """\
{{
	admin off
	auto_https disable_redirects
	skip_install_trust
	http_port {http_port}
	servers {{
		protocols h1 h2
	}}
}}

https://127.0.0.1:{port} {{
	bind 127.0.0.1
	tls "{certfile}" "{keyfile}"
	log {{
		output file "{log}"
		format json
	}}
	header {{
		Access-Control-Allow-Origin "{allow_origin}"
		Timing-Allow-Origin "{allow_origin}"
		Cache-Control "public, max-age=3600"
	}}
	handle_path {prefix}* {{
		root * "{folder}"
		file_server
	}}
	handle {{
		respond 404
	}}
}}
"""


@dataclass
class StaticOrigin:
    """Caddy serving ``folder`` at ``https://127.0.0.1:<port><prefix>``."""

    caddy: ServerProcess
    folder: Path
    prefix: str
    log_path: Path
    certfile: Path

    @property
    def port(self) -> int:
        return self.caddy.port

    @property
    def origin(self) -> str:
        """``https://127.0.0.1:PORT``: what a ``preconnect`` names."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def static_url(self) -> str:
        """The absolute ``STATIC_URL`` of a site whose files this origin serves."""
        return self.origin + self.prefix

    def url(self, path: str) -> str:
        return self.origin + path

    def access_log(self) -> list[dict[str, Any]]:
        """Caddy's access log so far: one dict per request it answered, in order."""
        if not self.log_path.exists():
            return []
        entries = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if str(entry.get("logger", "")).startswith("http.log.access"):
                    entries.append(entry)
        return entries

    def requests(self, since: int = 0) -> list[str]:
        """The paths (``request.uri``) of the requests logged from entry ``since`` on."""
        return [entry["request"]["uri"] for entry in self.access_log()[since:]]

    def tail(self) -> str:
        return self.caddy.tail(10)

    def stop(self) -> None:
        self.caddy.stop()


def start_static_origin(
    workdir: Path,
    folder: Path,
    certfile: Path,
    keyfile: Path,
    *,
    prefix: str = "/static/",
    allow_origin: str = "*",
    probe_path: str | None = None,
) -> StaticOrigin:
    """Start Caddy serving ``folder`` under ``prefix`` over TLS with the given pair;
    return once it answers a request for ``probe_path`` (default: the first file
    found in ``folder``) over HTTP/2 with a client that trusts ``certfile``."""
    require_caddy()
    assert prefix.startswith("/") and prefix.endswith("/"), prefix
    workdir.mkdir(parents=True, exist_ok=True)
    home = workdir / "home"
    log_path = workdir / "access.log"

    def prepare() -> tuple[int, list[str], dict[str, str]]:
        port = find_free_port()
        config = workdir / f"Caddyfile-{port}"
        config.write_text(
            _CADDYFILE.format(
                port=port,
                http_port=find_free_port(),
                certfile=certfile,
                keyfile=keyfile,
                log=log_path,
                allow_origin=allow_origin,
                prefix=prefix,
                folder=folder,
            )
        )
        env = server_env(home=home, extra={"XDG_CONFIG_HOME": str(home / ".config")})
        return port, [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"], env

    caddy = _start_retrying("static-origin", workdir, prepare, cwd=workdir)
    origin = StaticOrigin(caddy, folder, prefix, log_path, certfile)
    if probe_path is None:
        first = min(path for path in folder.rglob("*") if path.is_file())
        probe_path = prefix + first.relative_to(folder).as_posix()
    try:
        _wait_for_file(origin, probe_path)
    except BaseException:
        origin.stop()
        raise
    return origin


def _wait_for_file(origin: StaticOrigin, path: str, timeout: float = START_TIMEOUT) -> None:
    """Return once ``path`` comes back 200; a certificate that fails to verify is
    raised at once (:class:`harness.certificates.UntrustedCertificate`)."""
    deadline = time.monotonic() + timeout
    while True:
        if not origin.caddy.alive():
            raise AssertionError(f"Caddy exited:\n{origin.tail()}")
        try:
            with verified(origin.certfile):
                answer = fetch(origin.url(path), cafile=origin.certfile, timeout=5)
            if answer.status == 200:
                return
            raise AssertionError(f"{path}: {answer.status} from Caddy\n{origin.tail()}")
        except ProbeError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no {path} from Caddy within {timeout} s\n{origin.tail()}")
        time.sleep(0.1)
