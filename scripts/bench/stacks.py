"""The two SIP servers the benchmarks compare, both started here on 127.0.0.1.

``EdgepbxStack`` is the PBX as shipped: ``edgepbx agent`` on a temporary
data directory, its Kamailio routing every request through KEMI Python.

``BareKamailio`` is the reference. It runs the configuration that the agent
rendered, started with the command line the agent used, except that the
KEMI lines are taken out and ``bare_routing.cfg.tmpl`` (the same pipeline
as a native script) is put in their place. It authenticates
against the same subscriber view of the same SQLite file and writes its
registrations to a state database of its own. A ratio of the two therefore
prices the Python routing and nothing else.

Every process started here gets its own session, so a Ctrl-C at the
terminal reaches only the benchmark, which then stops them in order; the
kernel also sends them SIGTERM should the benchmark die without cleaning up.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from agent.appliance import Appliance
from agent.settings import Settings
from agent.sip.routing import RoutingSettings
from agent.sip.rpc import KamailioRpc, RpcError
from agent.sip.state_db import prepare_state_db

BIND = "127.0.0.1"
HERE = Path(__file__).resolve().parent
BARE_ROUTING_TEMPLATE = HERE / "bare_routing.cfg.tmpl"
KAMAILIO = "kamailio"

# Kamailio answers within a second of starting; the agent first runs
# ``kamailio -c`` on the configuration it rendered, which takes as long.
READY_TIMEOUT_S = 30.0
READY_POLL_S = 0.25
# The agent gives Kamailio 10 s to flush registrations on SIGTERM
# (agent/supervisor/daemon.py); give the agent a little more than that.
STOP_GRACE_S = 15.0
# After a hard kill the kernel reaps a process group within milliseconds.
KILL_WAIT_S = 5.0
# How many times to look for a free block of ports before giving up.
FREE_PORT_ATTEMPTS = 50
CONFIG_CHECK_TIMEOUT_S = 30.0
# How often the shared memory pool is looked at during a run.
SHM_POLL_S = 0.5
MIB = 1024 * 1024
LOG_TAIL_LINES = 15

_PR_SET_PDEATHSIG = 1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Lines that make Kamailio route through KEMI Python: the modules, the
# script, the kemi.* callback settings and the engine. The first and the
# last must be there, or the rendered configuration is not what this
# benchmark knows how to turn into the reference.
_KEMI_LINES = re.compile(
    r'^(loadmodule "(kemix|app_python3)\.so"|modparam\("app_python3",.*'
    r'|kemi\.[a-z_]+\s*=.*|cfgengine "python")\s*$',
    re.MULTILINE,
)
_KEMI_REQUIRED = ('loadmodule "app_python3.so"', 'cfgengine "python"')


class BenchError(RuntimeError):
    """A stack could not be set up or did not answer; the message says why."""


# -- processes ----------------------------------------------------------------


def _die_with_parent() -> None:
    """Run in the child: have the kernel send SIGTERM if the benchmark dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(
    command: list[str],
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen:
    """Start a process in its own session, stdout and stderr to ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def stop(process: subprocess.Popen | None, grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM, wait up to ``grace_s``, then SIGKILL its whole process group."""
    if process is None:
        return
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace_s)
    kill_group(process.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(KILL_WAIT_S)


def log_tail(log: Path) -> str:
    if not log.exists():
        return "(no log)"
    lines = log.read_text(errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def kill_group(pgid: int) -> None:
    """SIGKILL what is left of a process group that this benchmark started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


# -- what a run costs ---------------------------------------------------------


def group_cpu_s(pgid: int) -> float:
    """User plus system CPU seconds of the live processes of a process group."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # Fields after the command name, which may itself hold spaces:
        # state ppid pgrp ... with utime and stime 11 and 12 places on.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / _CLOCK_TICKS


def _udp_sockets(port: int) -> list[list[str]]:
    """The /proc/net/udp rows of the sockets bound to BIND:port."""
    # /proc prints the address as the host-order value of its four bytes.
    address = int.from_bytes(socket.inet_aton(BIND), sys.byteorder)
    local = f"{address:08X}:{port:04X}"
    with open("/proc/net/udp") as f:
        next(f)
        return [fields for fields in map(str.split, f) if fields[1] == local]


def udp_bound(port: int) -> bool:
    """Whether some process listens for UDP on BIND:port."""
    return bool(_udp_sockets(port))


def udp_drops(port: int) -> int:
    """Datagrams the kernel dropped for a full receive buffer on BIND:port."""
    return sum(int(fields[-1]) for fields in _udp_sockets(port))


def udp_receive_buffer_errors() -> int:
    """Datagrams dropped for a full receive buffer, on every socket here."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    names, values = rows[0], rows[1]
    return int(values[names.index("RcvbufErrors")])


def shared_memory_used(rpc: KamailioRpc) -> int:
    """Bytes of Kamailio's shared memory pool in use right now."""
    return int(rpc.call("core.shmmem")["real_used"])


class SharedMemoryWatch:
    """The most shared memory a Kamailio used while this watch ran.

    Kamailio keeps transactions, registrations and nonces in one shared
    pool sized by its -m option; a full pool turns calls away with 500s.
    ``core.shmmem`` reports the pool; it is asked twice a second.
    """

    def __init__(self, rpc: KamailioRpc) -> None:
        self.rpc = rpc
        self.peak_bytes = 0
        self.total_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> SharedMemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while True:
            with contextlib.suppress(RpcError):
                pool = self.rpc.call("core.shmmem")
                self.peak_bytes = max(self.peak_bytes, int(pool["real_used"]))
                self.total_bytes = int(pool["total"])
            if self._stop.wait(SHM_POLL_S):
                return

    def summary(self) -> str:
        if not self.total_bytes:
            return "shm unknown"
        return (
            f"shm peak {self.peak_bytes / MIB:.0f} of {self.total_bytes / MIB:.0f} MiB"
        )


# -- ports --------------------------------------------------------------------


def _port_is_free(port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((BIND, port))
            except OSError:
                return False
    return True


#: Ports handed out in this run: a probed port is free again once its probe
#: closes, so the kernel may offer it twice; two stacks must not share one.
_handed_out: set[int] = set()


def free_ports(count: int = 1) -> int:
    """The first of ``count`` consecutive ports free for UDP and TCP."""
    for _ in range(FREE_PORT_ATTEMPTS):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((BIND, 0))
            first = probe.getsockname()[1]
        wanted = range(first, first + count)
        if (
            first + count <= 65535
            and _handed_out.isdisjoint(wanted)
            and all(_port_is_free(port) for port in wanted)
        ):
            _handed_out.update(wanted)
            return first
    raise BenchError(f"no {count} consecutive free ports on {BIND}")


# -- the PBX ------------------------------------------------------------------


class EdgepbxStack:
    """``edgepbx agent`` on a data directory of its own."""

    name = "edgepbx"

    def __init__(self, data_dir: Path, sip_port: int) -> None:
        self.data_dir = data_dir
        self.sip_port = sip_port
        self.log = data_dir.parent / "edgepbx-agent.log"
        self.process: subprocess.Popen | None = None
        self.kamailio_pid: int | None = None
        self.daemon_pids: list[int] = []
        # Ports the agent's other services would take, so that none of them
        # meets a PBX already running on this machine.
        self.env = dict(
            os.environ,
            EDGEPBX_DATA_DIR=str(data_dir),
            EDGEPBX_BIND=BIND,
            EDGEPBX_SIP_PORT=str(sip_port),
            EDGEPBX_SIP_TLS_PORT=str(free_ports()),
            EDGEPBX_HTTP_PORT=str(free_ports()),
            EDGEPBX_HTTPS_PORT=str(free_ports()),
            EDGEPBX_TFTP_PORT=str(free_ports()),
            EDGEPBX_RTPENGINE_PORT=str(free_ports()),
        )
        self.env.pop("EDGEPBX_SIP_DOMAIN", None)
        self.settings = Settings(
            data_dir=data_dir,
            bind=BIND,
            sip_port=sip_port,
            sip_tls_port=int(self.env["EDGEPBX_SIP_TLS_PORT"]),
            http_port=int(self.env["EDGEPBX_HTTP_PORT"]),
            https_port=int(self.env["EDGEPBX_HTTPS_PORT"]),
            tftp_port=int(self.env["EDGEPBX_TFTP_PORT"]),
            rtpengine_ng_port=int(self.env["EDGEPBX_RTPENGINE_PORT"]),
        )

    @property
    def realm(self) -> str:
        """The digest realm, as the agent wrote it for its routing script."""
        text = (self.settings.run_dir / "routing.json").read_text()
        return RoutingSettings.parse(text).realm

    def add_extensions(self, numbers: list[str]) -> dict[str, str]:
        """Add extensions through the service layer; return their passwords.

        The PBX generates each password, as it does for an administrator who
        leaves the field empty, so every phone has a different one.
        """
        app = Appliance.open(self.settings)
        try:
            passwords = {}
            for number in numbers:
                created = app.extensions.add(number, f"Bench {number}")
                passwords[number] = created.generated_password
            return passwords
        finally:
            app.close()

    def start(self) -> None:
        self.process = spawn(
            [_edgepbx_command(), "agent"], self.log, env=self.env, cwd=self.data_dir
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"edgepbx agent exited with status {self.process.returncode}:\n"
                    + log_tail(self.log)
                )
            if self._ready():
                self._read_daemon_pids()
                return
            time.sleep(READY_POLL_S)
        raise BenchError(
            f"edgepbx not ready after {READY_TIMEOUT_S:.0f} s:\n" + log_tail(self.log)
        )

    def _ready(self) -> bool:
        try:
            result = subprocess.run(
                [_edgepbx_command(), "status", "--json"],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=READY_TIMEOUT_S,
            )
            return bool(json.loads(result.stdout).get("ready"))
        except (subprocess.TimeoutExpired, json.JSONDecodeError):
            return False

    def _read_daemon_pids(self) -> None:
        """Kamailio's pid, and every daemon's, from the agent's state file."""
        state = json.loads(self.settings.agent_state_file.read_text())
        daemons = state["daemons"]
        self.daemon_pids = [int(d["pid"]) for d in daemons.values() if d.get("pid")]
        pid = daemons.get("kamailio", {}).get("pid")
        if not pid:
            raise BenchError("edgepbx reports no Kamailio process")
        self.kamailio_pid = int(pid)

    @property
    def cpu_group(self) -> int:
        """Kamailio's process group: its main process and every worker.

        The agent starts Kamailio in a session of its own, so the group id
        is the main process's id. The agent's own polling is left out.
        """
        if self.kamailio_pid is None:
            raise BenchError("edgepbx is not running")
        return self.kamailio_pid

    @property
    def rpc(self) -> KamailioRpc:
        return KamailioRpc(self.settings.kamailio_rpc_socket)

    @property
    def rendered_cfg(self) -> Path:
        return self.settings.run_dir / "kamailio.cfg"

    def kamailio_command(self) -> list[str]:
        """The command line the agent started Kamailio with."""
        raw = Path(f"/proc/{self.cpu_group}/cmdline").read_bytes()
        return raw.rstrip(b"\0").decode().split("\0")

    def stop(self) -> None:
        stop(self.process)
        # The agent starts each daemon in a session of its own and stops them
        # on SIGTERM; make sure none outlived it.
        for pid in self.daemon_pids:
            kill_group(pid)


def _edgepbx_command() -> str:
    beside = Path(sys.executable).with_name("edgepbx")
    if beside.exists():
        return str(beside)
    found = shutil.which("edgepbx")
    if not found:
        raise BenchError("edgepbx is not installed (run make venv)")
    return found


# -- the reference ------------------------------------------------------------


class BareKamailio:
    """Kamailio with edgepbx's configuration but native-script routing."""

    name = "bare kamailio"

    def __init__(self, work_dir: Path, sip_port: int, pbx: EdgepbxStack) -> None:
        self.work_dir = work_dir
        self.sip_port = sip_port
        self.pbx = pbx
        self.run_dir = work_dir / "run"
        self.cfg = self.run_dir / "kamailio.cfg"
        self.state_db = work_dir / "db" / "sip-state.sqlite"
        self.rpc_socket = self.run_dir / "kamailio-rpc.sock"
        self.log = work_dir.parent / "bare-kamailio.log"
        self.process: subprocess.Popen | None = None

    def write_config(self) -> None:
        """Derive the reference configuration from the one edgepbx runs.

        Step 1: take the rendered file and move what must not be shared (the
        SIP port, the RPC socket, the state database) to this server's own.
        Step 2: take out the KEMI lines and append the native routing.
        Step 3: have ``kamailio -c`` check the result.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        text = self.pbx.rendered_cfg.read_text()
        ours = self.pbx.settings
        for old, new in (
            (f"{BIND}:{ours.sip_port}", f"{BIND}:{self.sip_port}"),
            (f"{BIND}:{ours.sip_tls_port}", f"{BIND}:{free_ports()}"),
            (str(ours.kamailio_rpc_socket), str(self.rpc_socket)),
            (f"sqlite:///{ours.sip_state_db}", f"sqlite:///{self.state_db}"),
        ):
            if old not in text:
                raise BenchError(
                    f"{self.pbx.rendered_cfg} has no {old!r}; the template "
                    "changed shape, update scripts/bench/stacks.py"
                )
            text = text.replace(old, new)

        missing = [line for line in _KEMI_REQUIRED if line not in text]
        if missing:
            raise BenchError(
                f"{self.pbx.rendered_cfg} has no {missing[0]!r}; it no longer "
                "routes through KEMI the way scripts/bench/stacks.py expects"
            )
        text = _KEMI_LINES.sub("", text)
        routing = BARE_ROUTING_TEMPLATE.read_text().replace("{{realm}}", self.pbx.realm)
        self.cfg.write_text(text + "\n" + routing)
        prepare_state_db(self.state_db)

        result = subprocess.run(
            [KAMAILIO, "-c", "-f", str(self.cfg)],
            capture_output=True,
            text=True,
            timeout=CONFIG_CHECK_TIMEOUT_S,
        )
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
            raise BenchError(
                f"kamailio rejected {self.cfg}:\n" + "\n".join(errors[-5:])
            )

    def command(self) -> list[str]:
        """edgepbx's Kamailio command line, pointed at this cfg and run dir."""
        ours = self.pbx.kamailio_command()
        swaps = {
            str(self.pbx.rendered_cfg): str(self.cfg),
            str(self.pbx.settings.run_dir): str(self.run_dir),
        }
        command = [swaps.get(arg, arg) for arg in ours]
        if sum(a != b for a, b in zip(command, ours, strict=True)) < len(swaps):
            raise BenchError(f"unexpected Kamailio command line: {ours}")
        return command

    def start(self) -> None:
        self.process = spawn(self.command(), self.log, cwd=self.work_dir)
        rpc = KamailioRpc(self.rpc_socket, timeout=READY_POLL_S)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"bare kamailio exited with status {self.process.returncode}:"
                    "\n" + log_tail(self.log)
                )
            if rpc.ping():
                return
            time.sleep(READY_POLL_S)
        raise BenchError(
            f"bare kamailio not answering after {READY_TIMEOUT_S:.0f} s:\n"
            + log_tail(self.log)
        )

    @property
    def cpu_group(self) -> int:
        if self.process is None:
            raise BenchError("bare kamailio is not running")
        return self.process.pid

    @property
    def rpc(self) -> KamailioRpc:
        return KamailioRpc(self.rpc_socket)

    def stop(self) -> None:
        stop(self.process)
