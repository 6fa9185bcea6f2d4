"""The ``h2`` client state machine the probe drives, made with the probe's SETTINGS."""

from __future__ import annotations

from typing import Final

import h2.config
import h2.connection
import h2.settings
from h2.settings import SettingCodes

__all__ = ["client_h2"]

_DEFAULT_WINDOW: Final = 65535


def client_h2(
    *,
    enable_push: bool,
    max_concurrent_streams: int | None,
    initial_window_size: int | None,
    max_frame_size: int | None,
    connection_window_size: int | None,
) -> h2.connection.H2Connection:
    """A client connection whose preface (with these SETTINGS) is queued to send.

    ``None`` keeps h2's defaults (100 streams, a 65535-byte window, 16384-byte
    frames); ``connection_window_size`` enlarges the connection's receive window.
    Headers stay bytes (``header_encoding=None``): the probe decodes them itself.
    """
    settings: dict[SettingCodes, int] = {
        SettingCodes.ENABLE_PUSH: int(enable_push),
        SettingCodes.MAX_CONCURRENT_STREAMS: (
            100 if max_concurrent_streams is None else max_concurrent_streams
        ),
        SettingCodes.MAX_HEADER_LIST_SIZE: 2**16,
    }
    chosen = {
        SettingCodes.INITIAL_WINDOW_SIZE: initial_window_size,
        SettingCodes.MAX_FRAME_SIZE: max_frame_size,
    }
    settings |= {code: value for code, value in chosen.items() if value is not None}
    config = h2.config.H2Configuration(client_side=True, header_encoding=None)
    conn = h2.connection.H2Connection(config=config)
    conn.local_settings = h2.settings.Settings(client=True, initial_values=settings)
    # h2 checks inbound frames against this, not against the SETTINGS it sent.
    conn.max_inbound_frame_size = conn.local_settings.max_frame_size
    conn.initiate_connection()
    if connection_window_size and connection_window_size > _DEFAULT_WINDOW:
        conn.increment_flow_control_window(connection_window_size - _DEFAULT_WINDOW)
    return conn
