"""rtpengine as the agent runs it: userspace forwarding, control on loopback.

The same command runs under systemd on the device and under the agent in
``make run``: ``--foreground`` so the supervisor sees it die, ``--table=-1``
so it forwards in userspace and never needs its kernel module, the control
("ng") socket on loopback only, since only Kamailio and the agent talk to it.
"""

from __future__ import annotations

import os
import shutil

from agent import ports
from agent.rtpengine.ng import NgClient
from agent.settings import Settings
from agent.supervisor.daemon import DaemonSpec

RTPENGINE = "rtpengine"
NG_HOST = "127.0.0.1"
# RTP ports: an even port per stream and the odd one above it for RTCP
# (RFC 3550 section 11); 10,000 ports carry 2,500 relayed calls.
RTP_PORT_MIN = 30000
RTP_PORT_MAX = 39999
# A call whose media stopped this long ago is gone (a phone lost power):
# the relay frees its ports. RFC 3550 RTCP alone would keep it a while.
MEDIA_TIMEOUT_S = 60
# Userspace forwarding threads: one per core of the 2-core target.
THREADS = 2


def ng_client(settings: Settings) -> NgClient:
    return NgClient(NG_HOST, settings.rtpengine_ng_port)


def rtpengine_command(settings: Settings) -> list[str]:
    return [
        shutil.which(RTPENGINE) or RTPENGINE,
        "--foreground",
        "--table=-1",
        # No packaged /etc/rtpengine/rtpengine.conf: everything is said here.
        "--config-file=none",
        f"--interface={settings.bind}",
        f"--listen-ng={NG_HOST}:{settings.rtpengine_ng_port}",
        f"--port-min={RTP_PORT_MIN}",
        f"--port-max={RTP_PORT_MAX}",
        f"--timeout={MEDIA_TIMEOUT_S}",
        # A call's ports are freed at its BYE, not 30 s later: the PBX
        # deletes a call only once both ends have hung up.
        "--delete-delay=0",
        f"--num-threads={THREADS}",
        # Recorded calls (the "record-call" offer flag): every packet to a
        # pcap file, made into audio by the agent (agent/recordings).
        f"--recording-dir={settings.capture_dir}",
        "--recording-method=pcap",
        "--log-stderr",
        "--log-level=5",
        # Its start and each call's creation and packet totals, at INFO
        # (syslog 6), are worth a line each; the control protocol's INFO
        # lines (two for every ping the agent sends) are not.
        "--log-level-core=6",
    ]


def rtpengine_spec(settings: Settings) -> DaemonSpec:
    client = ng_client(settings)

    def prepare() -> tuple[list[str], dict[str, str]]:
        ports.ensure_free(
            NG_HOST, settings.rtpengine_ng_port, "EDGEPBX_RTPENGINE_PORT", udp=True
        )
        settings.capture_dir.mkdir(parents=True, exist_ok=True)
        return rtpengine_command(settings), dict(os.environ)

    return DaemonSpec(name="rtpengine", prepare=prepare, answering=client.ping)
