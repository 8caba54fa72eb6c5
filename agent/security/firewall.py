"""The appliance's packet filter: one nftables table, ``inet edgepbx``.

Inbound traffic is denied by default; the enabled services (SIP, RTP, the
web admin, SSH, TFTP) are allowed, each with an optional allow-list (only
these networks) and block-list (never these networks). The security jail's
bans are two sets with timeouts, checked before anything else, so a banned
address loses even the flows it already had.

The whole table is replaced in one ``nft -f`` run, which the kernel applies
as one transaction: a rule set that fails to load leaves the previous one in
place. Active bans are written into the new table in the same transaction,
so a change of rules never lets a banned address back in.

Why ``nft`` as a subprocess and not the ``nftables`` Python binding: the
binding is a Debian package outside the virtual environment, and it wraps
the same libnftables with the same text and JSON input; a process per change
costs a few milliseconds, and only ban and unban (one element each) are on a
latency path. Status is read back with ``nft -j`` (JSON).

On a workstation (``make run``) the host's rules are left alone unless
``EDGEPBX_FIREWALL=1``; the device's service unit sets it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field

from agent import audit, system_settings
from agent.accounts.roles import Permission, Principal
from agent.errors import InvalidInput, PbxError
from agent.rtpengine import daemon as rtpengine_daemon
from agent.settings import Settings

log = logging.getLogger("edgepbx.firewall")

TABLE_FAMILY = "inet"
TABLE_NAME = "edgepbx"
BAN_SET = {4: "banned4", 6: "banned6"}
ENV_ENABLED = "EDGEPBX_FIREWALL"
SETTING_KEY = "security.firewall"
NFT = "nft"
NFT_TIMEOUT_S = 10

# RTP media ports: the range the media relay allocates from, so relayed
# trunk and NAT calls get through a default-deny firewall. The media
# service's workers take ephemeral ports; their audio is let in once the
# worker has sent its first packet (established state).
RTP_PORT_MIN = rtpengine_daemon.RTP_PORT_MIN
RTP_PORT_MAX = rtpengine_daemon.RTP_PORT_MAX
SSH_PORT = 22  # RFC 4253
# nftables needs at least one second for an element timeout.
MIN_TIMEOUT_S = 1

WEB_SERVICES = ("web-https", "web-http")


class FirewallRejected(PbxError):
    """nft refused the rule set; the previous one is still loaded."""

    kind = "firewall-rejected"


class LockoutRefused(PbxError):
    """The change would shut the one asking out of the web admin."""

    kind = "lockout-refused"


@dataclass(frozen=True)
class Service:
    """One thing the appliance serves, as the firewall sees it."""

    name: str
    protocols: tuple[str, ...]
    ports: str  # one port or a range "a-b", as nft writes it


def services(settings: Settings) -> list[Service]:
    return [
        Service("sip", ("udp", "tcp"), str(settings.sip_port)),
        Service("sip-tls", ("tcp",), str(settings.sip_tls_port)),
        Service("rtp", ("udp",), f"{RTP_PORT_MIN}-{RTP_PORT_MAX}"),
        Service("web-https", ("tcp",), str(settings.https_port)),
        Service("web-http", ("tcp",), str(settings.http_port)),
        Service("ssh", ("tcp",), str(SSH_PORT)),
        Service("tftp", ("udp",), str(settings.tftp_port)),
    ]


@dataclass
class ServiceRule:
    enabled: bool = True
    #: When not empty, only these networks reach the service.
    allow: list[str] = field(default_factory=list)
    #: These networks never reach the service.
    block: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"enabled": self.enabled, "allow": self.allow, "block": self.block}


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def network(text: str, field_name: str) -> Network:
    """Parse an address or network (IPv4 or IPv6) as an administrator types it."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise InvalidInput(
            field_name, text, "an IPv4 or IPv6 address or network (CIDR)"
        ) from None


