"""A page broadcast, as a media worker runs it.

Every CHECK_S the worker looks in the broadcast spool (agent/paging/
broadcasts.py). It takes a job only with a line free for every member, by
renaming the job file to its own name: of two workers that try at once,
one rename succeeds and the other finds the file gone. The worker then
calls each member as a page does (the page header makes Kamailio skip a
member on do-not-disturb and add the auto-answer header), plays the prompt
to each member from the moment that member's phone answers, and hangs up
when the prompt is over. A member whose phone has not answered after
RING_S is given up. When every call has ended, a broadcast that no member
heard is an event.

Every call to a conference room comes to one worker and is not sent on to
another when that worker is full, so a worker with people in a room leaves
a job to the workers without one for ROOM_WORKER_WAIT_S, then takes it if
it still has a line free for every member. Known shortcoming: while such a
worker plays a broadcast, someone calling into its room may find it full.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from agent.events import catalogue
from agent.events.record import raise_event
from agent.paging.broadcasts import JOB_SUFFIX, BroadcastJob, spool_dir
from agent.paging.flow import PAGE_HEADER

log = logging.getLogger("edgepbx.media")

# How often an idle worker looks for a job: a broadcast starts within this
# long of being sent; a glob of an empty folder costs next to nothing.
CHECK_S = 1.0
# A phone that auto-answers does within a second or two; one that has not
# after this long is not going to.
RING_S = 20.0
TAKEN_SUFFIX = ".taken-"
# How long a worker holding a conference room leaves a job to the others:
# a few of CHECK_S, so an idle worker takes it first, and far less than the
# spool's SPOOL_MAX_WAIT_S, so a job is placed whenever a worker has lines.
ROOM_WORKER_WAIT_S = 5.0


def start_watching(worker) -> None:
    """At the worker's start: jobs it had taken died with its last life."""
    for path in spool_dir(worker.settings).glob(f"*{TAKEN_SUFFIX}{worker.port}"):
        path.unlink(missing_ok=True)
    watch(worker)


def watch(worker) -> None:
    """Look for a job now and again every CHECK_S, for the worker's life."""
    if worker.stopping:
        return
    try:
        take_job(worker)
    except Exception:
        log.exception("page broadcast: looking for a job failed")
    worker.later(CHECK_S, lambda: watch(worker))


def take_job(worker) -> Broadcast | None:
    from agent.conference.flow import ROOMS

    folder = spool_dir(worker.settings)
    if not folder.is_dir():
        return None
    holds_room = any(ROOMS.values())
    for path in sorted(folder.glob(f"*{JOB_SUFFIX}")):
        try:
            job = BroadcastJob.parse(path.read_text())
        except FileNotFoundError:
            continue  # another worker took it
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("page broadcast: unreadable job %s dropped", path.name)
            path.unlink(missing_ok=True)
            continue
        if worker.free_lines() < max(1, len(job.members)):
            return None
        if holds_room and time.time() - job.queued_at < ROOM_WORKER_WAIT_S:
            return None
        taken = path.with_name(f"{path.name}{TAKEN_SUFFIX}{worker.port}")
        try:
            os.rename(path, taken)
        except FileNotFoundError:
            continue
        broadcast = Broadcast(worker, job, taken)
        broadcast.start()
        return broadcast
    return None


class Broadcast:
    """One run of a broadcast: the members' calls and who heard it."""

    def __init__(self, worker, job: BroadcastJob, taken: Path) -> None:
        self.worker = worker
        self.job = job
        self.taken = taken
        self.calls: list = []
        self.heard: list[str] = []
        self.finished = False

    def start(self) -> None:
        for number in self.job.members:
            call = self.worker.call_out(
                number,
                lambda c, n=number: self._answered(c, n),
                self._ended,
                headers={PAGE_HEADER: self.job.page_group},
            )
            if call is not None:
                call.ring_timer = self.worker.later(RING_S, call.channel.hangup)
                self.calls.append(call)
        log.info(
            "page broadcast %s: calling %s",
            self.job.name,
            ", ".join(self.job.members) or "nobody",
        )
        if not self.calls:
            self._finish()

    def _answered(self, call, number: str) -> None:
        call.ring_timer.cancel()
        self.heard.append(number)
        call.channel.play([Path(self.job.prompt)], call.channel.hangup)

    def _ended(self, call, code: int) -> None:
        call.ring_timer.cancel()
        if call in self.calls:
            self.calls.remove(call)
        if not self.calls:
            self._finish()

    def _finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        self.taken.unlink(missing_ok=True)
        if self.heard:
            log.info(
                "page broadcast %s: heard on %s",
                self.job.name,
                ", ".join(self.heard),
            )
            return
        log.warning("page broadcast %s: reached nobody", self.job.name)
        raise_event(
            catalogue.PAGE_BROADCAST_FAILED,
            f"page broadcast {self.job.name} reached nobody in page group "
            f"{self.job.page_group}",
            self.job.name,
            {"page_group": self.job.page_group, "members": self.job.members},
        )
