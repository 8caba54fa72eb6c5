"""The agent's ear for call events from Kamailio's routing (see records).

A successful registration comes the same way (``registered``, with the
extension); the agent's ``on_registered`` answers it. Whatever else wants to
follow calls as they happen (the live monitor, webhooks) subscribes with
``observe``: each observer gets every call event after its record is saved.
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
        self._observers: list[Callable[[dict], None]] = []

    def observe(self, observer: Callable[[dict], None]) -> None:
        """Call observer with every call event, after the record has it."""
        self._observers.append(observer)

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
            return
        for observer in self._observers:
            try:
                observer(event)
            except Exception:  # an observer's fault is its own, not the calls'
                log.exception("call events: observer %r failed", observer)
