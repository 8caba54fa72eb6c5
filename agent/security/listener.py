"""The agent's ear for security events from other processes.

Kamailio's KEMI script and the web admin's workers send each event as one
JSON datagram (``SecurityEvent.to_wire``) to a UNIX datagram socket in the
run directory. A datagram socket suits both ends: a sender never blocks and
never fails because the agent is down (the datagram is simply lost), there
is no connection to keep per Kamailio child, and every event arrives whole.
The agent reads them on one thread and delivers them to its subscribers,
the jail among them (the sender logged the event already): no log file sits
between a failure and its ban.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path

from agent.security import events
from agent.settings import Settings
from agent.sip.kamailio_config import EVENTS_SOCKET_NAME

log = logging.getLogger("edgepbx.security")

# Kamailio and the web admin run as the appliance's own user; nobody else
# may forge events.
SOCKET_MODE = 0o600
# How often the reading thread looks at its stop flag.
STOP_CHECK_S = 0.5
# A scanner's burst should queue, not be dropped by the kernel.
RECEIVE_BUFFER_BYTES = 1 << 20


def socket_path(settings: Settings) -> Path:
    return settings.run_dir / EVENTS_SOCKET_NAME


class EventListener:
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
            target=self._serve, name="security-events", daemon=True
        )
        self._thread.start()
        log.info("security events: listening on %s", self.path)

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
                data = self._sock.recv(events.DATAGRAM_MAX + 1)
            except TimeoutError:
                continue
            try:
                event = events.SecurityEvent.from_wire(data)
            except ValueError as exc:
                log.warning("security events: datagram ignored: %s", exc)
                continue
            events.deliver(event)
