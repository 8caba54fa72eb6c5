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
from pathlib import Path

from agent.datagram_listener import DatagramListener
from agent.security import events
from agent.settings import Settings
from agent.sip.kamailio_config import EVENTS_SOCKET_NAME

log = logging.getLogger("edgepbx.security")


def socket_path(settings: Settings) -> Path:
    return settings.run_dir / EVENTS_SOCKET_NAME


class EventListener(DatagramListener):
    thread_name = "security-events"
    # One byte over the limit, so that from_wire sees an oversized event.
    receive_max = events.DATAGRAM_MAX + 1

    def start(self) -> None:
        super().start()
        log.info("security events: listening on %s", self.path)

    def handle(self, data: bytes) -> None:
        try:
            event = events.SecurityEvent.from_wire(data)
        except ValueError as exc:
            log.warning("security events: datagram ignored: %s", exc)
            return
        events.deliver(event)
