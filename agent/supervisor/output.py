"""A supervised daemon's own lines, kept where the log viewer reads them.

Under ``make run`` nothing like journald catches what Kamailio, rtpengine,
gunicorn and the provisioning server print; the agent reads each daemon's
stdout and stderr through a pipe and writes every line, stamped with the
time it arrived and the level the line names, to ``logs/<daemon>.log`` in
the data directory, in the viewer's file format (agent/troubleshoot/logs.py).
Each file is size-bounded and rotated. On the device the agent runs under
systemd (``JOURNAL_STREAM`` is set), the daemons inherit its journal stream
and journald keeps their lines instead.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import threading
from pathlib import Path
from typing import IO

from agent.troubleshoot import logs as viewer

#: Each daemon's file and its rotated copies stay below about 3 MB: enough
#: for a day of Kamailio's notices, small on an SD card.
FILE_BYTES = 1_000_000
FILES_KEPT = 2
#: A line longer than this (a SIP message dumped at debug level) is cut.
LINE_MAX = 2000

# The first level word in a line: Kamailio writes " 0(1234) NOTICE: <core>
# ...", rtpengine "NOTICE: [core] ...", Python's logging "INFO ...".
_LEVEL = re.compile(
    r"\b(DEBUG|INFO|NOTICE|WARNING|WARN|ERROR|ERR|CRITICAL|CRIT|ALERT|EMERG|BUG)\b"
)
# What the file's own format says again: rtpengine's "[1733400000.123] "
# stamp, Python's "16:42:47 INFO    " (the web and provisioning servers).
_OWN_STAMP = re.compile(r"\[\d+\.\d+\] |\d\d:\d\d:\d\d (?=[A-Z]+ )")
_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "NOTICE": logging.INFO,
    "WARNING": logging.WARNING,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "ERR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
    "CRIT": logging.CRITICAL,
    "ALERT": logging.CRITICAL,
    "EMERG": logging.CRITICAL,
    "BUG": logging.CRITICAL,
}


def kept_by_journald() -> bool:
    """True when systemd gave the agent a journal stream (on the device)."""
    return bool(os.environ.get("JOURNAL_STREAM"))


def level_of(line: str) -> int:
    match = _LEVEL.search(line[:120])
    return _LEVELS[match.group(1)] if match else logging.INFO


class DaemonOutput:
    """The log file of one daemon; ``follow`` copies a process's pipe to it."""

    def __init__(self, logs_dir: Path, daemon: str) -> None:
        self.path = logs_dir / f"{daemon}.log"
        # The viewer tells daemons apart by the logger's second name; the
        # last is the file's, so two daemons the viewer calls alike (the
        # HTTPS and HTTP web servers) do not write into each other's file.
        self.logger = logging.getLogger(
            f"edgepbx.{viewer.daemon_named(daemon)}.out.{daemon}"
        )
        self.logger.propagate = False
        self.logger.setLevel(logging.DEBUG)
        self._handler: logging.Handler | None = None

    def _open(self) -> None:
        if self._handler is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            self.path, maxBytes=FILE_BYTES, backupCount=FILES_KEPT
        )
        handler.setFormatter(logging.Formatter(viewer.FILE_FORMAT))
        self.logger.addHandler(handler)
        self._handler = handler

    def follow(self, stream: IO[bytes]) -> threading.Thread:
        """Copy stream's lines to the file until the daemon closes it."""
        self._open()
        thread = threading.Thread(
            target=self._copy, args=(stream,), name=f"{self.path.stem}-output"
        )
        thread.daemon = True
        thread.start()
        return thread

    def _copy(self, stream: IO[bytes]) -> None:
        with stream:
            for raw in stream:
                line = raw.decode("utf-8", errors="replace").rstrip()
                if not line.strip():
                    continue
                line = _OWN_STAMP.sub("", line.strip(), count=1)[:LINE_MAX]
                self.logger.log(level_of(line), "%s", line)
