"""Is the release just booted fit to keep? The health check before a commit.

A trial boot is committed only when the appliance works as a phone system:
the agent reports every daemon answering (the same report as ``edgepbx
status``), the configuration database opened and migrated to this
release's schema and passes SQLite's quick check, and the SIP core answers
an OPTIONS request on its public port.
"""

from __future__ import annotations

import secrets
import socket

from agent.appliance import Appliance
from agent.db.migrations import LATEST_VERSION, schema_version
from agent.settings import Settings
from agent.sip.kamailio_config import sip_domain, sip_host, uri_host
from agent.status import appliance_status
from agent.web.daemons import probe_host

# A SIP transaction over UDP gives up after 64*T1 = 32 s (RFC 3261 section
# 17.1.2.2); a local core that is up answers within milliseconds, and the
# check is repeated, so one short wait per attempt is enough.
OPTIONS_TIMEOUT_S = 2.0
SIP_OK = 200


def sip_answers_options(settings: Settings) -> bool:
    """Send one OPTIONS to the PBX itself; true if it answers 200."""
    host = probe_host(settings)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    branch = "z9hG4bK" + secrets.token_hex(8)  # RFC 3261 section 8.1.1.7
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(OPTIONS_TIMEOUT_S)
        sock.bind((host, 0))
        local_port = sock.getsockname()[1]
        local = uri_host(host)
        uri = f"sip:{sip_host(settings)}:{settings.sip_port}"
        request = (
            f"OPTIONS {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {local}:{local_port};branch={branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:health@{sip_domain(settings)}>;tag={secrets.token_hex(4)}\r\n"
            f"To: <{uri}>\r\n"
            f"Call-ID: {secrets.token_hex(12)}@edgepbx-health\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        try:
            sock.sendto(request.encode(), (host, settings.sip_port))
            reply = sock.recv(65535)
        except OSError:
            return False
    status_line = reply.split(b"\r\n", 1)[0].split(b" ")
    return len(status_line) >= 2 and status_line[1] == str(SIP_OK).encode()


def problems(appliance: Appliance) -> list[str]:
    """What is wrong with the running appliance; empty when it is healthy."""
    found = []
    version = schema_version(appliance.db)
    if version != LATEST_VERSION:
        found.append(
            f"database at schema {version}, this release needs {LATEST_VERSION}"
        )
    check = appliance.db.execute_sql("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        found.append(f"database quick check: {check}")
    report = appliance_status(appliance)
    if not report["agent"]["running"]:
        found.append("the agent is not running")
    silent = [name for name, d in report["daemons"].items() if not d["answering"]]
    if silent:
        found.append("not answering: " + ", ".join(silent))
    if not sip_answers_options(appliance.settings):
        found.append("SIP core does not answer OPTIONS")
    return found
