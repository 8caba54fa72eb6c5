"""The agent's ear for call events from Kamailio's routing (see records)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path

from agent.cdr import records
from agent.db import database

log = logging.getLogger("edgepbx.cdr")

SOCKET_MODE = 0o600
STOP_CHECK_S = 0.5
DATAGRAM_MAX = 8192
RECEIVE_BUFFER_BYTES = 1 << 20


class CallEventListener:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def start(self) -> None:
        self.path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        sock.bind(str(self.path))
        os.chmod(self.path, SOCKET_MODE)
        sock.settimeout(STOP_CHECK_S)
        self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, name="call-events", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        if self._sock:
            self._sock.close()
        self.path.unlink(missing_ok=True)

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                data = self._sock.recv(DATAGRAM_MAX)
            except TimeoutError:
                continue
            try:
                event = records.parse_event(data)
                with database.atomic():
                    records.apply_event(event)
            except Exception as exc:  # one bad datagram must not stop the records
                log.warning("call events: datagram ignored: %s", exc)
