"""The agent's ear for call events from Kamailio's routing (see records)."""

from __future__ import annotations

import logging

from agent.cdr import records
from agent.datagram_listener import DatagramListener
from agent.db import database

log = logging.getLogger("edgepbx.cdr")


class CallEventListener(DatagramListener):
    thread_name = "call-events"
    receive_max = 8192

    def handle(self, data: bytes) -> None:
        try:
            event = records.parse_event(data)
            with database.atomic():
                records.apply_event(event)
        except Exception as exc:  # one bad datagram must not stop the records
            log.warning("call events: datagram ignored: %s", exc)
