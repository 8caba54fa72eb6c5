"""The agent's ear for call events from Kamailio's routing (see records).

A successful registration comes the same way (``registered``, with the
extension); the agent's ``on_registered`` answers it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from agent.cdr import records
from agent.datagram_listener import DatagramListener
from agent.db import database

log = logging.getLogger("edgepbx.cdr")


class CallEventListener(DatagramListener):
    thread_name = "call-events"
    receive_max = 8192

    def __init__(self, path, on_registered: Callable[[str], None] | None = None):
        super().__init__(path)
        self.on_registered = on_registered

    def handle(self, data: bytes) -> None:
        try:
            event = records.parse_event(data)
            if event.get("event") == "registered":
                if self.on_registered is not None:
                    self.on_registered(str(event.get("extension") or ""))
                return
            with database.atomic():
                records.apply_event(event)
        except Exception as exc:  # one bad datagram must not stop the records
            log.warning("call events: datagram ignored: %s", exc)
