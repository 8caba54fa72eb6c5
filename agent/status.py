"""What ``edgepbx status`` reports: is every part of the appliance answering."""

from __future__ import annotations

import json

from agent.appliance import Appliance
from agent.sip.kamailio_config import sip_domain, sip_host
from agent.supervisor.agent import agent_is_running


def appliance_status(appliance: Appliance) -> dict:
    settings = appliance.settings
    agent_running = agent_is_running(settings)
    state = {}
    if agent_running and settings.agent_state_file.exists():
        state = json.loads(settings.agent_state_file.read_text())
    supervised = state.get("daemons", {})

    kamailio = dict(supervised.get("kamailio", {"running": False, "pid": None}))
    kamailio["answering"] = agent_running and appliance.kamailio.ping()

    daemons = {"kamailio": kamailio}
    return {
        "ready": agent_running and all(d["answering"] for d in daemons.values()),
        "agent": {"running": agent_running, "pid": state.get("pid")},
        "daemons": daemons,
        "sip": {
            "address": f"{sip_host(settings)}:{settings.sip_port}",
            "transports": ["udp", "tcp"],
            "domain": sip_domain(settings),
        },
        "data_dir": str(settings.data_dir),
        "extensions": len(appliance.extensions.list()),
    }
