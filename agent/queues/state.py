"""The live state of the queues, as the media workers tell it.

A waiting caller lives in the memory of the media worker that answered it,
which neither the other workers nor the web admin can look into. So each
worker writes what it holds to a small file of its own in the run directory
whenever it changes (``run/queue-<port>.json``, replaced atomically, with its
process id): its waiting callers with the time they came in, the agents it
is ringing or has bridged, and per queue the agent it rang last and when
(so round-robin goes on from there whichever worker holds the next caller).
What agents answered is not held here but in the call records
(agent/queues/service.py, answered_today), which outlive a worker.
Readers combine the files of workers still running (as
agent/conference/occupancy.py does), so a worker that crashed shows nothing.

Known shortcoming: two workers may pick the same free agent within the same
second, before either has written its file; the agent's phone then rings
twice and takes one of the calls, and the other caller rings on.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, field

from agent.conference.occupancy import _running
from agent.settings import Settings

FILE_PREFIX = "queue-"


@dataclass
class WorkerQueues:
    """What one worker holds: callers waiting per queue, agents in use."""

    #: queue number -> [{"caller": "101", "since": epoch seconds}]
    waiting: dict[str, list[dict]] = field(default_factory=dict)
    #: agent extension -> "ringing" or "talking" (with the queue number)
    agents: dict[str, dict] = field(default_factory=dict)
    #: queue number -> {"agent": the agent rung last, "at": epoch seconds}
    rung: dict[str, dict] = field(default_factory=dict)


def publish(settings: Settings, port: int, held: WorkerQueues) -> None:
    path = settings.run_dir / f"{FILE_PREFIX}{port}.json"
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"pid": os.getpid(), **asdict(held)}))
    os.replace(partial, path)


def _workers(settings: Settings) -> list[dict]:
    found = []
    for path in settings.run_dir.glob(f"{FILE_PREFIX}*.json"):
        with contextlib.suppress(OSError, ValueError):
            body = json.loads(path.read_text())
            if isinstance(body, dict) and _running(body.get("pid")):
                found.append(body)
    return found


@dataclass(frozen=True)
class Combined:
    """Every running worker's queues together."""

    waiting: dict[str, list[dict]]
    agents: dict[str, dict]
    #: queue number -> the agent rung last by any worker
    rung: dict[str, str] = field(default_factory=dict)

    def position(self, queue: str, since: float) -> int:
        """1 for the caller waiting longest in the queue."""
        return 1 + sum(1 for w in self.waiting.get(queue, []) if w["since"] < since)


def combined(settings: Settings) -> Combined:
    waiting: dict[str, list[dict]] = {}
    agents: dict[str, dict] = {}
    rung: dict[str, tuple[float, str]] = {}
    for body in _workers(settings):
        for queue, callers in (body.get("waiting") or {}).items():
            waiting.setdefault(queue, []).extend(callers)
        for agent, state in (body.get("agents") or {}).items():
            agents[agent] = state
        for queue, last in (body.get("rung") or {}).items():
            at = float(last.get("at", 0))
            if at >= rung.get(queue, (0.0, ""))[0]:
                rung[queue] = (at, str(last.get("agent", "")))
    for callers in waiting.values():
        callers.sort(key=lambda w: w["since"])
    last_rung = {queue: agent for queue, (_, agent) in rung.items()}
    return Combined(waiting, agents, last_rung)


@dataclass(frozen=True)
class QueueStatus:
    """A queue now: callers waiting (longest first), its agents' states, and
    today's figures (agent/reports/figures.py's QueueFigures as a dict)."""

    number: str
    waiting: list[dict]
    agents: list[dict]
    today: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def status_of(
    settings: Settings,
    number: str,
    agents: list[str],
    dynamic: list[str],
    answered: dict[str, dict],
):
    """The queue now; answered: per agent the queue calls answered today
    (service.answered_today)."""
    now = time.time()
    live = combined(settings)
    waiting = [
        {"caller": w["caller"], "wait_s": int(now - w["since"])}
        for w in live.waiting.get(number, [])
    ]
    rows = []
    for agent in [*agents, *[d for d in dynamic if d not in agents]]:
        state = live.agents.get(agent, {}).get("state", "idle")
        rows.append(
            {
                "extension": agent,
                "kind": "static" if agent in agents else "logged in",
                "state": state,
                "calls": answered.get(agent, {}).get("calls", 0),
            }
        )
    return QueueStatus(number, waiting, rows)
