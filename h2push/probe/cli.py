"""``h2probe URL``: show what a server sends over HTTP/2, pushes included.

One program, two doors: the ``h2probe`` console script that installing h2push puts on
the PATH (no Django project needed), and ``manage.py h2probe``, which calls
:func:`probe` with the same options.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from collections.abc import Callable, Sequence
from typing import Any

from h2push.probe import (
    DEFAULT_TIMEOUT,
    ALPNError,
    EventKind,
    Exchange,
    H2Connection,
    ProbeError,
    Promise,
    TimelineEvent,
    error_code_name,
    parse_url,
)
from h2push.probe.diagnosis import ClientSide, Reason, diagnose, format_reasons
from h2push.probe.waterfall import WaterfallUnavailable, draw_waterfall, waterfall_format

__all__ = ["HELP", "ProbeFailed", "add_arguments", "main", "probe"]

HELP = """\
Request URL over HTTP/2 (TLS, ALPN h2) and print the TLS version, cipher and ALPN
protocol, every 103 Early Hints response with its links, every PUSH_PROMISE with the
pushed response's status and size, the final status, headers and body size, and when
each arrived (milliseconds since the request was sent). curl cannot show pushes;
this can. Push is accepted unless --no-push is given (browsers refuse it today).

Certificates: verified by default, except for loopback hosts (localhost,
127.0.0.0/8, ::1), where development servers use self-signed certificates.
--insecure turns verification off for any host, --verify turns it on for loopback
hosts too, and --cafile PATH verifies against that CA bundle.

Where no 103 or no push arrived, a "Why" section lists the likely reasons the
client can see, and pushed responses that are not 2xx are flagged there too.
--waterfall FILE.svg (or .png) draws the exchange over time; it needs matplotlib
(pip install 'h2push[plots]').

