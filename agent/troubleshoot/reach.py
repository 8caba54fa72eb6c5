"""Ping and traceroute from the appliance to a host the administrator names.

The host is checked to be a host name or an address before it reaches the
command line (and goes after ``--``), so it can never be read as an option;
counts and waits are fixed here, and each run is cut off after a deadline.
The output is returned as the tool printed it.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from agent.accounts.roles import Permission, Principal
from agent.console.actions import host as checked_host
from agent.errors import PbxError

PING_COUNT = 4
PING_WAIT_S = 2
PING_DEADLINE_S = 15
# 20 hops reach any office's provider and beyond; one probe each keeps a
# run with silent hops to about a minute.
TRACEROUTE_HOPS = 20
TRACEROUTE_WAIT_S = 2
TRACEROUTE_DEADLINE_S = 60


@dataclass(frozen=True)
class ToolRun:
    tool: str
    host: str
    exit_status: int
    output: str

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def _run(tool: str, target: str, command: list[str], deadline: float) -> ToolRun:
    if shutil.which(command[0]) is None:
        raise PbxError(f"{tool} needs {command[0]}, which is not installed")
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=deadline,
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode(errors="replace") if exc.stdout else ""
        return ToolRun(tool, target, -1, output + f"\n(stopped after {deadline} s)")
    return ToolRun(tool, target, done.returncode, done.stdout + done.stderr)


def ping(actor: Principal, host: str) -> ToolRun:
    actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
    target = checked_host(host)
    command = ["ping", "-n", "-c", str(PING_COUNT), "-W", str(PING_WAIT_S)]
    command += ["-w", str(PING_DEADLINE_S - 1), "--", target]
    return _run("ping", target, command, PING_DEADLINE_S)


def traceroute(actor: Principal, host: str) -> ToolRun:
    actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
    target = checked_host(host)
    command = ["traceroute", "-n", "-q", "1", "-m", str(TRACEROUTE_HOPS)]
    command += ["-w", str(TRACEROUTE_WAIT_S), "--", target]
    return _run("traceroute", target, command, TRACEROUTE_DEADLINE_S)