@dataclass
class FirewallConfig:
    rules: dict[str, ServiceRule]

    @classmethod
    def default(cls, settings: Settings) -> FirewallConfig:
        return cls({s.name: ServiceRule() for s in services(settings)})

    @classmethod
    def load(cls, settings: Settings) -> FirewallConfig:
        config = cls.default(settings)
        stored = system_settings.get(SETTING_KEY) or {}
        for name, value in stored.items():
            if name in config.rules:
                config.rules[name] = ServiceRule(
                    enabled=bool(value.get("enabled", True)),
                    allow=list(value.get("allow", [])),
                    block=list(value.get("block", [])),
                )
        return config

    def save(self) -> None:
        system_settings.put(SETTING_KEY, self.to_dict())

    def to_dict(self) -> dict:
        return {name: rule.to_dict() for name, rule in self.rules.items()}

    def validate(self, requester: str | None = None) -> None:
        """Refuse bad networks and any change that locks the web admin out.

        Args:
            requester: the address of whoever asks (None from the console,
                which reaches the device without the network).
        """
        for name, rule in self.rules.items():
            for kind in ("allow", "block"):
                for text in getattr(rule, kind):
                    network(text, f"{name}.{kind}")
        web = [self.rules[name] for name in WEB_SERVICES if name in self.rules]
        if not any(rule.enabled or rule.allow for rule in web):
            raise LockoutRefused(
                "web-https: the web admin cannot be closed to everyone; "
                "allow at least one network",
                field="web-https.enabled",
            )
        if requester is not None:
            self._check_requester_keeps_access(requester)

    def _check_requester_keeps_access(self, requester: str) -> None:
        address = ipaddress.ip_address(requester)
        rule = self.rules["web-https"]
        allowed = rule.enabled and (
            not rule.allow or any(address in network(n, "allow") for n in rule.allow)
        )
        blocked = any(address in network(n, "block") for n in rule.block)
        if blocked or not allowed:
            raise LockoutRefused(
                f"web-https: this change would block your own address {requester}",
                field="web-https",
            )


def enabled() -> bool:
    return os.environ.get(ENV_ENABLED, "") == "1"


def family(address: str) -> int:
    return ipaddress.ip_address(address).version


# -- rendering ------------------------------------------------------------------


