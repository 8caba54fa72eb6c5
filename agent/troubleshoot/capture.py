"""Packet capture to a file under the data directory, one at a time.

tcpdump writes the file; this module chooses what it captures from a few
named choices (never a filter typed by the person asking), bounds it in
time, packets and bytes, remembers the running capture in a small state
file so the web admin, the API and the CLI (separate processes) see the
same one, and keeps only the newest few files.

tcpdump needs the right to capture (root, or CAP_NET_RAW and
CAP_NET_ADMIN). On the device the agent has it; under ``make run`` as an
ordinary user it does not, and a start says so instead of failing quietly.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.errors import AlreadyExists, InvalidInput, NotFound, PbxError
from agent.network import live
from agent.rtpengine.daemon import RTP_PORT_MAX, RTP_PORT_MIN
from agent.settings import Settings
from agent.troubleshoot import pcap, sipflow

log = logging.getLogger("edgepbx.troubleshoot")

CAPTURE_DIR = "captures"
STATE_FILE = "current.json"
ERRORS_FILE = "tcpdump.err"
# Bounds on one capture: long enough to catch a phone's registration cycle
# (commonly 60 to 3600 s; most phones here re-register within 10 minutes),
# small enough that a forgotten capture cannot fill the data partition.
SECONDS_DEFAULT = 60
SECONDS_MAX = 900
MEGABYTES_DEFAULT = 10
MEGABYTES_MAX = 100
PACKETS_MAX = 1_000_000
# 64 KiB holds any SIP message in one UDP datagram (RFC 3261 section 18.1.1
# keeps them far smaller) and every RTP packet whole.
SNAPLEN = 65535
# Old captures go: at most this many files, none older than a week.
KEEP_FILES = 10
KEEP_DAYS = 7
# tcpdump fails fast (no permission, no such interface) within this time.
START_CHECK_S = 0.6
# What of tcpdump's complaint a refusal quotes: its last words say why.
ERROR_SHOWN_MAX = 300
STOP_WAIT_S = 5.0
PORT_CHOICES = ("sip", "rtp", "sip-and-rtp", "any")
# Ours end in the port choice, the recovery console's in the interface.
_FILE_NAME = re.compile(r"[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9_.-]{1,32}\.pcap")


class CaptureRunning(AlreadyExists):
    kind = "capture-running"


class CaptureNotPermitted(PbxError):
    """tcpdump is missing or may not capture here."""

    kind = "capture-not-permitted"


@dataclass(frozen=True)
class CaptureStatus:
    running: bool
    file: str | None = None
    ports: str | None = None
    interface: str | None = None
    started_at: str | None = None
    ends_by: str | None = None
    size: int = 0
    started_by: str | None = None

    def to_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass(frozen=True)
class CaptureFile:
    name: str
    size: int
    modified_at: str

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def _utc(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _alive(pid: int) -> bool:
    """Whether pid is still our capture (a zombie or a reused pid is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rpartition(")")[2].split()[0]
    return state not in {"Z", "X"} and b"tcpdump" in command


class CaptureService:
    def __init__(self, settings: Settings, actor: Principal) -> None:
        self.settings = settings
        self.actor = actor
        self.directory = settings.data_dir / CAPTURE_DIR

    def _require(self) -> None:
        self.actor.require(Permission.CHANGE_SYSTEM_SETTINGS)

    # -- the filter -------------------------------------------------------------

    def _ports(self, choice: str) -> list[str]:
        """The tcpdump filter for a port choice, made only of numbers."""
        sip = [self.settings.sip_port, self.settings.sip_tls_port]
        sip_filter = " or ".join(f"port {p}" for p in sorted(set(sip)))
        rtp_filter = f"udp portrange {RTP_PORT_MIN}-{RTP_PORT_MAX}"
        return {
            "sip": [sip_filter],
            "rtp": [rtp_filter],
            "sip-and-rtp": [f"{sip_filter} or {rtp_filter}"],
            "any": [],
        }[choice]

    # -- state ------------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.directory / STATE_FILE

    def _state(self) -> dict | None:
        try:
            state = json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) else None

    def status(self) -> CaptureStatus:
        self._require()
        state = self._state()
        if state is None or not _alive(int(state.get("pid", 0))):
            return CaptureStatus(running=False)
        path = self.directory / state["file"]
        return CaptureStatus(
            running=True,
            file=state["file"],
            ports=state["ports"],
            interface=state["interface"],
            started_at=_utc(state["started_at"]),
            ends_by=_utc(state["started_at"] + state["seconds"]),
            size=path.stat().st_size if path.exists() else 0,
            started_by=state["actor"],
        )

    # -- start and stop ---------------------------------------------------------

    def start(
        self,
        ports: str = "sip",
        seconds: int = SECONDS_DEFAULT,
        megabytes: int = MEGABYTES_DEFAULT,
        interface: str = "any",
    ) -> CaptureStatus:
        """Start a capture; refused while another one runs."""
        self._require()

        # Step 1: the request, checked before anything changes.
        if ports not in PORT_CHOICES:
            raise InvalidInput("ports", ports, f"one of {', '.join(PORT_CHOICES)}")
        if not isinstance(seconds, int) or not 1 <= seconds <= SECONDS_MAX:
            raise InvalidInput(
                "seconds", seconds, f"a whole number, 1 to {SECONDS_MAX}"
            )
        if not isinstance(megabytes, int) or not 1 <= megabytes <= MEGABYTES_MAX:
            raise InvalidInput(
                "megabytes", megabytes, f"a whole number, 1 to {MEGABYTES_MAX}"
            )
        interfaces = {i.name for i in live.interfaces()} | {"any", "lo"}
        if interface not in interfaces:
            raise InvalidInput(
                "interface", interface, f"one of {', '.join(sorted(interfaces))}"
            )
        if self.status().running:
            raise CaptureRunning("a capture is already running: stop it first")
        tcpdump = shutil.which("tcpdump")
        if tcpdump is None:
            raise CaptureNotPermitted(
                "packet capture needs tcpdump, which is not installed"
            )

        # Step 2: room for the new file.
        self.directory.mkdir(parents=True, exist_ok=True)
        self._clean_up()

        # Step 3: tcpdump, bounded by a timer, a packet count and a file size.
        now = time.time()
        stamp = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"{stamp}-{ports}.pcap"
        command = [
            "timeout",
            "--signal=INT",
            str(seconds),
            tcpdump,
            "-n",
            "-i",
            interface,
            "-s",
            str(SNAPLEN),
            "-c",
            str(PACKETS_MAX),
            "-w",
            str(self.directory / name),
            # tcpdump would otherwise drop to its own user, who may not
            # write the data directory.
            "-Z",
            "root",
            # Each packet to the file as it comes: without these, a stop
            # loses what the kernel still held in its buffer (up to a
            # second's worth, the REGISTER just sent among it).
            "--immediate-mode",
            "-U",
            *self._ports(ports),
        ]
        limit = megabytes * 1_000_000
        errors = (self.directory / ERRORS_FILE).open("wb")
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,
                # The size bound: the kernel stops the file at the limit.
                preexec_fn=lambda: resource.setrlimit(
                    resource.RLIMIT_FSIZE, (limit, limit)
                ),
            )
        finally:
            errors.close()
        # Whoever started it reaps it, so it does not linger as a zombie.
        threading.Thread(target=process.wait, daemon=True).start()

        # Step 4: tcpdump refuses at once when it may not capture.
        time.sleep(START_CHECK_S)
        if process.poll() is not None:
            said = (self.directory / ERRORS_FILE).read_text(errors="replace")
            reason = " ".join(
                line.removeprefix("tcpdump: ").strip()
                for line in said.splitlines()
                if line.strip()
            )
            reason = reason[-ERROR_SHOWN_MAX:] or "it gave no reason"
            if "permission" in reason.lower() or "not permitted" in reason.lower():
                reason = (
                    f"{reason} (capturing needs root or the CAP_NET_RAW and "
                    "CAP_NET_ADMIN capabilities)"
                )
            (self.directory / name).unlink(missing_ok=True)
            raise CaptureNotPermitted(f"tcpdump could not capture: {reason}")

        state = {
            "pid": process.pid,
            "file": name,
            "ports": ports,
            "interface": interface,
            "started_at": now,
            "seconds": seconds,
            "actor": self.actor.name,
        }
        self._state_path.write_text(json.dumps(state))
        after = {k: state[k] for k in ("file", "ports", "interface", "seconds")}
        audit.record(self.actor, "start", "packet capture", name, None, after)
        log.info(
            "packet capture %s: started by %s on %s, %s ports, %d s",
            name,
            self.actor.name,
            interface,
            ports,
            seconds,
        )
        return self.status()

    def stop(self) -> CaptureStatus:
        """Stop the running capture; its file stays for download."""
        self._require()
        state = self._state()
        if state is None or not _alive(int(state.get("pid", 0))):
            raise NotFound("no capture is running")
        pid = int(state["pid"])
        # timeout passes SIGINT on; tcpdump writes what it has and exits.
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_WAIT_S
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        audit.record(self.actor, "stop", "packet capture", state["file"])
        log.info("packet capture %s: stopped by %s", state["file"], self.actor.name)
        return CaptureStatus(running=False, file=state["file"])

    # -- the files --------------------------------------------------------------

    def files(self) -> list[CaptureFile]:
        """The captures kept, newest first."""
        self._require()
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob("*.pcap"):
            info = path.stat()
            found.append(CaptureFile(path.name, info.st_size, _utc(info.st_mtime)))
        return sorted(found, key=lambda f: f.name, reverse=True)

    def path(self, name: str) -> Path:
        """The file of a kept capture, by its name as listed."""
        self._require()
        if not _FILE_NAME.fullmatch(name or ""):
            raise InvalidInput("capture", name, "the name of a listed capture")
        path = self.directory / name
        if not path.is_file():
            raise NotFound(f"capture {name}: no such file")
        return path

    def dialogs(self, name: str) -> list[sipflow.Dialog]:
        """The SIP dialogs in a capture, in the order they began."""
        packets = pcap.read_packets(self.path(name))
        return sipflow.dialogs(sipflow.messages(packets))

    def dialog(self, name: str, call_id: str) -> sipflow.Dialog:
        packets = pcap.read_packets(self.path(name))
        return sipflow.dialog(sipflow.messages(packets), call_id)

    def _clean_up(self) -> None:
        oldest = time.time() - KEEP_DAYS * 86400
        kept = sorted(self.directory.glob("*.pcap"), key=lambda p: p.name)
        # The new capture is about to make one more.
        excess = max(0, len(kept) - (KEEP_FILES - 1))
        for index, path in enumerate(kept):
            if index < excess or path.stat().st_mtime < oldest:
                path.unlink(missing_ok=True)
                log.info("packet capture %s: removed, old", path.name)