Exit status: 0 when a response arrived (whatever its status), 1 when the server
could not be reached or did not speak HTTP/2 (one line on stderr).
"""


class ProbeFailed(Exception):
    """The server could not be probed; the message is one line for the user."""


def _ms(exchange: Exchange, at: float) -> str:
    return f"{exchange.ms(at):8.1f}"


def _size(n: int) -> str:
    return f"{n} byte{'' if n == 1 else 's'}"


def add_arguments(parser: ArgumentParser) -> None:
    """The options of ``h2probe``, for its own parser and for the management command."""
    parser.add_argument("url", help="https://host[:port]/path to request")
    parser.add_argument(
        "--no-push",
        action="store_true",
        help="send SETTINGS_ENABLE_PUSH=0, as browsers do; the server must not push",
    )
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="add or replace a request header (repeatable)",
    )
    parser.add_argument("-X", "--method", default="GET", help="request method (GET)")
    verification = parser.add_mutually_exclusive_group()
    verification.add_argument(
        "-k", "--insecure", action="store_true", help="do not verify the certificate"
    )
    verification.add_argument(
        "--verify",
        action="store_true",
        help="verify the certificate even for a loopback host",
    )
    verification.add_argument(
        "--cafile", metavar="PATH", help="verify the certificate against this CA bundle"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds to wait for the server at each step ({DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--waterfall",
        metavar="FILE",
        help="draw the exchange as a waterfall into FILE.svg or FILE.png (matplotlib)",
    )


def probe(options: dict[str, Any], write: Callable[[str], object]) -> None:
    """Probe ``options["url"]`` and write the report line by line; raises
    :class:`ProbeFailed` with one readable line when there is nothing to report."""
    push = not options["no_push"]
    report = _Report(write)
    try:
        if options["waterfall"]:
            waterfall_format(options["waterfall"])  # Refuse a bad name before probing.
        target = parse_url(options["url"])
        headers = [_parse_header(value) for value in options["header"]]
        verify: bool | None = None
        if options["insecure"]:
            verify = False
        elif options["verify"]:
            verify = True
        connection = H2Connection(
            target.host,
            target.port,
            enable_push=push,
            verify=verify,
            cafile=options["cafile"],
            # Offering http/1.1 as well lets an HTTP/1.1-only server say so, which
            # reads better than "no protocol negotiated".
            alpn=("h2", "http/1.1"),
            timeout=options["timeout"],
        )
        with connection:
            report.connection(connection)
            exchange = connection.request(
                target.path, method=options["method"].upper(), headers=headers
            )
            # Read while the socket is open: closing it forgets the protocol.
            client = ClientSide(push, connection.alpn_protocol)
    except ALPNError as exc:
        # No exchange to show, but the reason is one the Why section explains.
        report.why(diagnose(None, ClientSide(push, exc.negotiated)))
        raise ProbeFailed(" ".join(str(exc).split())) from None
    except (ProbeError, ValueError, WaterfallUnavailable) as exc:
        raise ProbeFailed(" ".join(str(exc).split())) from None
    report.exchange(exchange, options["url"], connection)
    report.why(diagnose(exchange, client))
    if options["waterfall"]:
        report.waterfall(exchange, options["url"], options["waterfall"])


def main(argv: Sequence[str] | None = None) -> int:
    """The ``h2probe`` console script."""
    parser = ArgumentParser(
        prog="h2probe", description=HELP, formatter_class=RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    try:
        probe(options, print)
    except ProbeFailed as exc:
        print(f"h2probe: {exc}", file=sys.stderr)
        return 1
    return 0


def _parse_header(value: str) -> tuple[str, str]:
    name, sep, rest = value.partition(":")
    if value.startswith(":"):  # A pseudo header such as ":authority: example.com".
        name, sep, rest = value[1:].partition(":")
        name = ":" + name
    if not sep or not name.strip() or name.strip() != name:
        raise ValueError(f"--header must look like 'Name: value', got {value!r}")
    return name.lower(), rest.strip()


class _Report:
    """The probe's printed report, written through ``write`` one line at a time."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write

    def why(self, reasons: list[Reason]) -> None:
        lines = format_reasons(reasons)
        if lines:
            self.write("")
        for line in lines:
            self.write(line)

    def waterfall(self, exchange: Exchange, url: str, path: str) -> None:
        hints, pushes = len(exchange.early_hints), len(exchange.promises)
        title = (
            f"{exchange.method} {url}: {exchange.status}, {hints} early "
            f"hint{'' if hints == 1 else 's'}, {pushes} push{'' if pushes == 1 else 'es'}"
        )
        try:
            written = draw_waterfall([exchange], path, title=title)
        except (WaterfallUnavailable, OSError) as exc:
            raise ProbeFailed(" ".join(str(exc).split())) from None
        self.write("")
        self.write(f"Waterfall: {written}")

    def connection(self, connection: H2Connection) -> None:
        write = self.write
        write(f"Connected to {connection.host}:{connection.port} in {connection.connect_ms:.1f} ms")
        verified = "verified" if connection.verify else "NOT verified"
        write(f"  TLS:      {connection.tls_version}, {connection.cipher} (certificate {verified})")
        write(f"  ALPN:     {connection.alpn_protocol}")
        push = "refused (SETTINGS_ENABLE_PUSH=0)" if not connection.enable_push else "accepted"
        write(f"  Push:     {push}")
        settings = connection.server_settings
        shown = ", ".join(
            f"{name}={settings[name]}"
            for name in ("MAX_CONCURRENT_STREAMS", "INITIAL_WINDOW_SIZE", "MAX_FRAME_SIZE")
            if name in settings
        )
        write(f"  Server:   {shown}")

    def exchange(self, exchange: Exchange, url: str, connection: H2Connection) -> None:
        write = self.write
        write("")
        write(f"{exchange.method} {url}  (stream {exchange.stream_id})")
        write("")
        write("      ms  event")
        for line in self._timeline(exchange):
            write(line)

        write("")
        write(f"Response: {exchange.status}")
        for name, value in exchange.headers:
            write(f"  {name}: {value}")
        write(f"Body: {_size(len(exchange.body))}")
        for name, value in exchange.trailers:
            write(f"  trailer {name}: {value}")

        write("")
        hints = exchange.early_hints
        write(f"Early hints: {len(hints)}")
        for interim in hints:
            fields = len(interim.link_fields)
            write(
                f"  103 at {exchange.ms(interim.received_at):.1f} ms, "
                f"{fields} link field{'s' if fields != 1 else ''}"
            )
            for link in interim.links:
                write(f"    link: {link}")
        write(f"Pushed: {len(exchange.promises)}")
        for promise in exchange.promises:
            write("  " + self._describe_push(exchange, promise))
        if not connection.enable_push:
            write("  (push was refused with SETTINGS_ENABLE_PUSH=0)")
        write("")
        write(
            f"Total: {exchange.duration_ms:.1f} ms; response {exchange.status} with "
            f"{len(hints)} early hint{'' if len(hints) == 1 else 's'} and "
            f"{len(exchange.promises)} push{'' if len(exchange.promises) == 1 else 'es'}"
        )

    @staticmethod
    def _describe_push(exchange: Exchange, promise: Promise) -> str:
        if promise.reset_code is not None and promise.status is None:
            outcome = f"reset before a response ({error_code_name(promise.reset_code)})"
        else:
            kind = promise.response_header("content-type")
            outcome = f"{promise.status}, {_size(len(promise.body))}" + (
                f", {kind}" if kind else ""
            )
        done = (
            f", done at {exchange.ms(promise.finished_at):.1f} ms"
            if promise.finished_at is not None
            else ""
        )
        return (
            f"{promise.path} -> {outcome} (stream {promise.stream_id}, promised at "
            f"{exchange.ms(promise.received_at):.1f} ms{done})"
        )

    @staticmethod
    def _timeline(exchange: Exchange) -> list[str]:
        lines: list[str] = []
        events = exchange.events
        i = 0
        while i < len(events):
            if events[i].kind is EventKind.DATA:
                # A big body comes in many DATA frames: one line says as much.
                run: list[TimelineEvent] = []
                while i < len(events) and events[i].kind is EventKind.DATA:
                    run.append(events[i])
                    i += 1
                total = sum(event.byte_count or 0 for event in run)
                frames = f" in {len(run)} frames" if len(run) > 1 else ""
                lines.append(f"{_ms(exchange, run[-1].at)}  DATA {_size(total)}{frames}")
                continue
            lines.append(f"{_ms(exchange, events[i].at)}  {_describe_event(events[i])}")
            i += 1
        return lines


def _describe_event(event: TimelineEvent) -> str:
    """One timeline line after its time; the sections below the timeline give details."""
    match event.kind:
        case EventKind.PUSH_PROMISE:
            return f"PUSH_PROMISE {event.path}"
        case EventKind.INFORMATIONAL:
            label = "Early Hints" if event.status == 103 else "informational"
            return f"HEADERS {event.status} ({label})"
        case EventKind.HEADERS:
            return f"HEADERS {event.status}"
        case EventKind.DATA:
            return f"DATA {_size(event.byte_count or 0)}"
        case EventKind.TRAILERS:
            return f"TRAILERS ({event.field_count} fields)"
        case EventKind.END:
            return "END_STREAM"
        case EventKind.PUSH_HEADERS:
            return f"pushed {event.path}: HEADERS {event.status}"
        case EventKind.PUSH_END:
            return f"pushed {event.path}: END_STREAM"
        case EventKind.PUSH_RESET:
            return f"pushed {event.path}: RST_STREAM {error_code_name(event.error_code or 0)}"
