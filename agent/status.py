"""What ``edgepbx status`` reports: is every part of the appliance answering."""

from __future__ import annotations

import json

from agent.appliance import Appliance
from agent.media import pool
from agent.rtpengine import daemon as rtpengine_daemon
from agent.settings import Settings
from agent.sip.kamailio_config import sip_domain, sip_host
from agent.supervisor.lock import agent_is_running


def web_addresses(settings: Settings) -> dict:
    """The web admin's addresses where these settings have it listen."""
    host = sip_host(settings)
    return {
        "https": f"https://{host}:{settings.https_port}/",
        "http": f"http://{host}:{settings.http_port}/",
    }


# The web and TFTP servers' modules are imported to probe a running agent
# only: `edgepbx status` with the agent stopped needs neither.


def _web_answering(settings) -> bool:
    from agent.web import daemons

    return daemons.web_answering(settings)


def _tftp_answering(settings) -> bool:
    from provisioning_server.supervision import tftp_answering

    return tftp_answering(settings)


def _media_ports(supervised: dict) -> list[int]:
    """The media workers' ports: those the running agent supervises, else
    the environment's. A command run without the agent's EDGEPBX_MEDIA_PORTS
    (another terminal, an SSH session) still probes the workers that run."""
    prefix = "media-"
    running = [
        int(name.removeprefix(prefix))
        for name in supervised
        if name.startswith(prefix) and name.removeprefix(prefix).isdigit()
    ]
    return running or list(pool.MediaPool.from_environment().ports)


def appliance_status(appliance: Appliance) -> dict:
    settings = appliance.settings
    agent_running = agent_is_running(settings)
    state = {}
    if agent_running and settings.agent_state_file.exists():
        state = json.loads(settings.agent_state_file.read_text())
    supervised = state.get("daemons", {})

    probes = {
        "rtpengine": rtpengine_daemon.ng_client(settings).ping,
        "kamailio": appliance.kamailio.ping,
        "webadmin": lambda: _web_answering(settings),
        "provisioning": lambda: _tftp_answering(settings),
    }
    for port in _media_ports(supervised):
        pid = supervised.get(f"media-{port}", {}).get("pid")
        probes[f"media-{port}"] = lambda port=port, pid=pid: pool.worker_answering(
            settings, port, pid
        )
    daemons = {}
    for name, answering in probes.items():
        daemon = dict(supervised.get(name, {"running": False, "pid": None}))
        daemon["answering"] = agent_running and answering()
        daemons[name] = daemon

    return {
        "ready": agent_running and all(d["answering"] for d in daemons.values()),
        "agent": {"running": agent_running, "pid": state.get("pid")},
        "daemons": daemons,
        "sip": {
            "address": f"{sip_host(settings)}:{settings.sip_port}",
            "transports": ["udp", "tcp", "tls"],
            "tls_address": f"{sip_host(settings)}:{settings.sip_tls_port}",
            "domain": sip_domain(settings),
        },
        "web": web_addresses(settings),
        "data_dir": str(settings.data_dir),
        "extensions": appliance.extensions.count(),
    }
