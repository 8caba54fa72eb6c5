"""The kernel's side of the network settings, through pyroute2 (netlink).

Reads what the interfaces have now, and puts a NetworkConfig on them: the
LAN address (static, or a DHCP client started for it), the default route,
and the voice VLAN's link and address. It acts in the network namespace of
the process, so the tests run it inside namespaces of their own.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import PbxError
from agent.network.config import DHCP, STATIC, NetworkConfig

if TYPE_CHECKING:
    from pyroute2 import IPRoute

log = logging.getLogger("edgepbx.network")

AF_INET = 2
AF_INET6 = 10
# How long a DHCP client may look for a lease before apply reports failure.
DHCP_LEASE_WAIT_S = 20
#: pyroute2's DHCP client, installed beside this Python.
DHCP_CLIENT = Path(sys.executable).with_name("pyroute2-dhcp-client")


class NetworkRefused(PbxError):
    """The kernel refused a change; the previous settings are back."""

    kind = "network-refused"


@dataclass(frozen=True)
class InterfaceState:
    name: str
    mac: str | None
    up: bool
    carrier: bool
    kind: str | None
    addresses: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def netlink() -> IPRoute:
    """A netlink socket to the kernel's interfaces, addresses and routes.

    pyroute2 is imported here, not with this module: every command of the
    command line imports this module, and most never ask the kernel.
    """
    from pyroute2 import IPRoute

    return IPRoute()


def interfaces() -> list[InterfaceState]:
    """Every interface but loopback, with its addresses."""
    with netlink() as ipr:
        addresses: dict[int, list[str]] = {}
        for msg in ipr.get_addr():
            addresses.setdefault(msg["index"], []).append(
                f"{msg.get('address')}/{msg['prefixlen']}"
            )
        result = []
        for link in ipr.get_links():
            name = link.get("ifname")
            if name == "lo":
                continue
            result.append(
                InterfaceState(
                    name=name,
                    mac=link.get("address"),
                    up=bool(link["flags"] & 1),
                    carrier=link.get("carrier") == 1,
                    kind=link.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND"),
                    addresses=addresses.get(link["index"], []),
                )
            )
    return result


def default_gateway() -> str | None:
    with netlink() as ipr:
        for route in ipr.get_routes(family=AF_INET):
            if route["dst_len"] == 0 and route.get("gateway"):
                return route.get("gateway")
    return None


def _index(ipr: IPRoute, name: str) -> int:
    found = ipr.link_lookup(ifname=name)
    if not found:
        raise NetworkRefused(f"interface {name}: no such interface", field="interface")
    return found[0]


def _ipv4_of(ipr: IPRoute, index: int) -> list[tuple[str, int]]:
    return [
        (msg.get("address"), msg["prefixlen"])
        for msg in ipr.get_addr(index=index, family=AF_INET)
    ]


def put(config: NetworkConfig, run_dir: Path) -> None:
    """Make the interfaces match config; raises NetworkRefused on failure."""
    from pyroute2.netlink.exceptions import NetlinkError

    try:
        with netlink() as ipr:
            index = _index(ipr, config.interface)
            ipr.link("set", index=index, state="up")
            if config.mode == STATIC:
                stop_dhcp(run_dir, config.interface)
                _set_only_address(ipr, index, config.address)
                _set_default_route(ipr, config.gateway)
            _put_voice_vlan(ipr, index, config)
    except NetlinkError as exc:
        raise NetworkRefused(
            f"interface {config.interface}: the kernel refused: {exc.args[1]}"
        ) from None
    if config.mode == DHCP:
        start_dhcp(run_dir, config.interface)


def _set_only_address(ipr: IPRoute, index: int, address: str | None) -> None:
    wanted = ipaddress.IPv4Interface(address) if address else None
    for addr, prefix in _ipv4_of(ipr, index):
        if wanted and (addr, prefix) == (str(wanted.ip), wanted.network.prefixlen):
            continue
        ipr.addr("del", index=index, address=addr, prefixlen=prefix)
    if wanted and (str(wanted.ip), wanted.network.prefixlen) not in _ipv4_of(
        ipr, index
    ):
        ipr.addr(
            "add",
            index=index,
            address=str(wanted.ip),
            prefixlen=wanted.network.prefixlen,
        )


def _set_default_route(ipr: IPRoute, gateway: str | None) -> None:
    for route in ipr.get_routes(family=AF_INET):
        if route["dst_len"] == 0 and route.get("gateway"):
            ipr.route("del", dst="0.0.0.0/0", gateway=route.get("gateway"))
    if gateway:
        ipr.route("replace", dst="0.0.0.0/0", gateway=gateway)


def _put_voice_vlan(ipr: IPRoute, index: int, config: NetworkConfig) -> None:
    # A VLAN link is ours when it sits on the LAN port; remove those not wanted.
    wanted = config.vlan_interface
    for link in ipr.get_links():
        if link.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND") != "vlan":
            continue
        if link.get("link") == index and link.get("ifname") != wanted:
            ipr.link("del", index=link["index"])
    if config.voice_vlan is None or wanted is None:
        return
    if not ipr.link_lookup(ifname=wanted):
        ipr.link(
            "add", ifname=wanted, kind="vlan", link=index, vlan_id=config.voice_vlan.id
        )
    vlan_index = _index(ipr, wanted)
    ipr.link("set", index=vlan_index, state="up")
    _set_only_address(ipr, vlan_index, config.voice_vlan.address)


# -- DHCP ------------------------------------------------------------------------


def _dhcp_pidfile(run_dir: Path, interface: str) -> Path:
    return run_dir / f"dhcp-{interface}.pid"


def start_dhcp(run_dir: Path, interface: str) -> None:
    """Start a DHCP client for interface, unless one runs already."""
    pidfile = _dhcp_pidfile(run_dir, interface)
    if _alive(pidfile):
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [str(DHCP_CLIENT), "--log-level", "WARNING", interface],
        cwd=run_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    pidfile.write_text(str(process.pid))
    log.info("network %s: DHCP client started, pid %d", interface, process.pid)


def stop_dhcp(run_dir: Path, interface: str) -> None:
    pidfile = _dhcp_pidfile(run_dir, interface)
    pid = _alive(pidfile)
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        log.info("network %s: DHCP client stopped", interface)
    pidfile.unlink(missing_ok=True)


def _alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid
