"""A small network of namespaces for tests that load real firewall rules.

Rules are only ever loaded inside namespaces made here, never on the host.
The layout: the PBX in one namespace, linked by a veth pair to each of its
neighbours, every neighbour in a namespace of its own with a default route
through the PBX's end of its link::

    office phone (10.77.0.2, private: on the jail's ignore list by default)
        |  10.77.0.0/24
       PBX  (serves on 198.51.100.1)
        |  198.51.100.0/24, 2001:db8:51::/64 (documentation ranges)
    attacker (198.51.100.2, 2001:db8:51::2)

Namespace names start with the branch's name and a random tag, so runs can
overlap; everything is deleted at the end, even after a failure.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from dataclasses import dataclass, field

PBX_ADDRESS = "198.51.100.1"
ATTACKER_ADDRESS = "198.51.100.2"
PBX_ADDRESS6 = "2001:db8:51::1"
ATTACKER_ADDRESS6 = "2001:db8:51::2"
PHONE_GATEWAY = "10.77.0.1"
PHONE_ADDRESS = "10.77.0.2"
NAME_PREFIX = "security-"
COMMAND_TIMEOUT_S = 30


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def namespaces_available() -> str | None:
    """None if namespaces can be made here, else the command's error."""
    name = f"{NAME_PREFIX}probe-{secrets.token_hex(3)}"
    result = subprocess.run(
        ["ip", "netns", "add", name], capture_output=True, text=True
    )
    if result.returncode != 0:
        return f"ip netns add {name}: {result.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


@dataclass
class Network:
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    made: list[str] = field(default_factory=list)

    @property
    def pbx(self) -> str:
        return f"{NAME_PREFIX}pbx-{self.tag}"

    @property
    def attacker(self) -> str:
        return f"{NAME_PREFIX}atk-{self.tag}"

    @property
    def phone(self) -> str:
        return f"{NAME_PREFIX}phone-{self.tag}"

    def create(self) -> Network:
        for name in (self.pbx, self.attacker, self.phone):
            ip("netns", "add", name)
            self.made.append(name)
            ip("-n", name, "link", "set", "lo", "up")
        self._link(self.attacker, "a", f"{PBX_ADDRESS}/24", f"{ATTACKER_ADDRESS}/24")
        self._link(self.phone, "p", f"{PHONE_GATEWAY}/24", f"{PHONE_ADDRESS}/24")
        ip("-n", self.pbx, "addr", "add", f"{PBX_ADDRESS6}/64", "dev", "pbx-a", "nodad")
        ip(
            "-n", self.attacker, "addr", "add", f"{ATTACKER_ADDRESS6}/64",
            "dev", "out", "nodad",
        )  # fmt: skip
        ip("-n", self.attacker, "route", "add", "default", "via", PBX_ADDRESS)
        ip("-n", self.phone, "route", "add", "default", "via", PHONE_GATEWAY)
        return self

    def _link(self, peer: str, letter: str, pbx_cidr: str, peer_cidr: str) -> None:
        pbx_end, peer_end = f"pbx-{letter}", f"{letter}-{self.tag}"
        ip("link", "add", peer_end, "type", "veth", "peer", "name", f"t{self.tag}")
        ip("link", "set", f"t{self.tag}", "netns", self.pbx)
        ip("-n", self.pbx, "link", "set", f"t{self.tag}", "name", pbx_end)
        ip("link", "set", peer_end, "netns", peer)
        ip("-n", peer, "link", "set", peer_end, "name", "out")
        ip("-n", self.pbx, "addr", "add", pbx_cidr, "dev", pbx_end)
        ip("-n", peer, "addr", "add", peer_cidr, "dev", "out")
        ip("-n", self.pbx, "link", "set", pbx_end, "up")
        ip("-n", peer, "link", "set", "out", "up")

    def delete(self) -> None:
        for name in reversed(self.made):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self.made.clear()

    def run_in(self, namespace: str, module: str, *args: str) -> str:
        """Run ``python -m module args`` inside a namespace; its stdout."""
        result = subprocess.run(
            ["ip", "netns", "exec", namespace, sys.executable, "-m", module, *args],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{module} in {namespace} failed:\n{result.stderr}")
        return result.stdout

    def nft(self, *args: str) -> str:
        result = subprocess.run(
            ["ip", "netns", "exec", self.pbx, "nft", *args],
            capture_output=True,
            text=True,
        )
        return result.stdout + result.stderr
