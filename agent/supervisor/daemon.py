"""Supervision of the appliance's daemons: start, watch, restart, stop.

On the device systemd supervises each daemon; in ``make run`` (and in the
tests) the agent does it itself with the same commands. A daemon that dies
is restarted after a delay that doubles with each quick death, so a daemon
that cannot start does not spin the CPU, and returns to one second once it
has stayed up for a while.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.events import catalogue, raise_event
from agent.supervisor.output import DaemonOutput

log = logging.getLogger("edgepbx.supervisor")

FIRST_RESTART_DELAY_S = 1.0
MAX_RESTART_DELAY_S = 30.0
# A daemon that ran this long before dying is restarted as if new.
STABLE_AFTER_S = 60.0
# Kamailio flushes registrations to disk on SIGTERM; give it time to.
STOP_GRACE_S = 10.0

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Run in the child: have the kernel send SIGTERM if the agent dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class DaemonSpec:
    """How to run one daemon.

    ``prepare`` runs before every start and returns the command and the
    environment; it may raise to refuse a start (bad configuration), which
    counts as a failed start.
    """

    name: str
    prepare: Callable[[], tuple[list[str], dict[str, str]]]
    answering: Callable[[], bool]
    #: The daemon writes the viewer's log file itself (the media workers
    #: share logs/edgepbx.log): its output is not copied a second time.
    logs_itself: bool = False


@dataclass
class Daemon:
    spec: DaemonSpec
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    delay: float = FIRST_RESTART_DELAY_S
    next_start: float = 0.0
    last_error: str | None = None
    history: list[str] = field(default_factory=list)
    #: Where the daemon's stdout and stderr go; None: stderr is the agent's
    #: own (the journal on the device), stdout is dropped.
    output: DaemonOutput | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        try:
            command, env = self.spec.prepare()
            captured = self.output is not None
            self.process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                # Daemons log to stderr; what some print to stdout at start
                # (Kamailio's socket list) is noise at the console, though
                # worth keeping in a daemon's own log file.
                stdout=subprocess.PIPE if captured else subprocess.DEVNULL,
                stderr=subprocess.STDOUT if captured else None,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
            if self.output is not None:
                self.output.follow(self.process.stdout)
        except Exception as exc:  # a start that fails is retried with backoff
            self.last_error = str(exc)
            log.error("%s: cannot start: %s", self.name, exc)
            self._schedule_restart()
            return
        self.started_at = time.monotonic()
        self.last_error = None
        log.info("%s: started (pid %d)", self.name, self.process.pid)

    def poll(self) -> bool:
        """Notice a death and schedule the restart; True if state changed."""
        now = time.monotonic()
        if self.process is None:
            if now >= self.next_start:
                self.start()
                return True
            return False
        status = self.process.poll()
        if status is None:
            return False

        # Workers of a daemon that died hard keep its sockets; end them too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        ran_for = now - self.started_at
        how = (
            f"killed by {signal.Signals(-status).name}"
            if status < 0
            else f"exited with status {status}"
        )
        self.last_error = how
        self.process = None
        if ran_for >= STABLE_AFTER_S:
            self.delay = FIRST_RESTART_DELAY_S
        self._schedule_restart()
        log.warning(
            "%s: %s after %.0f s; restarting in %.0f s",
            self.name,
            how,
            ran_for,
            self.next_start - now,
        )
        raise_event(
            catalogue.DAEMON_RESTARTED,
            f"{self.name}: {how}; restarted",
            object=self.name,
            details={
                "how": how,
                "ran_for_s": round(ran_for),
                "restarts": self.restarts,
            },
        )
        return True

    def _schedule_restart(self) -> None:
        self.restarts += 1
        self.next_start = time.monotonic() + self.delay
        self.delay = min(self.delay * 2, MAX_RESTART_DELAY_S)

    def stop(self) -> None:
        stop_together([self])

    def _ask_to_stop(self) -> subprocess.Popen | None:
        """Send SIGTERM to the daemon's process group; the process it was."""
        if self.process is None:
            return None
        process, self.process = self.process, None
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return None
        return process

    def _await_stop(self, process: subprocess.Popen, deadline: float) -> None:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s: did not stop in %.0f s, killing", self.name, STOP_GRACE_S)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.info("%s: stopped", self.name)

    def state(self) -> dict:
        return {
            "pid": self.pid,
            "running": self.process is not None,
            "restarts": self.restarts,
            "last_error": self.last_error,
        }


def stop_together(daemons: list[Daemon]) -> None:
    """Stop several daemons at once: SIGTERM to each, then wait for all.

    Each still has STOP_GRACE_S to leave before it is killed, counted from
    the same moment, so stopping them all takes as long as the slowest one
    rather than the sum of them.
    """
    asked = [(daemon, daemon._ask_to_stop()) for daemon in daemons]
    deadline = time.monotonic() + STOP_GRACE_S
    for daemon, process in asked:
        if process is not None:
            daemon._await_stop(process, deadline)
