"""Failed SSH logins as security events, as sshd writes them to the journal.

OpenSSH's sshd and dropbear log every refused login through syslog, which
journald keeps on the device. ``journalctl --follow`` is woken by the
journal itself as each entry is written, not on a polling interval, so a
failure reaches the jail a few milliseconds after sshd wrote it; the agent
reads its output on one thread. Lines that are no failure are ignored.

What counts: a wrong password or keyboard-interactive answer, for a known
or an unknown user (OpenSSH), a bad password or a login for a user that
does not exist (dropbear). A public key that was not accepted does not
count: clients offer every key they hold, one after the other, and a
person's own laptop would be banned for it.

Known shortcoming: where there is no systemd journal (a container, or an
image whose syslog is busybox's), nothing is watched; the agent says so at
start. ``SshFailureSource`` takes any command that prints sshd's log lines,
which is how the tests feed it a real sshd's own log stream.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from agent.security import events

log = logging.getLogger("edgepbx.security")

# The journal's identifiers: sshd, its per-session process since OpenSSH
# 9.8, and dropbear (the small SSH server of Buildroot images).
JOURNAL_COMMAND = (
    "journalctl",
    "--follow",
    "--lines=0",
    "--output=cat",
    "--identifier=sshd",
    "--identifier=sshd-session",
    "--identifier=dropbear",
)
JOURNAL_SOCKET = Path("/run/systemd/journal/socket")
STOP_WAIT_S = 5.0

# OpenSSH: "Failed password for [invalid user ]NAME from ADDRESS port N ssh2"
_OPENSSH = re.compile(
    r"Failed (?:password|keyboard-interactive/pam) for (?:invalid user )?"
    r"(?P<user>.*?) from (?P<address>[0-9A-Fa-f:.]+) port \d+"
)
# dropbear: "Bad password attempt for 'NAME' from ADDRESS:PORT" and
# "Login attempt for nonexistent user ['NAME' ]from ADDRESS:PORT".
_DROPBEAR = re.compile(
    r"(?:Bad password attempt for|Login attempt for nonexistent user)"
    r"(?: '(?P<user>[^']*)')? from \[?(?P<address>[0-9A-Fa-f:.]+?)\]?:\d+\s*$"
)


@dataclass(frozen=True)
class SshFailure:
    address: str
    user: str

    def event(self) -> events.SecurityEvent:
        return events.SecurityEvent(
            events.SSH_LOGIN_FAILED, self.address, self.user, "ssh"
        )


def parse_failure(line: str) -> SshFailure | None:
    """The failure a log line reports, or None for every other line."""
    for pattern in (_OPENSSH, _DROPBEAR):
        found = pattern.search(line)
        if found is None:
            continue
        try:
            address = str(ipaddress.ip_address(found.group("address")))
        except ValueError:
            return None
        return SshFailure(address, found.group("user") or "")
    return None


def journal_available() -> str | None:
    """None if the journal can be followed here, else why not."""
    if shutil.which(JOURNAL_COMMAND[0]) is None:
        return "journalctl is not installed"
    if not JOURNAL_SOCKET.exists():
        return "no systemd journal is running"
    return None


class SshFailureSource:
    """Runs a command that prints sshd's log and reports each failure."""

    def __init__(self, command: tuple[str, ...] | list[str] = JOURNAL_COMMAND):
        self.command = list(command)
        self._process: subprocess.Popen[str] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            bufsize=1,
        )
        self._thread = threading.Thread(
            target=self._read, name="ssh-failures", daemon=True
        )
        self._thread.start()
        log.info("ssh logins: watching %s", self.command[0])

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            failure = parse_failure(line)
            if failure is not None:
                events.report(failure.event())
        if self._process.poll() not in (None, 0, -15):
            log.warning(
                "ssh logins: %s ended (status %s); failed logins are not watched",
                self.command[0],
                self._process.returncode,
            )

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
