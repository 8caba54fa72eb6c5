"""What the recovery console can do, each as a function of its own.

Every action here works without the web admin, and all but the admin
password reset work without the database: the console binds the models to
an in-memory stand-in when the real file is damaged (agent/db/offline.py),
so the services it calls (firewall, network, firmware) run unchanged.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shlex
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

from agent.accounts import passwords
from agent.accounts.roles import CONSOLE
from agent.accounts.service import FIRST_ADMIN, AccountService
from agent.db.offline import Database
from agent.errors import InvalidInput, PbxError
from agent.firmware import health, keys
from agent.firmware.device import Device
from agent.firmware.slots import FirmwareService
from agent.network import live
from agent.security.firewall import FirewallService
from agent.settings import Settings
from agent.status import web_addresses
from agent.supervisor.lock import agent_is_running
from agent.web import daemons as web_daemons

log = logging.getLogger("edgepbx.console")

ENV_REBOOT = "EDGEPBX_REBOOT_COMMAND"
ENV_POWEROFF = "EDGEPBX_POWEROFF_COMMAND"
ENV_SHELL = "EDGEPBX_CONSOLE_SHELL"
DEFAULT_REBOOT = "systemctl reboot"
DEFAULT_POWEROFF = "systemctl poweroff"
DEFAULT_SHELL = "/bin/sh"
SHELL_PASSWORD_FILE = "console-shell.hash"
SHELL_PASSWORD_MIN = 12
PING_COUNT = 3
PING_WAIT_S = 2
PING_TIMEOUT_S = 20
LOG_LINES = 40
# A capture is bounded both ways, so it can neither fill /data nor run on
# after the person at the console has gone.
CAPTURE_SECONDS_MAX = 300
CAPTURE_PACKETS_MAX = 100_000
CAPTURE_SNAPLEN = 262144
CAPTURE_DIR = "captures"
_HOST = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_IPV6 = re.compile(r"[0-9A-Fa-f:.]+")


class ConsoleRefused(PbxError):
    kind = "console-refused"


# -- status --------------------------------------------------------------------


def status(settings: Settings, db: Database) -> dict:
    """Host name, addresses, firmware, and which parts are answering."""
    # Read at each look: the console often starts before the agent does.
    settings = settings.where_agent_listens()
    try:
        firmware = FirmwareService(Device.load(), CONSOLE, []).status()
        release = f"{firmware.version or '?'} (slot {firmware.booted_slot})"
        if firmware.trial:
            release += ", on trial"
    except (PbxError, OSError) as exc:
        release = f"unknown: {exc}"
    running = agent_is_running(settings)
    return {
        "hostname": socket.gethostname(),
        "firmware": release,
        "interfaces": [i.to_dict() for i in live.interfaces()],
        "gateway": live.default_gateway(),
        "database": db.state(),
        "agent": "running" if running else "stopped",
        "web_admin": "answering"
        if running and web_daemons.https_answering(settings)
        else "not answering",
        "web_port": settings.https_port,
        "web_admin_url": web_addresses(settings)["https"],
        "sip": "answering"
        if running and health.sip_answers_options(settings)
        else "not answering",
        "sip_port": settings.sip_port,
        "data_dir": str(settings.data_dir),
    }


# -- accounts and firewall -------------------------------------------------------


def require_accounts(db: Database) -> None:
    """Refuse, saying why, when the web admin's accounts cannot be reached:
    before the console asks whether to reset a password it could not."""
    if db.setting_up:
        raise ConsoleRefused(
            "the appliance is still setting up: its admin account exists once "
            "the agent has made its data; try again in a minute"
        )
    if db.appliance is None:
        raise ConsoleRefused(
            f"the database cannot be opened ({db.problem}): restore a backup "
            "(edgepbx backup restore FILE) or make a factory reset"
        )


def reset_admin_password(db: Database, username: str = FIRST_ADMIN) -> str:
    require_accounts(db)
    assert db.appliance is not None  # require_accounts refused otherwise
    return AccountService(db.appliance.key).reset_password(CONSOLE, username)


def reset_firewall(settings: Settings) -> dict:
    """Every service open again, the web admin first; bans kept."""
    return FirewallService(settings, CONSOLE).reset()


def rollback_firmware(settings: Settings) -> str:
    return FirmwareService(
        Device.load(), CONSOLE, keys.trusted_keys(), settings
    ).rollback()


# -- power -----------------------------------------------------------------------


def _command(env: str, default: str) -> list[str]:
    return shlex.split(os.environ.get(env) or default)


def reboot() -> None:
    log.warning("console: reboot")
    subprocess.run(_command(ENV_REBOOT, DEFAULT_REBOOT), check=True)


def power_off() -> None:
    log.warning("console: power off")
    subprocess.run(_command(ENV_POWEROFF, DEFAULT_POWEROFF), check=True)


def factory_reset(settings: Settings) -> int:
    """Erase everything under the data directory; returns what was removed.

    The directory itself stays (it is the mount point of /data); the next
    start makes a new device key, certificate and one-time password.
    """
    removed = 0
    for entry in settings.data_dir.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        removed += 1
    log.warning("console: factory reset, %d entries removed", removed)
    return removed


# -- diagnostics -------------------------------------------------------------------


def host(value: str) -> str:
    value = (value or "").strip()
    if value.startswith("-") or not (
        _HOST.fullmatch(value) or (":" in value and _IPV6.fullmatch(value))
    ):
        raise InvalidInput("host", value, "a host name or an address")
    return value


def ping(target: str, write: Callable[[str], None]) -> int:
    """Ping target a few times, writing ping's lines; its exit status."""
    target = host(target)
    process = subprocess.Popen(
        ["ping", "-c", str(PING_COUNT), "-W", str(PING_WAIT_S), "--", target],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        for line in process.stdout:
            write(line)
        return process.wait(timeout=PING_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def log_sources(settings: Settings) -> list[str]:
    """The log files under logs/, then the journal where there is one."""
    sources = sorted(p.name for p in settings.logs_dir.glob("*") if p.is_file())
    if shutil.which("journalctl"):
        sources.append("journal")
    return sources


def tail_log(settings: Settings, source: str, lines: int = LOG_LINES) -> list[str]:
    if source not in log_sources(settings):
        raise InvalidInput("log", source, "one of the listed logs")
    if source == "journal":
        result = subprocess.run(
            ["journalctl", "--no-pager", "-n", str(lines)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.stdout.splitlines()
    with (settings.logs_dir / source).open(errors="replace") as f:
        return f.readlines()[-lines:]


def capture(
    settings: Settings, interface: str, seconds: int, packets: int
) -> tuple[Path, str]:
    """Capture packets on interface to a file; (file, tcpdump's summary)."""
    if interface not in {i.name for i in live.interfaces()} | {"any", "lo"}:
        raise InvalidInput("interface", interface, "one of the listed interfaces")
    if not 1 <= seconds <= CAPTURE_SECONDS_MAX:
        raise InvalidInput("seconds", seconds, f"1 to {CAPTURE_SECONDS_MAX}")
    if not 1 <= packets <= CAPTURE_PACKETS_MAX:
        raise InvalidInput("packets", packets, f"1 to {CAPTURE_PACKETS_MAX}")
    directory = settings.data_dir / CAPTURE_DIR
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    output = directory / f"{stamp}-{interface}.pcap"
    command = ["tcpdump", "-n", "-i", interface, "-s", str(CAPTURE_SNAPLEN)]
    command += ["-c", str(packets), "-w", str(output)]
    # -Z root: tcpdump would otherwise drop to a user who cannot write /data.
    command += ["-Z", "root"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        _, errors = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    summary = [line for line in errors.splitlines() if "captured" in line]
    if not output.exists():
        raise ConsoleRefused(f"tcpdump wrote nothing: {errors.strip()[-200:]}")
    return output, summary[0] if summary else "capture ended"


# -- shell -------------------------------------------------------------------------


def shell_password_file(settings: Settings) -> Path:
    return settings.certs_dir / SHELL_PASSWORD_FILE


def set_shell_password(settings: Settings, password: str) -> None:
    if len(password) < SHELL_PASSWORD_MIN:
        raise InvalidInput(
            "shell password", None, f"at least {SHELL_PASSWORD_MIN} characters"
        )
    path = shell_password_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(passwords.hash_password(password))
    temporary.chmod(0o600)
    os.replace(temporary, path)
    log.info("console: shell password set")


def shell_password_right(settings: Settings, password: str) -> bool:
    path = shell_password_file(settings)
    if not path.exists():
        raise ConsoleRefused(
            "no shell password is set: edgepbx console --set-shell-password"
        )
    return passwords.verify_password(password, path.read_text().strip())


def run_shell(stdin: int, stdout: int) -> int:
    shell = _command(ENV_SHELL, DEFAULT_SHELL)
    log.warning("console: shell opened")
    return subprocess.run(shell, stdin=stdin, stdout=stdout, stderr=stdout).returncode
