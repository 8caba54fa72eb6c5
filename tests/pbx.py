"""A real edgepbx appliance for tests: the agent and its Kamailio on loopback.

Each ``RunningPbx`` has its own data directory and free SIP port, runs
``edgepbx agent`` as a subprocess exactly as ``make run`` does, and drives
it through the real CLI.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from agent.supervisor.daemon import die_with_parent

EDGEPBX = [sys.executable, "-m", "agent.cli.main"]
# Kamailio, rtpengine, the web server, provisioning and the media workers
# all have to answer; on a busy 2-core machine that has taken over 20 s.
# A slow start is not what these tests are about (the supervision tests
# time restarts on their own).
READY_TIMEOUT_S = 45.0
#: What the agent logs once its own probes find every daemon answering.
#: Until then a start is awaited by reading its log, not by a ``status``
#: process every 0.1 s: each of those costs most of a CPU second, taken from
#: the appliance starting on the same two cores.
READY_LOG_LINE = b"agent: every daemon answers"
STOP_TIMEOUT_S = 15.0


#: Where test ports come from: below the kernel's ephemeral range (32768 and
#: up), so no socket that binds or connects without naming a port (Kamailio's
#: control sockets to rtpengine, a phone's, a browser's) can take one between
#: its handing out and the daemon's bind; and below rtpengine's media ports.
TEST_PORTS = range(20000, 30000)

#: Ports this test run has handed out, never handed out again: one
#: appliance's SIP and HTTPS ports (or two appliances') stay apart.
_handed_out: set[int] = set()
_picker = random.Random(os.getpid())


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1, not handed out before."""
    for _ in range(200):
        port = _picker.choice(TEST_PORTS)
        if port in _handed_out:
            continue
        try:
            with (
                socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
            ):
                tcp.bind(("127.0.0.1", port))
                udp.bind(("127.0.0.1", port))
        except OSError:
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port found")


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


@dataclass
class RunningPbx:
    data_dir: Path
    sip_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    tftp_port: int = field(default_factory=free_port)
    sip_tls_port: int = field(default_factory=free_port)
    rtpengine_port: int = field(default_factory=free_port)
    #: One loopback SIP port per media worker; two keep tests light.
    media_ports: tuple[int, ...] = field(
        default_factory=lambda: (free_port(), free_port())
    )
    #: "agent" as on the device, or "run" as ``make run`` (prints the banner).
    command: str = "agent"
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    #: The address the appliance serves on.
    bind: str = "127.0.0.1"
    #: A network namespace to run the agent and the CLI in (tests.netns).
    netns: str | None = None
    #: Extra environment, e.g. EDGEPBX_FIREWALL=1 inside a namespace.
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.netns] if self.netns else []

    @property
    def env(self) -> dict[str, str]:
        return dict(
            os.environ,
            EDGEPBX_DATA_DIR=str(self.data_dir),
            EDGEPBX_BIND=self.bind,
            EDGEPBX_SIP_PORT=str(self.sip_port),
            EDGEPBX_HTTP_PORT=str(self.http_port),
            EDGEPBX_HTTPS_PORT=str(self.https_port),
            EDGEPBX_TFTP_PORT=str(self.tftp_port),
            EDGEPBX_SIP_TLS_PORT=str(self.sip_tls_port),
            EDGEPBX_RTPENGINE_PORT=str(self.rtpengine_port),
            EDGEPBX_MEDIA_PORTS=",".join(str(p) for p in self.media_ports),
            **self.extra_env,
        )

    def cli(self, *args: str, stdin: str | None = None) -> CliResult:
        result = subprocess.run(
            [*self.prefix, *EDGEPBX, *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return CliResult(result.returncode, result.stdout, result.stderr)

    def add_extension(self, number: str, name: str | None = None) -> str:
        """Add an extension through the CLI; return its generated password."""
        result = self.cli(
            "extension", "add", number, "--name", name or number, "--json"
        )
        assert result.returncode == 0, result.stderr
        return result.json()["password"]

    def add_phone(
        self,
        mac: str,
        *numbers: str,
        vendor: str = "yealink",
        model: str = "T54W",
        json: bool = False,
    ) -> CliResult:
        """``edgepbx phone add`` with a line on each of numbers."""
        lines = [arg for number in numbers for arg in ("--extension", number)]
        extra = ["--json"] if json else []
        return self.cli(
            "phone", "add", mac, "--vendor", vendor, "--model", model, *lines, *extra
        )

    def start(self, ready_timeout: float = READY_TIMEOUT_S) -> RunningPbx:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "agent.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 -- owned by the process
        log_start = log.tell()
        self.process = subprocess.Popen(
            [*self.prefix, *EDGEPBX, self.command],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # An interrupted test run takes its appliances with it.
            preexec_fn=die_with_parent,
        )
        log.close()
        try:
            self.wait_ready(ready_timeout, log_start=log_start)
        except Exception:
            # The test never gets the appliance, so nothing else would stop
            # it: it would hold its ports for the rest of the run.
            self.stop()
            raise
        return self

    def wait_ready(
        self, timeout: float = READY_TIMEOUT_S, log_start: int | None = None
    ) -> None:
        """Wait until every part answers.

        With log_start (where this start's lines begin in the agent's log),
        wait for the agent to log that every daemon answers: it logs that
        line once its own probes, the same ``edgepbx status`` makes, all
        pass and its state is written, so asking ``status`` again would only
        cost a CLI start (over half a second of CPU). Without it, wait until
        ``edgepbx status`` says the appliance is ready.
        """
        deadline = time.monotonic() + timeout
        if log_start is not None:
            self._wait_for_log_line(READY_LOG_LINE, log_start, deadline)
            return
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"agent exited early:\n{self.log()}")
            if self.status().get("ready"):
                return
            time.sleep(0.1)
        raise TimeoutError(f"PBX not ready after {timeout} s:\n{self.log()}")

    def _wait_for_log_line(self, line: bytes, start: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"agent exited early:\n{self.log()}")
            with open(self.log_path, "rb") as log:
                log.seek(start)
                if line in log.read():
                    return
            time.sleep(0.1)
        raise TimeoutError(f"PBX not ready after its deadline:\n{self.log()}")

    def status(self) -> dict:
        result = self.cli("status", "--json")
        return result.json() if result.stdout.strip() else {}

    @property
    def https_url(self) -> str:
        return f"https://{self.bind}:{self.https_port}"

    @property
    def certificate(self) -> Path:
        return self.data_dir / "certs" / "web.crt"

    def kamailio_pid(self) -> int | None:
        return self.status().get("daemons", {}).get("kamailio", {}).get("pid")

    def log(self) -> str:
        """The ends of the agent's output and of each daemon's own log file
        (under ``make run`` Kamailio, rtpengine, the web servers and
        provisioning write to ``logs/<daemon>.log``)."""
        paths = [self.log_path] if self.log_path else []
        paths += sorted((self.data_dir / "logs").glob("*.log"))
        return "\n".join(
            path.read_text(errors="replace")[-6000:] for path in paths if path.exists()
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
