"""The appliance's logs, newest first, filtered and paged.

Where the lines are:

- on the device every daemon runs under ``edgepbx-agent.service`` (the agent
  starts Kamailio, rtpengine, the media workers and the provisioning
  server), so journald holds them all; each entry names its process;
- under ``make run`` the agent and the media workers also write
  ``logs/edgepbx.log`` in the data directory (agent/cli/main.py), with the
  logger's name, and the network watchdog writes ``logs/watchdog.log``.
  What Kamailio, rtpengine, the web servers and the provisioning server
  print the agent writes to ``logs/<daemon>.log`` (agent/supervisor/output.py),
  in the same format, the logger's name saying which daemon it was.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from agent.accounts.roles import Permission, Principal
from agent.errors import InvalidInput
from agent.settings import Settings

LOG_FILE = "edgepbx.log"
#: The file format of edgepbx.log; the viewer parses what this writes.
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
DAEMONS = ("agent", "kamailio", "rtpengine", "media", "provisioning", "web")
LEVELS = ("debug", "info", "warning", "error", "critical")
PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 500
TEXT_MAX = 200
# The newest lines read from each source; older ones are for journalctl
# itself, at the console.
LINES_PER_SOURCE = 20_000
JOURNAL_UNITS = ("edgepbx-agent.service", "edgepbx-network.service")
JOURNAL_TIMEOUT_S = 20
_FILE_LINE = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:,\d+)? "
    r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+) (.*)"
)
_STDERR_LINE = re.compile(r"\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+(.*)")
# Which daemon a Python logger speaks for, by its name's first part after
# "edgepbx.".
_LOGGER_DAEMON = {
    "media": "media",
    "voicemail": "media",
    "provisioning": "provisioning",
    "tftp": "provisioning",
    "pnp": "provisioning",
    "web": "web",
    "webadmin": "web",
    "kamailio": "kamailio",
    "rtpengine": "rtpengine",
}
# syslog priorities (RFC 5424 section 6.2.1) as the viewer's levels.
_PRIORITY_LEVEL = {
    0: "critical",
    1: "critical",
    2: "critical",
    3: "error",
    4: "warning",
    5: "info",
    6: "info",
    7: "debug",
}


@dataclass(frozen=True)
class LogEntry:
    at: str  # ISO 8601, UTC
    daemon: str
    level: str
    text: str

    def to_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    page: int
    page_size: int
    more: bool

    def to_dict(self) -> dict:
        return {
            "entries": [e.to_dict() for e in self.entries],
            "page": self.page,
            "page_size": self.page_size,
            "more": self.more,
        }


def _moment(field: str, value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field, value, "a date and time, 2026-05-01T09:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _daemon_of(logger: str) -> str:
    part = logger.split(".")[1] if "." in logger else ""
    return _LOGGER_DAEMON.get(part, "agent")


def daemon_named(supervised: str) -> str:
    """The viewer's daemon for a supervised daemon's name ("media-5071")."""
    return _LOGGER_DAEMON.get(supervised.split("-")[0], "agent")


def _file_entries(path: Path) -> list[LogEntry]:
    with path.open(errors="replace") as f:
        lines = deque(f, maxlen=LINES_PER_SOURCE)
    entries = []
    for line in lines:
        match = _FILE_LINE.match(line.rstrip("\n"))
        if match is None:
            continue  # a traceback's continuation lines
        stamp, level, logger, text = match.groups()
        # The file is written in local time, as logging's asctime is.
        local = dt.datetime.fromisoformat(stamp).astimezone()
        at = local.astimezone(dt.UTC).isoformat(timespec="seconds")
        entries.append(LogEntry(at, _daemon_of(logger), level.lower(), text))
    return entries


def _journal_entries(since: dt.datetime | None) -> list[LogEntry]:
    if shutil.which("journalctl") is None or not Path("/run/systemd/journal").exists():
        return []
    command = ["journalctl", "--no-pager", "-o", "json", "-r"]
    command += ["-n", str(LINES_PER_SOURCE)]
    for unit in JOURNAL_UNITS:
        command += ["-u", unit]
    if since is not None:
        command += ["--since", since.strftime("%Y-%m-%d %H:%M:%S UTC")]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=JOURNAL_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    entries = []
    for line in done.stdout.splitlines():
        try:
            record = json.loads(line)
            micros = int(record["__REALTIME_TIMESTAMP"])
        except (ValueError, KeyError):
            continue
        text = record.get("MESSAGE")
        if not isinstance(text, str):
            continue  # binary messages are journalctl's to show
        at = dt.datetime.fromtimestamp(micros / 1e6, dt.UTC)
        command_name = record.get("_COMM", "")
        level = _PRIORITY_LEVEL.get(int(record.get("PRIORITY", 6)), "info")
        daemon = command_name if command_name in DAEMONS else "agent"
        python = _STDERR_LINE.match(text)
        if python is not None:
            level, text = python.group(1).lower(), python.group(2)
        entries.append(LogEntry(at.isoformat(timespec="seconds"), daemon, level, text))
    return entries


def read(
    actor: Principal,
    settings: Settings,
    *,
    daemon: str | None = None,
    level: str | None = None,
    text: str | None = None,
    since: str | None = None,
    until: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE_DEFAULT,
) -> LogPage:
    """One page of log lines, newest first.

    level keeps that level and the ones above it; text is a plain,
    case-insensitive substring; since and until bound the time (UTC when no
    offset is given).
    """
    actor.require(Permission.CHANGE_SYSTEM_SETTINGS)

    # Step 1: the filters, checked before anything is read.
    if daemon and daemon not in DAEMONS:
        raise InvalidInput("daemon", daemon, f"one of {', '.join(DAEMONS)}")
    if level and level not in LEVELS:
        raise InvalidInput("level", level, f"one of {', '.join(LEVELS)}")
    if text and len(text) > TEXT_MAX:
        raise InvalidInput("text", text, f"at most {TEXT_MAX} characters")
    start, end = _moment("since", since), _moment("until", until)
    if start and end and start > end:
        raise InvalidInput("until", until, "after since")
    if not isinstance(page, int) or page < 1:
        raise InvalidInput("page", page, "a whole number from 1")
    if not isinstance(page_size, int) or not 1 <= page_size <= PAGE_SIZE_MAX:
        raise InvalidInput("page_size", page_size, f"1 to {PAGE_SIZE_MAX}")

    # Step 2: every source's lines, newest first.
    entries: list[LogEntry] = []
    if settings.logs_dir.is_dir():
        for path in sorted(settings.logs_dir.glob("*.log")):
            entries.extend(_file_entries(path))
    entries.extend(_journal_entries(start))
    entries.sort(key=lambda e: e.at, reverse=True)

    # Step 3: the filters, then the page.
    lowest = LEVELS.index(level) if level else 0
    needle = (text or "").casefold()
    chosen = [
        e
        for e in entries
        if (not daemon or e.daemon == daemon)
        and LEVELS.index(e.level) >= lowest
        and (not needle or needle in e.text.casefold())
        and (start is None or dt.datetime.fromisoformat(e.at) >= start)
        and (end is None or dt.datetime.fromisoformat(e.at) <= end)
    ]
    first = (page - 1) * page_size
    return LogPage(
        chosen[first : first + page_size],
        page,
        page_size,
        more=len(chosen) > first + page_size,
    )
