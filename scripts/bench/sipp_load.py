"""sipp runs against one of the stacks, and what each run measured.

Every sipp binds 127.0.0.1 only: its SIP port, its control socket (sipp
listens on every interface unless told) and its media ports (sipp opens
them even when no RTP flows) are all chosen free at run time. A run is
bounded by its call count and by a wall-clock timeout after which sipp
quits by itself.

One sipp process handles its calls in a single loop and, past about ten
thousand messages a second, drops datagrams from its own socket before the
server is busy; a run can therefore spread its calls over several sipp
clients, each with its own port and its own share of the phones.
"""

from __future__ import annotations

import collections
import csv
import re
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from stacks import (
    BIND,
    HERE,
    BenchError,
    free_ports,
    group_cpu_s,
    spawn,
    stop,
    udp_drops,
    udp_receive_buffer_errors,
)

SIPP = "sipp"
# sipp opens an audio and a video media socket, each an RTP/RTCP pair.
MEDIA_PORTS = 4
# sipp's scheduler wakes every 10 ms by default, which paces a closed loop
# by its tick rather than by the server; 1 ms is its finest setting.
TIMER_RESOLUTION_MS = 1
# Statistics are dumped at the start and at the end of a run only.
STATS_EVERY_S = 3600
# sipp's exit status: 0 every call succeeded, 1 some failed (anything else
# is sipp's own trouble, reported as such).
SIPP_OK = {0, 1}
# sipp binds its port within milliseconds; a call that arrives before it
# does is retransmitted by the PBX anyway.
SERVER_SETTLE_S = 0.3
# A call (or registration) fails when a reply is still missing after three
# retransmissions (0.5 + 1 + 2 s, RFC 3261 section 17.1.1.2 doubling from
# T1) or when an expected message is 5 s late: a setup that slow has failed
# for a person, and a broken call no longer holds a run for Timer B's 32 s.
MAX_RETRANSMISSIONS = 3
RECEIVE_TIMEOUT_MS = 5000
# sipp quits by itself after T * this + the margin for a run expected to take
# T seconds; the benchmark gives up on it after the grace on top of that.
TIMEOUT_FACTOR = 3
TIMEOUT_MARGIN_S = 10
SIPP_QUIT_GRACE_S = 30
MICROSECONDS = 1e6
# The statistics CSV's time stamps: "date<TAB>time<TAB>epoch".
_EPOCH = re.compile(r"\t([0-9]+\.[0-9]+)$")
# Replies that made sipp abort a call, as its error log words them.
_UNEXPECTED_REPLY = re.compile(
    r"Aborting call on unexpected message.*?received 'SIP/2\.0 ([1-6][0-9][0-9])"
)


class Server(Protocol):
    """What a run needs to know of the stack it loads."""

    name: str
    sip_port: int

    @property
    def cpu_group(self) -> int: ...


@dataclass(frozen=True)
class SippClient:
    """One sipp client process of a run: its phones and its port."""

    injection: Path
    calls: int
    local_port: int


@dataclass(frozen=True)
class SippOutcome:
    """What the clients of one run did, and what it cost each side in CPU."""

    successful: int
    failed: int
    retransmissions: int
    elapsed_s: float
    client_cpu_s: float
    server_cpu_s: float
    server_drops: int
    client_drops: int
    unexpected_replies: dict[str, int]

    @property
    def rate(self) -> float:
        """Successful calls (or registrations) per second."""
        return self.successful / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def server_cores(self) -> float:
        return self.server_cpu_s / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def client_cores(self) -> float:
        return self.client_cpu_s / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def server_us_per_call(self) -> float:
        """Server CPU time per successful call (or registration)."""
        if not self.successful:
            return 0.0
        return self.server_cpu_s / self.successful * MICROSECONDS

    def problems(self) -> str:
        """One line on failures, retransmissions, drops, unexpected replies."""
        parts = []
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.retransmissions:
            parts.append(f"{self.retransmissions} retransmissions")
        if self.server_drops or self.client_drops:
            parts.append(
                f"UDP drops: {self.server_drops} at the server, "
                f"{self.client_drops} at sipp"
            )
        for code, count in sorted(self.unexpected_replies.items()):
            parts.append(f"{count} unexpected {code}")
        return ", ".join(parts) or "no failures"


