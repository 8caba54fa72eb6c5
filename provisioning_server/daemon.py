"""``edgepbx provisioning``: run the TFTP server until SIGTERM.

The agent supervises this process like Kamailio and the web admin, and
counts it as answering when a read request for the common Yealink file
gets its first DATA block back (provisioning_server/supervision.py).

With ``EDGEPBX_PNP_INTERFACE`` set to the address of the LAN interface,
the same process answers SIP multicast plug-and-play requests there
(``provisioning_server.pnp``); unset, as in ``make run`` and the tests, it
joins no multicast group on the machine's interfaces.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from agent.appliance import Appliance
from agent.provisioning import sightings
from agent.provisioning.profile import site_profile
from agent.provisioning.tree import ProvisioningTree
from agent.security import events
from agent.security.listener import socket_path
from provisioning_server import pnp
from provisioning_server.server import TftpServer

log = logging.getLogger("edgepbx.tftp")

PNP_INTERFACE = "EDGEPBX_PNP_INTERFACE"
PNP_PORT = "EDGEPBX_PNP_PORT"


async def _start_pnp(appliance: Appliance, tree: ProvisioningTree):
    """The plug-and-play listener, or None when it is off or cannot start.

    Every phone that announces itself is sent to the agent as a sighting;
    the agent lists those that are not in the inventory.
    """
    interface = os.environ.get(PNP_INTERFACE, "").strip()
    if not interface:
        return None
    port = int(os.environ.get(PNP_PORT, "") or pnp.SIP_PORT)

    def url_for(request: pnp.ProfileRequest) -> str:
        return pnp.provisioning_url(site_profile(appliance.settings).http_base, request)

    def seen(request: pnp.ProfileRequest, source_ip: str) -> None:
        found = sightings.from_subscribe(
            request.vendor, request.model, request.mac, source_ip
        )
        if found is not None:
            tree.sightings(found)

    try:
        return await pnp.start(url_for, interface, port, seen)
    except OSError as exc:
        log.warning("pnp: not listening on %s port %d: %s", interface, port, exc)
        return None


def serve(appliance: Appliance) -> None:
    tree = ProvisioningTree(appliance)
    # Misses (MAC walking) and refused names reach the agent's jail.
    events.subscribe(events.Forwarder(str(socket_path(appliance.settings))))

    def fetch(name: str, source_ip: str) -> bytes:
        return tree.fetch(name, source_ip, None, "tftp").content

    async def main() -> None:
        settings = appliance.settings
        server = TftpServer(settings.bind, settings.tftp_port, fetch)
        await server.start()
        plug_and_play = await _start_pnp(appliance, tree)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        if plug_and_play is not None:
            plug_and_play.close()
        await server.close()
        log.info("tftp: stopped")

    asyncio.run(main())