def _split_families(texts: list[str]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {4: [], 6: []}
    for text in texts:
        net = network(text, "network")
        out[net.version].append(str(net))
    return out


def _service_rules(service: Service, rule: ServiceRule) -> list[str]:
    lines: list[str] = []
    if not rule.enabled and not rule.allow:
        return lines
    for proto in service.protocols:
        match = f"{proto} dport {service.ports}"
        for version, nets in _split_families(rule.block).items():
            if nets:
                lines.append(f"{_saddr(version)} {{ {', '.join(nets)} }} {match} drop")
        if rule.allow:
            for version, nets in _split_families(rule.allow).items():
                if nets:
                    lines.append(
                        f"{_saddr(version)} {{ {', '.join(nets)} }} {match} accept"
                    )
        else:
            lines.append(f"{match} accept")
    return lines


def _saddr(version: int) -> str:
    return "ip saddr" if version == 4 else "ip6 saddr"


def _elements(bans: list[tuple[str, float]], version: int) -> str:
    items = [
        f"{address} timeout {max(MIN_TIMEOUT_S, int(seconds))}s"
        for address, seconds in bans
        if family(address) == version
    ]
    return f"elements = {{ {', '.join(items)} }}" if items else ""


def render(
    settings: Settings, config: FirewallConfig, bans: list[tuple[str, float]]
) -> str:
    """The nft script that replaces the table; bans are (address, seconds left)."""
    service_lines: list[str] = []
    for service in services(settings):
        service_lines += _service_rules(service, config.rules[service.name])
    body = "\n        ".join(service_lines)
    return f"""\
table {TABLE_FAMILY} {TABLE_NAME}
delete table {TABLE_FAMILY} {TABLE_NAME}
table {TABLE_FAMILY} {TABLE_NAME} {{
    set {BAN_SET[4]} {{
        type ipv4_addr; flags timeout;
        {_elements(bans, 4)}
    }}
    set {BAN_SET[6]} {{
        type ipv6_addr; flags timeout;
        {_elements(bans, 6)}
    }}
    chain input {{
        type filter hook input priority filter; policy drop;
        iif "lo" accept
        ip saddr @{BAN_SET[4]} drop
        ip6 saddr @{BAN_SET[6]} drop
        ct state invalid drop
        ct state established,related accept
        # Errors and path MTU (RFC 1191); IPv6 neighbour discovery (RFC 4861).
        meta l4proto icmp accept
        meta l4proto ipv6-icmp accept
        {body}
    }}
}}
"""


# -- applying -------------------------------------------------------------------


def _nft(args: list[str], script: str | None = None) -> str:
    binary = shutil.which(NFT) or f"/usr/sbin/{NFT}"
    try:
        result = subprocess.run(
            [binary, *args],
            input=script,
            capture_output=True,
            text=True,
            timeout=NFT_TIMEOUT_S,
        )
    except FileNotFoundError:
        raise FirewallRejected("nft is not installed (package nftables)") from None
    if result.returncode != 0:
        message = " ".join(result.stderr.split())[:300]
        raise FirewallRejected(f"nft refused the rules: {message}")
    return result.stdout


def load(script: str) -> None:
    """Check, then load, the script as one transaction."""
    _nft(["-c", "-f", "-"], script)
    _nft(["-f", "-"], script)


def apply(
    settings: Settings, config: FirewallConfig, bans: list[tuple[str, float]]
) -> None:
    started = time.monotonic()
    load(render(settings, config, bans))
    log.info(
        "firewall: table %s %s loaded, %d bans, %.0f ms",
        TABLE_FAMILY,
        TABLE_NAME,
        len(bans),
        (time.monotonic() - started) * 1000,
    )


def add_ban(address: str, seconds: float) -> None:
    """Drop address from now on for seconds (one element, no table rebuild)."""
    timeout = max(MIN_TIMEOUT_S, int(seconds))
    set_name = BAN_SET[family(address)]
    _nft(
        [
            "add",
            "element",
            TABLE_FAMILY,
            TABLE_NAME,
            set_name,
            f"{{ {address} timeout {timeout}s }}",
        ]
    )


def remove_ban(address: str) -> None:
    set_name = BAN_SET[family(address)]
    # The element may already have timed out in the kernel.
    with contextlib.suppress(FirewallRejected):
        _nft(
            [
                "delete",
                "element",
                TABLE_FAMILY,
                TABLE_NAME,
                set_name,
                f"{{ {address} }}",
            ]
        )


def table_json() -> dict | None:
    """The live table as nft's JSON, or None when it is not loaded."""
    try:
        text = _nft(["-j", "list", "table", TABLE_FAMILY, TABLE_NAME])
    except FirewallRejected:
        return None
    return json.loads(text)


def status(settings: Settings, config: FirewallConfig) -> dict:
    live = table_json() if enabled() else None
    banned: list[str] = []
    rules = 0
    for item in (live or {}).get("nftables", []):
        if "set" in item and item["set"]["name"] in BAN_SET.values():
            for element in item["set"].get("elem", []):
                value = element.get("elem", {}).get("val", element)
                banned.append(str(value))
        if "rule" in item:
            rules += 1
    return {
        "managed": enabled(),
        "loaded": live is not None,
        "table": f"{TABLE_FAMILY} {TABLE_NAME}",
        "rules": rules,
        "banned_in_kernel": banned,
        "services": [
            {
                "name": s.name,
                "protocols": list(s.protocols),
                "ports": s.ports,
                **config.rules[s.name].to_dict(),
            }
            for s in services(settings)
        ],
    }


# -- the service layer ------------------------------------------------------------


class FirewallService:
    """The firewall as the CLI, the API and the web admin change it."""

    def __init__(self, settings: Settings, actor: Principal) -> None:
        self.settings = settings
        self.actor = actor

    def status(self) -> dict:
        self.actor.require(Permission.VIEW_SECURITY)
        return status(self.settings, FirewallConfig.load(self.settings))

    def set_service(
        self,
        name: str,
        enabled: bool | None = None,
        allow: list[str] | None = None,
        block: list[str] | None = None,
        requester: str | None = None,
    ) -> dict:
        """Change one service's rule; refused if it locks the asker out."""
        self.actor.require(Permission.MANAGE_SECURITY)
        config = FirewallConfig.load(self.settings)
        if name not in config.rules:
            names = ", ".join(config.rules)
            raise InvalidInput("service", name, f"one of {names}")
        before = config.rules[name].to_dict()
        rule = config.rules[name]
        if enabled is not None:
            rule.enabled = enabled
        if allow is not None:
            rule.allow = [str(network(n, f"{name}.allow")) for n in allow]
        if block is not None:
            rule.block = [str(network(n, f"{name}.block")) for n in block]
        config.validate(requester)
        self._load(config)
        config.save()
        audit.record(self.actor, "change", "firewall", name, before, rule.to_dict())
        return rule.to_dict()

    def reset(self) -> dict:
        """Back to the defaults: every service open, the web admin reachable."""
        self.actor.require(Permission.MANAGE_SECURITY)
        config = FirewallConfig.default(self.settings)
        self._load(config)
        config.save()
        audit.record(self.actor, "reset", "firewall", TABLE_NAME)
        log.warning("firewall: reset to defaults by %s", self.actor.name)
        return config.to_dict()

    def _load(self, config: FirewallConfig) -> None:
        if not enabled():
            return
        from agent.security.jail import BanService

        bans = BanService(self.actor).active_with_time_left()
        apply(self.settings, config, bans)
