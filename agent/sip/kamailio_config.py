"""Kamailio's configuration, applied as a transaction.

Render the template and the routing settings into new files, have
``kamailio -c`` check them, and only then swap them in place of the old
ones. On any failure the files Kamailio runs with are untouched and the
error says what Kamailio objected to.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agent import ports
from agent.devicekey import create_secret_file
from agent.errors import InvalidInput
from agent.media import music_on_hold
from agent.media.pool import MediaPool, ensure_token
from agent.settings import Settings
from agent.sip import lamps
from agent.sip.routing import DEFAULT_RING_MS, RoutingSettings
from agent.sip.transfer import TRANSFER_FOLLOW_UP_S

TEMPLATE = Path(__file__).with_name("kamailio.cfg.tmpl")
ROUTING_SCRIPT = Path(__file__).with_name("routing.py")
KAMAILIO = "kamailio"

# Worker processes: UDP receivers per listening socket and TCP workers.
# Two cores; SIP work is short, but a call's routing also waits on
# rtpengine's and the dispatcher's answers, so two receivers a core. The
# phones on TCP and TLS are the few, and two workers serve them: each
# Kamailio process costs some 2.5 MB at idle (scripts/bench/idle_memory).
UDP_CHILDREN = 4
TCP_CHILDREN = 2

# RFC 3261 section 10.2.1.1 leaves expiry to the registrar. Phones on the
# LAN refresh every hour by default; 60 s is the floor below which a phone
# gets 423 Interval Too Brief.
MIN_EXPIRES_S = 60
DEFAULT_EXPIRES_S = 3600
MAX_EXPIRES_S = 7200
# A registration's Call-ID is remembered a little past the longest expiry,
# so that any refresh in time is known as one (routing.register).
REGISTRATION_MEMORY_S = MAX_EXPIRES_S + 300
# A call on hold with music is remembered this long (agent/sip/hold.py):
# longer than any hold, short enough that lost ends do not pile up.
HOLD_MEMORY_S = 24 * 3600
# Desk phone + softphone + mobile app per person, with room to spare.
MAX_CONTACTS_PER_EXTENSION = 10
# An extension rings for this long before the call goes to its voicemail
# or the caller hears no-answer; EDGEPBX_RING_TIMEOUT_S overrides it.
RING_TIMEOUT_MS = DEFAULT_RING_MS
RING_TIMEOUT_S_RANGE = (2, 300)
# A ringing call stays pickable this long (agent/sip/pickup.py): twice the
# longest ring; an entry whose call has ended is refused by tm anyway.
PICKUP_MEMORY_S = 2 * RING_TIMEOUT_S_RANGE[1]
# How long the htable keeps a noted transfer before sweeping it away: the
# note itself lapses sooner (agent/sip/transfer.py, TRANSFER_FOLLOW_UP_S).
TRANSFER_MEMORY_S = 2 * TRANSFER_FOLLOW_UP_S
# How often registrations are written back to the state database.
USRLOC_FLUSH_S = 5
# How often NATed phones are pinged with OPTIONS to keep their binding open.
NATPING_INTERVAL_S = 30
TCP_CONNECTION_LIFETIME_S = 3605
KAMAILIO_CHECK_TIMEOUT_S = 30
# Shared memory holds transactions (about 28 KB per call for the 5 s tm
# keeps a finished one), so 64 MB carries 300 call set-ups a second; private
# memory is per process and holds one message at a time.
SHARED_MEMORY_MB = 64
PRIVATE_MEMORY_MB = 8
# pike: requests per window from one address before it counts as a flood.
# Generous, since a NATed office sends every phone's traffic from one
# address; a scanner or a REGISTER flood sends hundreds a second.
FLOOD_WINDOW_S = 2
FLOOD_REQUESTS = 100
FLOOD_BLOCK_S = 300

# The agent's security event socket (agent.security.listener), named here
# too so the SIP core's configuration does not import the security package.
EVENTS_SOCKET_NAME = "security-events.sock"
# The agent's call event socket (agent.cdr.listener): call records.
CALL_EVENTS_SOCKET_NAME = "call-events.sock"

# How often each media worker is probed with OPTIONS: a worker restarted
# by the agent takes calls again within this.
MEDIA_PING_INTERVAL_S = 2

ENV_ROUTING_SETTINGS = "EDGEPBX_ROUTING_SETTINGS"
_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")


class ConfigRejected(RuntimeError):
    """Kamailio refused the rendered configuration; the old one stays."""


@dataclass(frozen=True)
class SipCoreFiles:
    cfg: Path
    routing_settings: Path
    dispatcher_list: Path

    @classmethod
    def in_dir(cls, run_dir: Path, suffix: str = "") -> SipCoreFiles:
        return cls(
            cfg=run_dir / f"kamailio.cfg{suffix}",
            routing_settings=run_dir / f"routing.json{suffix}",
            dispatcher_list=run_dir / f"dispatcher.list{suffix}",
        )


def uri_host(address: str) -> str:
    """An address or domain as the host part of a URI (IPv6 in brackets)."""
    return f"[{address}]" if ":" in address else address


def sip_host(settings: Settings) -> str:
    """The bind address as it appears in a SIP URI (IPv6 in brackets)."""
    return uri_host(settings.bind)


def sip_domain(settings: Settings) -> str:
    """The SIP domain: the bind address unless a domain is set."""
    return settings.sip_domain_override or settings.bind


def _auth_secret(run_dir: Path) -> str:
    """A per-device secret for nonces, kept so nonces survive a restart."""
    path = run_dir.parent / "certs" / "sip-nonce.secret"
    if not path.exists():
        create_secret_file(path, secrets.token_hex(16).encode())
    return path.read_text().strip()


def _alias(settings: Settings) -> str:
    """A SIP domain other than the listen address is also "us", on our port.

    Without a port an alias would claim every port of that host, and a phone
    on the same host (a softphone on the appliance's own address) would be
    taken for the PBX itself.
    """
    domain = sip_domain(settings)
    if domain == settings.bind:
        return ""
    sip_ports = (settings.sip_port, settings.sip_tls_port)
    return "\n".join(f'alias="{domain}:{port}"' for port in sip_ports)


def ring_timeout_ms() -> int:
    raw = os.environ.get("EDGEPBX_RING_TIMEOUT_S", "")
    if not raw:
        return RING_TIMEOUT_MS
    low, high = RING_TIMEOUT_S_RANGE
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(
            "EDGEPBX_RING_TIMEOUT_S", raw, f"seconds, from {low} to {high}"
        )
    return int(raw) * 1000


def render(settings: Settings, realm: str) -> tuple[str, str]:
    """Return (kamailio.cfg text, routing settings text).

    The dispatcher list (the media workers) is named in kamailio.cfg as the
    live file; ``apply`` writes it.
    """
    host = sip_host(settings)
    listen = "\n".join(
        f"listen={proto}:{host}:{settings.sip_port}" for proto in ("udp", "tcp")
    )
    listen += f"\nlisten=tls:{host}:{settings.sip_tls_port}"
    values = {
        "log_level": "1",
        "log_prefix": "{$mt $hdr(CSeq) $ci} ",
        "udp_children": str(UDP_CHILDREN),
        "tcp_children": str(TCP_CHILDREN),
        "tcp_connection_lifetime": str(TCP_CONNECTION_LIFETIME_S),
        "domain": sip_domain(settings),
        "alias": _alias(settings),
        "listen": listen,
        "rpc_socket": str(settings.kamailio_rpc_socket),
        "ring_timeout_ms": str(ring_timeout_ms()),
        "auth_secret": _auth_secret(settings.run_dir),
        "config_db_url": f"sqlite:///{settings.config_db}",
        "state_db_url": f"sqlite:///{settings.sip_state_db}",
        "usrloc_flush_s": str(USRLOC_FLUSH_S),
        "flag_nat_branch": "6",
        "flag_ping_branch": "7",
        "flag_blf_no_caller": str(lamps.FLAG_NO_CALLER),
        "flag_blf_no_callee": str(lamps.FLAG_NO_CALLEE),
        "max_contacts": str(MAX_CONTACTS_PER_EXTENSION),
        "min_expires": str(MIN_EXPIRES_S),
        "default_expires": str(DEFAULT_EXPIRES_S),
        "max_expires": str(MAX_EXPIRES_S),
        "registration_memory_s": str(REGISTRATION_MEMORY_S),
        "hold_memory_s": str(HOLD_MEMORY_S),
        "pickup_memory_s": str(PICKUP_MEMORY_S),
        "transfer_memory_s": str(TRANSFER_MEMORY_S),
        "natping_interval_s": str(NATPING_INTERVAL_S),
        "routing_script": str(ROUTING_SCRIPT),
        "flood_window_s": str(FLOOD_WINDOW_S),
        "flood_requests": str(FLOOD_REQUESTS),
        "flood_block_s": str(FLOOD_BLOCK_S),
        "tls_certificate": str(settings.https_certificate),
        "tls_private_key": str(settings.https_key),
        "rtpengine_sock": f"udp:127.0.0.1:{settings.rtpengine_ng_port}",
        "contact_addr": f"{host}:{settings.sip_port}",
        "dispatcher_list": str(SipCoreFiles.in_dir(settings.run_dir).dispatcher_list),
        "media_ping_interval_s": str(MEDIA_PING_INTERVAL_S),
    }

    def fill(match: re.Match) -> str:
        return values[match.group(1)]

    cfg = _PLACEHOLDER.sub(fill, TEMPLATE.read_text())
    events_socket = settings.run_dir / EVENTS_SOCKET_NAME
    routing = str(
        RoutingSettings(
            realm=realm,
            events_socket=str(events_socket),
            config_db=str(settings.config_db),
            call_events_socket=str(settings.run_dir / CALL_EVENTS_SOCKET_NAME),
            ring_ms=ring_timeout_ms(),
            media_token=ensure_token(settings),
            music_on_hold=str(music_on_hold.music_file(settings)),
        )
    )
    return cfg, routing


def check(files: SipCoreFiles) -> None:
    """Run ``kamailio -c`` on rendered files; raise ConfigRejected if bad."""
    env = dict(os.environ, **{ENV_ROUTING_SETTINGS: str(files.routing_settings)})
    try:
        result = subprocess.run(
            [KAMAILIO, "-c", "-f", str(files.cfg)],
            env=env,
            capture_output=True,
            text=True,
            timeout=KAMAILIO_CHECK_TIMEOUT_S,
        )
    except FileNotFoundError:
        raise ConfigRejected("kamailio is not installed (run make deps)") from None
    if result.returncode != 0:
        errors = [
            line.strip()
            for line in result.stderr.splitlines()
            if "ERROR" in line or "CRITICAL" in line
        ]
        raise ConfigRejected(
            "kamailio rejected the configuration: "
            + ("; ".join(errors[-5:]) or f"exit status {result.returncode}")
        )


def apply(settings: Settings, realm: str) -> SipCoreFiles:
    """Render, check and swap in Kamailio's configuration.

    Returns the paths Kamailio must be started with. The previous files
    stay in place if anything fails.
    """
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    live = SipCoreFiles.in_dir(settings.run_dir)
    new = SipCoreFiles.in_dir(settings.run_dir, ".new")
    cfg, routing = render(settings, realm)
    new.cfg.write_text(cfg)
    new.routing_settings.write_text(routing)
    new.dispatcher_list.write_text(MediaPool.from_environment().dispatcher_list())
    # kamailio -c reads the list file named in the cfg: the live one.
    previous_list = (
        live.dispatcher_list.read_text() if live.dispatcher_list.exists() else None
    )
    os.replace(new.dispatcher_list, live.dispatcher_list)
    try:
        check(new)
    except ConfigRejected:
        new.cfg.unlink(missing_ok=True)
        new.routing_settings.unlink(missing_ok=True)
        if previous_list is not None:
            live.dispatcher_list.write_text(previous_list)
        raise
    os.replace(new.routing_settings, live.routing_settings)
    os.replace(new.cfg, live.cfg)
    return live


def check_port_free(settings: Settings) -> None:
    """Refuse to start Kamailio on a SIP port another program holds.

    Kamailio would only say "bind failed" among its start-up lines; this
    says which address and what to do about it.
    """
    ports.ensure_free(settings.bind, settings.sip_port, "EDGEPBX_SIP_PORT", udp=True)


def kamailio_command(files: SipCoreFiles, settings: Settings) -> list[str]:
    return [
        shutil.which(KAMAILIO) or KAMAILIO,
        "-DD",
        "-E",
        "-f",
        str(files.cfg),
        "-Y",
        str(settings.run_dir),
        "-w",
        str(settings.run_dir),
        "-m",
        str(SHARED_MEMORY_MB),
        "-M",
        str(PRIVATE_MEMORY_MB),
        # TLSF instead of the default allocator: measured to halve Kamailio's
        # CPU time per REGISTER, where the default spent a quarter of it.
        "-x",
        "tlsf",
    ]


def kamailio_environment(files: SipCoreFiles) -> dict[str, str]:
    return dict(os.environ, **{ENV_ROUTING_SETTINGS: str(files.routing_settings)})
