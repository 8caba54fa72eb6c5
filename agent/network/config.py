"""The appliance's network settings as a person sets them, and their rules.

One LAN port carries the appliance: an address from DHCP or a static one
with its gateway and name servers, optionally a voice VLAN on the same
port for the phones, and the host name, time servers and time zone.

The settings live in a JSON file on the data partition, not in the
database: they are needed at boot before any daemon runs, and by the
recovery console when the database is damaged.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field

from agent import time_zones
from agent.errors import InvalidInput

DHCP = "dhcp"
STATIC = "static"
MODES = (DHCP, STATIC)
# IEEE 802.1Q: 0 and 4095 are reserved.
VLAN_ID_MIN, VLAN_ID_MAX = 1, 4094
# Linux interface names are at most 15 characters (IFNAMSIZ - 1).
IFNAME_MAX = 15
_IFNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# RFC 1123 host name labels; the appliance's name is one label.
_HOST_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
# resolv.conf reads at most three name servers (resolv.conf(5), MAXNS).
DNS_MAX = 3
NTP_MAX = 4
DEFAULT_HOSTNAME = "edgepbx"
DEFAULT_TIMEZONE = "UTC"


def interface_name(value: str, field_name: str = "interface") -> str:
    value = (value or "").strip()
    if not _IFNAME.fullmatch(value) or len(value) > IFNAME_MAX:
        raise InvalidInput(
            field_name, value, f"an interface name of 1 to {IFNAME_MAX} characters"
        )
    return value


def ipv4_interface(value: str, field_name: str) -> ipaddress.IPv4Interface:
    try:
        iface = ipaddress.IPv4Interface((value or "").strip())
    except ValueError:
        raise InvalidInput(
            field_name, value, "an IPv4 address with its prefix, like 192.0.2.10/24"
        ) from None
    if "/" not in value:
        raise InvalidInput(
            field_name, value, "needs its prefix length, like 192.0.2.10/24"
        )
    net = iface.network
    if net.prefixlen < 31 and iface.ip in {net.network_address, net.broadcast_address}:
        raise InvalidInput(
            field_name, value, "is the network's own or broadcast address"
        )
    if iface.ip.is_multicast or iface.ip.is_loopback or iface.ip.is_unspecified:
        raise InvalidInput(field_name, value, "must be a unicast address")
    return iface


def ipv4_address(value: str, field_name: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address((value or "").strip())
    except ValueError:
        raise InvalidInput(field_name, value, "an IPv4 address") from None


@dataclass(frozen=True)
class VoiceVlan:
    id: int
    #: The appliance's own address on the voice VLAN, like 10.20.0.1/24.
    address: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class NetworkConfig:
    interface: str
    mode: str = DHCP
    address: str | None = None
    gateway: str | None = None
    dns: list[str] = field(default_factory=list)
    voice_vlan: VoiceVlan | None = None
    hostname: str = DEFAULT_HOSTNAME
    ntp: list[str] = field(default_factory=list)
    timezone: str = DEFAULT_TIMEZONE

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def vlan_interface(self) -> str | None:
        if self.voice_vlan is None:
            return None
        return f"{self.interface}.{self.voice_vlan.id}"[:IFNAME_MAX]

    @classmethod
    def parse(cls, values: dict) -> NetworkConfig:
        """Check every field of values; the first broken rule is raised."""
        if not isinstance(values, dict):
            raise InvalidInput("network", values, "an object of settings")
        known = set(cls.__dataclass_fields__)
        for name in values:
            if name not in known:
                raise InvalidInput(name, None, f"unknown; known: {', '.join(known)}")
        for name in ("interface", "mode", "address", "gateway", "hostname", "timezone"):
            if values.get(name) is not None and not isinstance(values[name], str):
                raise InvalidInput(name, None, "must be text")

        interface = interface_name(values.get("interface", ""))
        mode = values.get("mode", DHCP)
        if mode not in MODES:
            raise InvalidInput("mode", mode, "dhcp or static")
        address = gateway = None
        dns = _string_list(values.get("dns"), "dns", DNS_MAX)
        for i, server in enumerate(dns):
            ipv4_address(server, f"dns[{i}]")

        if mode == STATIC:
            if not values.get("address"):
                raise InvalidInput("address", None, "needed for a static address")
            iface = ipv4_interface(values["address"], "address")
            address = str(iface)
            if values.get("gateway"):
                gw = ipv4_address(values["gateway"], "gateway")
                if gw not in iface.network:
                    raise InvalidInput(
                        "gateway", str(gw), f"must be inside {iface.network}"
                    )
                if gw == iface.ip:
                    raise InvalidInput("gateway", str(gw), "is the address itself")
                gateway = str(gw)
        else:
            for name in ("address", "gateway"):
                if values.get(name):
                    raise InvalidInput(name, values[name], "only with mode static")

        vlan = _voice_vlan(values.get("voice_vlan"), address)
        hostname = (values.get("hostname") or DEFAULT_HOSTNAME).strip().lower()
        if not _HOST_LABEL.fullmatch(hostname):
            raise InvalidInput(
                "hostname", hostname, "1 to 63 of a-z, 0-9 and dash, not at the ends"
            )
        ntp = _string_list(values.get("ntp"), "ntp", NTP_MAX)
        for i, server in enumerate(ntp):
            if not _HOST_NAME.fullmatch(server):
                raise InvalidInput(f"ntp[{i}]", server, "a host name or an address")
        timezone = _timezone(values.get("timezone") or DEFAULT_TIMEZONE)
        return cls(
            interface=interface,
            mode=mode,
            address=address,
            gateway=gateway,
            dns=dns,
            voice_vlan=vlan,
            hostname=hostname,
            ntp=ntp,
            timezone=timezone,
        )


def _string_list(value: object, field_name: str, most: int) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(field_name, value, "a list of names or addresses")
    if len(value) > most:
        raise InvalidInput(field_name, ", ".join(value), f"at most {most}")
    return [v.strip() for v in value]


def _voice_vlan(value: object, lan_address: str | None) -> VoiceVlan | None:
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict):
        raise InvalidInput("voice_vlan", value, "an object with id and address")
    raw_id = value.get("id")
    if (
        isinstance(raw_id, str)
        and raw_id.strip().isascii()
        and raw_id.strip().isdigit()
    ):
        raw_id = int(raw_id)
    if not isinstance(raw_id, int) or not VLAN_ID_MIN <= raw_id <= VLAN_ID_MAX:
        raise InvalidInput(
            "voice_vlan.id",
            raw_id,
            f"a VLAN number from {VLAN_ID_MIN} to {VLAN_ID_MAX}",
        )
    iface = ipv4_interface(value.get("address") or "", "voice_vlan.address")
    if lan_address and iface.network.overlaps(
        ipaddress.IPv4Interface(lan_address).network
    ):
        raise InvalidInput(
            "voice_vlan.address", str(iface), "must be another network than the LAN's"
        )
    return VoiceVlan(id=raw_id, address=str(iface))


def _timezone(value: str) -> str:
    value = value.strip()
    if not time_zones.is_zone(value):
        raise InvalidInput(
            "timezone", value, "a time zone name like Europe/Berlin or UTC"
        )
    return value


def from_stored(values: dict) -> NetworkConfig:
    """A stored config as written by to_dict (voice_vlan as a dict)."""
    return NetworkConfig.parse(dict(values))
