"""How the agent runs ``edgepbx provisioning`` and tells that it answers.

Apart from the server (provisioning_server/daemon.py), so that the agent,
which only starts and probes it, imports neither asyncio nor the phone
templates (jinja2): some 4 MB the agent would hold for nothing.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys

from agent.settings import Settings
from agent.supervisor.daemon import DaemonSpec
from provisioning_server.packets import Ack, Data, MalformedPacket, Opcode, Request

PROBE_TIMEOUT_S = 2.0
# A common file every phone may fetch: the probe records nothing and trips
# no security event.
PROBE_FILE = "y000000000000.cfg"


def tftp_answering(settings: Settings) -> bool:
    """Does the TFTP server hand out the common file?"""
    host = settings.bind
    if ipaddress.ip_address(host).is_unspecified:
        host = "::1" if ":" in host else "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(PROBE_TIMEOUT_S)
        try:
            sock.sendto(
                bytes(Request(Opcode.RRQ, PROBE_FILE, "octet")),
                (host, settings.tftp_port),
            )
            data, peer = sock.recvfrom(65536)
            block = Data.parse(data)
            sock.sendto(bytes(Ack(block.block)), peer)
            return True
        except (OSError, MalformedPacket):
            return False


def provisioning_spec(settings: Settings) -> DaemonSpec:
    """How the agent runs ``edgepbx provisioning``."""

    def prepare() -> tuple[list[str], dict[str, str]]:
        command = [sys.executable, "-m", "agent.cli.main", "provisioning"]
        return command, dict(os.environ, **settings.environment())

    return DaemonSpec(
        name="provisioning",
        prepare=prepare,
        answering=lambda: tftp_answering(settings),
    )
