"""Where each extension's phones may register and call from.

An extension with allowed networks accepts REGISTER and calls only from
addresses inside one of them; anything else is refused with 403 by the SIP
routing (``agent.sip.routing.Routing.allowed_source``), even with the right
password, and reported to the jail, since a stolen password used from
abroad is the toll fraud this guards against. An extension without any
allowed network is reachable from anywhere, as before.

The networks are stored on the extension as one comma-separated text of
canonical networks (``10.0.0.0/8,2001:db8::/32``); Kamailio loads that text
with the extension's credentials, so a change holds from the next request
on, without a reload.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import Extension
from agent.errors import InvalidInput, no_such_extension

FIELD = "allowed_networks"
# Yeastar offers a handful of entries per extension; an office with more
# places to call from than this wants a VPN, not a longer list.
MAX_NETWORKS = 16
# What the routing splits the stored text on.
SEPARATOR = ","


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """One network as an administrator types it, checked for its family.

    A bare address is a network of one (/32 or /128). A prefix longer than
    the family allows, or host bits after the prefix (10.1.2.3/8, most
    likely a typo for 10.0.0.0/8), is refused with the rule it broke.
    """
    value = text.strip()
    address, _, prefix = value.partition("/")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise InvalidInput(
            FIELD, text, "an IPv4 or IPv6 address or network (CIDR)"
        ) from None
    limit = ip.max_prefixlen
    if prefix and not (
        prefix.isascii() and prefix.isdigit() and 0 <= int(prefix) <= limit
    ):
        raise InvalidInput(
            FIELD, text, f"an IPv{ip.version} prefix length is 0 to {limit}"
        )
    try:
        return ipaddress.ip_network(value)
    except ValueError:
        wide = ipaddress.ip_network(value, strict=False)
        raise InvalidInput(
            FIELD, text, f"host bits set after the prefix; the network is {wide}"
        ) from None


def parse_networks(texts: Iterable[str]) -> list[str]:
    """Canonical networks, duplicates dropped, order kept; refuse bad ones."""
    networks: list[str] = []
    for text in texts:
        if not text.strip():
            continue
        network = str(parse_network(text))
        if network not in networks:
            networks.append(network)
    if len(networks) > MAX_NETWORKS:
        raise InvalidInput(FIELD, None, f"at most {MAX_NETWORKS} networks")
    return networks


def stored(networks: list[str]) -> str:
    return SEPARATOR.join(networks)


def from_stored(text: str) -> list[str]:
    return [n for n in (text or "").split(SEPARATOR) if n]


def allows(networks: list[str], address: str) -> bool:
    """Whether address may be used; every address when networks is empty."""
    if not networks:
        return True
    ip = ipaddress.ip_address(address.strip().removeprefix("[").removesuffix("]"))
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(n) for n in networks)


@dataclass(frozen=True)
class ExtensionNetworks:
    number: str
    networks: list[str]

    def to_dict(self) -> dict:
        return {"extension": self.number, FIELD: list(self.networks)}


class ExtensionNetworkService:
    """Allowed networks as the CLI, the REST API and the pages change them."""

    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    def get(self, number: str) -> ExtensionNetworks:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        row = _extension(number)
        return ExtensionNetworks(row.number, from_stored(row.allowed_networks))

    def restricted(self) -> list[ExtensionNetworks]:
        """Every extension that has allowed networks, by number."""
        self.actor.require(Permission.VIEW_EXTENSIONS)
        rows = Extension.select().where(Extension.allowed_networks != "")
        return [
            ExtensionNetworks(row.number, from_stored(row.allowed_networks))
            for row in rows.order_by(Extension.number)
        ]

    def set(self, number: str, networks: Iterable[str]) -> ExtensionNetworks:
        """Replace the extension's allowed networks; an empty list lifts them."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        self.actor.require(Permission.MANAGE_SECURITY)
        if isinstance(networks, str):
            raise InvalidInput(FIELD, networks, "a list of networks")
        canonical = parse_networks(networks)
        with database.atomic():
            row = _extension(number)
            before = from_stored(row.allowed_networks)
            row.allowed_networks = stored(canonical)
            row.save(only=[Extension.allowed_networks])
            audit.record(
                self.actor,
                "change",
                "extension",
                row.number,
                before={FIELD: before},
                after={FIELD: canonical},
            )
        return ExtensionNetworks(row.number, canonical)


def _extension(number: str) -> Extension:
    row = Extension.get_or_none(Extension.number == str(number).strip())
    if row is None:
        raise no_such_extension(number)
    return row
