"""A UNIX datagram socket the agent reads on one thread.

Kamailio and the web admin's workers tell the agent about events by sending
one datagram each to a socket in the run directory: a sender never blocks and
never fails because the agent is down (the datagram is simply lost), and
every event arrives whole. Each kind of event has its own socket and its own
subclass saying what a datagram means.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from pathlib import Path

# Kamailio and the web admin run as the appliance's own user; nobody else
# may forge events.
SOCKET_MODE = 0o600
# How often the reading thread looks at its stop flag when nothing wakes it
# (``stop`` does, with an empty datagram of its own).
STOP_CHECK_S = 0.5
# A burst of events should queue, not be dropped by the kernel.
RECEIVE_BUFFER_BYTES = 1 << 20


class DatagramListener:
    """Binds ``path`` on ``start`` and hands each datagram to ``handle``."""

    thread_name = "datagrams"
    # The largest datagram read whole; a longer one arrives cut to this size.
    receive_max = 8192

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
            target=self._serve, name=self.thread_name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake_reader()
        if self._thread:
            self._thread.join()
        if self._sock:
            self._sock.close()
        self.path.unlink(missing_ok=True)

    def _wake_reader(self) -> None:
        """An empty datagram ends the reading thread's wait at once, so a
        stop does not wait out STOP_CHECK_S."""
        if self._sock is None:
            return
        # A full queue or a gone socket: the timeout still ends the wait.
        with (
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as waker,
            contextlib.suppress(OSError),
        ):
            waker.setblocking(False)
            waker.sendto(b"", str(self.path))

    def handle(self, data: bytes) -> None:
        """Act on one datagram; runs on the reading thread."""
        raise NotImplementedError

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                data = self._sock.recv(self.receive_max)
            except TimeoutError:
                continue
            if self._stop.is_set():
                return
            self.handle(data)
