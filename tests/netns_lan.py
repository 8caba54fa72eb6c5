"""One appliance on one LAN, in namespaces made for the test.

    appliance namespace           router namespace
      lan0  192.0.2.50/24  ----  r0  192.0.2.1/24, 203.0.113.1/24
      (default via 192.0.2.1)

Both ranges are documentation ranges (RFC 5737) and exist only inside the
namespaces, which are deleted at the end, even after a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests import netns

LAN_PORT = "lan0"
START_ADDRESS = "192.0.2.50/24"
ROUTER = "192.0.2.1"
ROUTER_OTHER = "203.0.113.1"
COMMAND_TIMEOUT_S = 60


def ip(*args: str) -> None:
    netns.ip(*args)


@dataclass
class Lan:
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    made: list[str] = field(default_factory=list)

    @property
    def appliance(self) -> str:
        return f"firmware-app-{self.tag}"

    @property
    def router(self) -> str:
        return f"firmware-rtr-{self.tag}"

    def create(self) -> Lan:
        for name in (self.appliance, self.router):
            ip("netns", "add", name)
            self.made.append(name)
            ip("-n", name, "link", "set", "lo", "up")
        ip("-n", self.appliance, "link", "add", LAN_PORT, "type", "veth",
           "peer", "name", "r0", "netns", self.router)  # fmt: skip
        ip("-n", self.appliance, "addr", "add", START_ADDRESS, "dev", LAN_PORT)
        ip("-n", self.router, "addr", "add", f"{ROUTER}/24", "dev", "r0")
        ip("-n", self.router, "addr", "add", f"{ROUTER_OTHER}/24", "dev", "r0")
        ip("-n", self.appliance, "link", "set", LAN_PORT, "up")
        ip("-n", self.router, "link", "set", "r0", "up")
        ip("-n", self.appliance, "route", "add", "default", "via", ROUTER)
        return self

    def delete(self) -> None:
        for name in reversed(self.made):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self.made.clear()

    def in_appliance(self, *command: str) -> list[str]:
        return ["ip", "netns", "exec", self.appliance, *command]

    def addresses(self, port: str = LAN_PORT) -> list[str]:
        out = subprocess.run(
            ["ip", "-n", self.appliance, "-j", "-4", "addr", "show", "dev", port],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return [
            f"{a['local']}/{a['prefixlen']}"
            for link in json.loads(out)
            for a in link.get("addr_info", [])
        ]

    def default_gateway(self) -> str | None:
        out = subprocess.run(
            ["ip", "-n", self.appliance, "-j", "-4", "route", "show", "default"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        routes = json.loads(out)
        return routes[0].get("gateway") if routes else None

    def edgepbx(
        self, data_dir: Path, system_root: Path, *args: str, **env: str
    ) -> subprocess.CompletedProcess:
        """Run the CLI inside the appliance's namespace."""
        environment = (
            os.environ
            | {
                "EDGEPBX_DATA_DIR": str(data_dir),
                "EDGEPBX_SYSTEM_ROOT": str(system_root),
            }
            | env
        )
        return subprocess.run(
            self.in_appliance(sys.executable, "-m", "agent.cli.main", *args),
            capture_output=True,
            text=True,
            env=environment,
            timeout=COMMAND_TIMEOUT_S,
        )


def lan_or_skip():
    import pytest

    problem = netns.namespaces_available()
    if problem:
        pytest.skip(f"network namespaces unavailable: {problem}")
    return Lan().create()