class SippWorkspace:
    """A directory holding sipp's scenarios, injection files and logs.

    sipp names its log files after the scenario's path, so the scenarios are
    copied here first: nothing is ever written next to the checked-in ones.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._runs = 0

    def scenario(self, name: str) -> Path:
        target = self.root / name
        if not target.exists():
            shutil.copyfile(HERE / name, target)
        return target

    def injection_file(self, name: str, rows: list[tuple[str, ...]]) -> Path:
        """An injection file read in order, one row per call, ; separated."""
        path = self.root / name
        lines = ["SEQUENTIAL"] + [";".join(row) for row in rows]
        path.write_text("\n".join(lines) + "\n")
        return path

    def next_run(self, label: str) -> Path:
        self._runs += 1
        run_dir = self.root / f"{self._runs:02d}-{label.replace(' ', '-')}"
        run_dir.mkdir()
        return run_dir


def common_options(port: int, run_dir: Path, expected_s: float) -> list[str]:
    """Options of every sipp: 127.0.0.1 only, statistics, errors, a timeout."""
    return [
        "-nostdin",
        "-i",
        BIND,
        "-p",
        str(port),
        "-ci",
        BIND,
        "-cp",
        str(free_ports()),
        "-mi",
        BIND,
        "-mp",
        str(free_ports(MEDIA_PORTS)),
        "-timer_resol",
        str(TIMER_RESOLUTION_MS),
        "-max_retrans",
        str(MAX_RETRANSMISSIONS),
        "-recv_timeout",
        str(RECEIVE_TIMEOUT_MS),
        "-trace_stat",
        "-stf",
        str(run_dir / "stats.csv"),
        "-fd",
        str(STATS_EVERY_S),
        "-trace_err",
        "-error_file",
        str(run_dir / "errors.log"),
        "-timeout",
        f"{timeout_for(expected_s)}s",
    ]


def timeout_for(expected_s: float) -> int:
    return int(expected_s * TIMEOUT_FACTOR + TIMEOUT_MARGIN_S)


def run_clients(
    workspace: SippWorkspace,
    label: str,
    server: Server,
    scenario: str,
    clients: list[SippClient],
    rate: float,
    concurrency: int,
    expected_s: float,
    extra: tuple[str, ...] = (),
) -> SippOutcome:
    """Run sipp clients side by side to completion; sum what they measured.

    Each client aims at ``rate`` calls a second with at most ``concurrency``
    calls in progress: with a rate above what the server takes, a client
    runs closed-loop, starting a call as soon as one ends.
    """
    run_dirs = [workspace.next_run(f"{label}-{i + 1}") for i in range(len(clients))]
    commands = [
        [
            SIPP,
            f"{BIND}:{server.sip_port}",
            "-sf",
            str(workspace.scenario(scenario)),
            "-inf",
            str(client.injection),
            "-m",
            str(client.calls),
            "-r",
            f"{rate:g}",
            "-l",
            str(concurrency),
            *common_options(client.local_port, run_dir, expected_s),
            *extra,
        ]
        for client, run_dir in zip(clients, run_dirs, strict=True)
    ]

    drops_before = udp_drops(server.sip_port), udp_receive_buffer_errors()
    server_before = group_cpu_s(server.cpu_group)
    children_before = _children_cpu_s()
    processes = []
    try:
        for command, run_dir in zip(commands, run_dirs, strict=True):
            processes.append(spawn(command, run_dir / "sipp.log", cwd=run_dir))
        deadline = time.monotonic() + timeout_for(expected_s) + SIPP_QUIT_GRACE_S
        statuses = [
            process.wait(max(0.0, deadline - time.monotonic())) for process in processes
        ]
    except subprocess.TimeoutExpired:
        raise BenchError(f"sipp {label} did not end; see {run_dirs[0]}") from None
    finally:
        for process in processes:
            stop(process)
    server_after = group_cpu_s(server.cpu_group)
    drops_after = udp_drops(server.sip_port), udp_receive_buffer_errors()
    client_cpu_s = _children_cpu_s() - children_before

    for status, run_dir in zip(statuses, run_dirs, strict=True):
        if status not in SIPP_OK:
            raise BenchError(
                f"sipp {label} exited with status {status}: "
                + (run_dir / "sipp.log").read_text(errors="replace")[-800:]
            )
    counters = [_final_counters(run_dir / "stats.csv") for run_dir in run_dirs]
    replies: collections.Counter[str] = collections.Counter()
    for run_dir in run_dirs:
        replies.update(_unexpected_replies(run_dir / "errors.log"))
    server_drops = drops_after[0] - drops_before[0]
    return SippOutcome(
        successful=sum(int(c["SuccessfulCall(C)"]) for c in counters),
        failed=sum(int(c["FailedCall(C)"]) for c in counters),
        retransmissions=sum(int(c["Retransmissions(C)"]) for c in counters),
        # From the first client's start of traffic to the last one's end,
        # by sipp's own clock: process start-up is left out.
        elapsed_s=max(_epoch(c["CurrentTime"]) for c in counters)
        - min(_epoch(c["StartTime"]) for c in counters),
        client_cpu_s=client_cpu_s,
        server_cpu_s=server_after - server_before,
        server_drops=server_drops,
        # sipp's sockets are gone once it ends: the machine-wide count less
        # the server's is what the sipp processes lost.
        client_drops=drops_after[1] - drops_before[1] - server_drops,
        unexpected_replies=dict(replies),
    )


class SippServer:
    """A sipp answering calls (the called phone) until it has taken them."""

    def __init__(
        self,
        workspace: SippWorkspace,
        label: str,
        scenario: str,
        local_port: int,
        calls: int,
        expected_s: float,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.run_dir = workspace.next_run(label)
        self.command = [
            SIPP,
            "-sf",
            str(workspace.scenario(scenario)),
            "-m",
            str(calls),
            *common_options(local_port, self.run_dir, expected_s),
            *extra,
        ]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.run_dir / "sipp.log"
        self.process = spawn(self.command, log, cwd=self.run_dir)
        time.sleep(SERVER_SETTLE_S)
        if self.process.poll() is not None:
            raise BenchError(
                "sipp server exited at once: " + log.read_text(errors="replace")[-800:]
            )

    def finish(self, wait_s: float) -> tuple[int, int, float]:
        """Let it end by itself once it has taken its calls, or stop it.

        Returns its successful and failed calls and the CPU seconds it used,
        counted when it is reaped, so that the clients' count stays apart.
        """
        before = _children_cpu_s()
        if self.process is not None:
            try:
                self.process.wait(wait_s)
            except subprocess.TimeoutExpired:
                stop(self.process)
        cpu_s = _children_cpu_s() - before
        stats = self.run_dir / "stats.csv"
        counters = _final_counters(stats) if stats.exists() else {}
        return (
            int(counters.get("SuccessfulCall(C)", 0)),
            int(counters.get("FailedCall(C)", 0)),
            cpu_s,
        )

    def stop(self) -> None:
        stop(self.process)


def _children_cpu_s() -> float:
    """CPU seconds of every child process reaped so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _final_counters(stats: Path) -> dict[str, str]:
    if not stats.exists():
        raise BenchError(f"sipp wrote no statistics ({stats})")
    with open(stats, newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    if not rows:
        raise BenchError(f"sipp statistics are empty ({stats})")
    return rows[-1]


def _epoch(stamp: str) -> float:
    match = _EPOCH.search(stamp)
    if not match:
        raise BenchError(f"unreadable sipp time stamp {stamp!r}")
    return float(match.group(1))


def _unexpected_replies(errors: Path) -> dict[str, int]:
    if not errors.exists():
        return {}
    text = errors.read_text(errors="replace")
    return dict(collections.Counter(_UNEXPECTED_REPLY.findall(text)))
