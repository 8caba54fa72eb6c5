"""Keeps Kamailio's trunk registrations in step with the database.

Kamailio forgets registrations handed over by RPC when it restarts, so the
agent hands them all over again each time a new Kamailio process answers.
"""

from __future__ import annotations

import logging

from agent.devicekey import DeviceKey
from agent.sip.rpc import KamailioRpc
from agent.trunks import registrations

log = logging.getLogger("edgepbx.trunks")


class TrunkKeeper:
    def __init__(self, rpc: KamailioRpc, key: DeviceKey) -> None:
        self.rpc = rpc
        self.key = key
        self._handed_to_pid: int | None = None

    def tick(self, kamailio_pid: int | None) -> None:
        if kamailio_pid is None or kamailio_pid == self._handed_to_pid:
            return
        if not self.rpc.ping():
            return
        count = registrations.hand_over_all(self.rpc, self.key)
        self._handed_to_pid = kamailio_pid
        if count:
            log.info("trunks: %d registrations handed to the SIP core", count)
