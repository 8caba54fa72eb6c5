"""The call queue service: what a queue is, checked once for every surface.

A queue has a number in the PBX's one number space, a name, a strategy (how
its agents are rung), static agents (extensions, in ring order), the time one
agent attempt rings, the longest a caller waits before the failover
destination, the music callers hear and the periodic announcements. The web
pages, the REST API and the CLI all save through :class:`QueueService`.

Dynamic agents log in and out with feature codes (agent/queues/codes.py);
their logins are rows of ``queue_login``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

from agent import audit, numbering
from agent.accounts.roles import Permission, Principal
from agent.db import Saved, database, upsert
from agent.db.models import CallQueue, Extension, IvrMenu, QueueLogin, utcnow
from agent.destinations import MENU_KINDS, Destination, refuse_if_used
from agent.errors import InvalidInput, NotFound
from agent.extensions import rules
from agent.media.uploads import MUSIC_FOLDER
from agent.queues.state import QueueStatus, status_of
from agent.settings import Settings
from agent.voicemail.service import VoicemailService

NUMBER_DIGITS = (2, 6)
NAME_MAX = 64
#: How agents are rung: all at once; in order, each for ring_s; in order
#: starting after the one rung last; the one idle longest; the one with the
#: fewest answered queue calls; in random order.
STRATEGIES = (
    "ring-all",
    "linear",
    "round-robin",
    "least-recent",
    "fewest-calls",
    "random",
)
# One agent attempt: shorter than 5 s and a desk phone has barely rung
# twice; longer than 120 s nobody is coming.
RING_S = (5, 120)
# A caller waits at least 10 s (one attempt) and at most an hour.
MAX_WAIT_S = (10, 3600)
# Announcements no more often than every 20 s (they would drown the music)
# and no rarer than every 10 minutes.
ANNOUNCE_EVERY_S = (20, 600)
# The service level counts calls an agent answered within this wait; 20 s
# is the usual call-centre target ("80 % in 20 s"), an hour the longest wait.
SERVICE_LEVEL_S = (1, 3600)
#: A queue's agents: a ring-all attempt places one call per agent, as many
#: as the caller's worker has free lines (agent/media/pool.py), so on a busy
#: worker more agents are rung in turns.
MAX_AGENTS = 32
DEFAULT_MUSIC = "default"
#: What an upload's name may be (agent/media/uploads.py): no path, no NUL.
MUSIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class QueueInfo:
    number: str
    name: str
    strategy: str
    agents: list[str]
    ring_s: int
    max_wait_s: int
    failover: str
    music: str
    announce_position: bool
    announce_wait: bool
    announce_every_s: int
    logged_in: list[str] = field(default_factory=list)
    service_level_s: int = 20

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, queue: CallQueue) -> QueueInfo:
        logins = queue.logins.order_by(QueueLogin.logged_in_at, QueueLogin.id)
        return cls(
            number=queue.number,
            name=queue.name,
            strategy=queue.strategy,
            agents=agent_list(queue.agents),
            ring_s=queue.ring_s,
            max_wait_s=queue.max_wait_s,
            failover=queue.failover,
            music=queue.music,
            announce_position=bool(queue.announce_position),
            announce_wait=bool(queue.announce_wait),
            announce_every_s=queue.announce_every_s,
            logged_in=[login.extension for login in logins],
            service_level_s=queue.service_level_s,
        )


def agent_list(text: str) -> list[str]:
    return [a for a in (text or "").split(",") if a]


def answered_today(agents: list[str]) -> dict[str, dict]:
    """Per agent, the queue calls answered since the start of today (the
    appliance's time zone) as the call records hold them: ``calls``, and
    ``last_end``, when the last one ended (Unix seconds, 0 for none).

    The least-recent and fewest-calls strategies read this, so their order
    is the same on every media worker and survives a worker's restart. A
    call whose end is not recorded yet (the agent has just hung up) counts
    from when it was answered.
    """
    from agent.reports.figures import period

    if not agents:
        return {}
    today = period("today")
    marks = ",".join("?" for _ in agents)
    rows = database.execute_sql(
        "SELECT part.agent, COUNT(*), "
        "MAX(COALESCE(cdr.ended_at, part.answered_at)) "
        "FROM queue_call AS part JOIN cdr ON cdr.call_id = part.call_id "
        f"WHERE part.agent IN ({marks}) AND part.joined_at >= ? "
        "AND part.answered_at IS NOT NULL GROUP BY part.agent",
        [*agents, today.start],
    ).fetchall()
    return {
        agent: {"calls": int(calls), "last_end": float(last_end or 0.0)}
        for agent, calls, last_end in rows
    }


def _within(name: str, value: object, bounds: tuple[int, int], unit: str) -> int:
    low, high = bounds
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not (low <= value <= high)
    ):
        raise InvalidInput(
            name, value, f"a whole number of {unit} from {low} to {high}"
        )
    return value


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(name, value, "true or false")
    return value


class QueueService:
    def __init__(self, settings: Settings, actor: Principal) -> None:
        self.settings = settings
        self.actor = actor

    def list(self) -> list[QueueInfo]:
        self.actor.require(Permission.VIEW_MEDIA)
        return [QueueInfo.of(q) for q in CallQueue.select().order_by(CallQueue.number)]

    def show(self, number: str) -> QueueInfo:
        self.actor.require(Permission.VIEW_MEDIA)
        return QueueInfo.of(self._queue(number))

    def _queue(self, number: str) -> CallQueue:
        queue = CallQueue.get_or_none(CallQueue.number == number)
        if queue is None:
            raise NotFound(f"queue {number} does not exist", field="number")
        return queue

    def add(self, number: str, **fields) -> Saved[QueueInfo]:
        """Create a queue; refused if the number already is one."""
        self.actor.require(Permission.MANAGE_MEDIA)
        if CallQueue.select().where(CallQueue.number == number).exists():
            raise InvalidInput("number", number, "already a queue's number")
        return self.save(number, **fields)

    def set(self, number: str, **fields) -> Saved[QueueInfo]:
        """Change the given fields of an existing queue."""
        self.actor.require(Permission.MANAGE_MEDIA)
        self._queue(number)
        return self.save(number, **fields)

    def save(
        self,
        number: str,
        *,
        name: str | None = None,
        strategy: str | None = None,
        agents: list[str] | None = None,
        ring_s: int | None = None,
        max_wait_s: int | None = None,
        failover: str | None = None,
        music: str | None = None,
        announce_position: bool | None = None,
        announce_wait: bool | None = None,
        announce_every_s: int | None = None,
        service_level_s: int | None = None,
    ) -> Saved[QueueInfo]:
        """Create or change a queue; fields left None keep their value (or
        take the default on a new queue). Nothing changes on bad input."""
        self.actor.require(Permission.MANAGE_MEDIA)

        # Step 1: every given field on its own.
        self._check_number(number)
        existing = CallQueue.get_or_none(CallQueue.number == number)
        if name is not None or existing is None:
            name = rules.display_name(name, NAME_MAX)
        if strategy is not None and strategy not in STRATEGIES:
            raise InvalidInput("strategy", strategy, "one of " + ", ".join(STRATEGIES))
        if agents is not None:
            agents = self._check_agents(agents)
        if ring_s is not None:
            ring_s = _within("ring_s", ring_s, RING_S, "seconds")
        if max_wait_s is not None:
            max_wait_s = _within("max_wait_s", max_wait_s, MAX_WAIT_S, "seconds")
        if failover is not None:
            failover = str(self._check_failover(failover, number))
        if music is not None:
            self._check_music(music)
        if announce_position is not None:
            _flag("announce_position", announce_position)
        if announce_wait is not None:
            _flag("announce_wait", announce_wait)
        if announce_every_s is not None:
            announce_every_s = _within(
                "announce_every_s", announce_every_s, ANNOUNCE_EVERY_S, "seconds"
            )
        if service_level_s is not None:
            service_level_s = _within(
                "service_level_s", service_level_s, SERVICE_LEVEL_S, "seconds"
            )

        # Step 2: write what was given, in one transaction.
        given = {
            "name": name,
            "strategy": strategy,
            "agents": None if agents is None else ",".join(agents),
            "ring_s": ring_s,
            "max_wait_s": max_wait_s,
            "failover": failover,
            "music": music,
            "announce_position": announce_position,
            "announce_wait": announce_wait,
            "announce_every_s": announce_every_s,
            "service_level_s": service_level_s,
        }
        with upsert(CallQueue, CallQueue.number == number, number=number) as found:
            # In the write transaction: another kind's request waits for it.
            numbering.refuse_taken("number", number, "queue")
            queue = found.row
            before = None if found.created else QueueInfo.of(queue).to_dict()
            for key, value in given.items():
                if value is not None:
                    setattr(queue, key, value)
            queue.updated_at = utcnow()
            queue.save()
            after = QueueInfo.of(queue)
            audit.record(
                self.actor,
                "create" if found.created else "update",
                "queue",
                number,
                before,
                after.to_dict(),
            )
        return Saved(after, found.created)

    def remove(self, number: str) -> None:
        self.actor.require(Permission.MANAGE_MEDIA)
        queue = self._queue(number)
        refuse_if_used("number", "queue", number, own=f"queue {number} (")
        with database.atomic():
            before = QueueInfo.of(queue).to_dict()
            queue.delete_instance()
            audit.record(self.actor, "delete", "queue", number, before, None)

    def status(self, number: str) -> QueueStatus:
        """Callers waiting now (longest first), the agents' states, and the
        queue's figures of today (the system's time zone)."""
        from agent.reports.figures import period, queue_figures

        self.actor.require(Permission.VIEW_MEDIA)
        info = QueueInfo.of(self._queue(number))
        everyone = [*info.agents, *info.logged_in]
        live = status_of(
            self.settings,
            number,
            info.agents,
            info.logged_in,
            answered_today(everyone),
        )
        today = period("today")
        (figures,) = queue_figures(today.start, today.stop, numbers=[number])
        return replace(live, today=figures.to_dict())

    # -- dynamic agents --------------------------------------------------------

    def _require_agent_change(self, extension: str) -> None:
        """An administrator changes anyone's login, a user only their own."""
        if self.actor.extension is None or self.actor.extension != extension:
            self.actor.require(Permission.MANAGE_MEDIA)

    def log_in(self, number: str, extension: str) -> bool:
        """Log an extension in as a dynamic agent; False if it already was.

        Raises:
            InvalidInput: no such extension, or a static agent of the queue,
                who is always logged in.
        """
        self._require_agent_change(extension)
        queue = self._queue(number)
        if not Extension.select().where(Extension.number == extension).exists():
            raise InvalidInput("extension", extension, "no such extension")
        if extension in agent_list(queue.agents):
            raise InvalidInput(
                "extension",
                extension,
                f"a static agent of queue {number}, always logged in",
            )
        with database.atomic():
            if queue.logins.where(QueueLogin.extension == extension).exists():
                return False
            QueueLogin.create(queue=queue, extension=extension)
            audit.record(
                self.actor, "update", "queue", number, None, {"login": extension}
            )
        return True

    def log_out(self, number: str, extension: str) -> None:
        """Log a dynamic agent out.

        Raises:
            InvalidInput: the extension is a static agent (only taking it off
                the queue's agents takes it out) or not logged in.
        """
        self._require_agent_change(extension)
        queue = self._queue(number)
        if extension in agent_list(queue.agents):
            raise InvalidInput(
                "extension",
                extension,
                f"a static agent of queue {number} cannot log out; "
                "take it off the queue's agents",
            )
        with database.atomic():
            removed = (
                QueueLogin.delete()
                .where(QueueLogin.queue == queue, QueueLogin.extension == extension)
                .execute()
            )
            if removed:
                audit.record(
                    self.actor, "update", "queue", number, None, {"logout": extension}
                )
        if not removed:
            raise InvalidInput(
                "extension", extension, f"not logged in to queue {number}"
            )

    # -- checks ------------------------------------------------------------------

    def _check_number(self, number: str) -> None:
        low, high = NUMBER_DIGITS
        if (
            not ((number or "").isascii() and (number or "").isdigit())
            or not low <= len(number) <= high
        ):
            raise InvalidInput("number", number, f"digits only, {low} to {high}")

    def _check_agents(self, agents: list[str]) -> list[str]:
        if len(agents) > MAX_AGENTS:
            raise InvalidInput("agents", len(agents), f"at most {MAX_AGENTS} agents")
        seen: list[str] = []
        for agent in agents:
            agent = str(agent).strip()
            if not Extension.select().where(Extension.number == agent).exists():
                raise InvalidInput("agents", agent, "no such extension")
            if agent in seen:
                raise InvalidInput("agents", agent, "listed twice")
            seen.append(agent)
        return seen

    def _check_failover(self, text: str, own: str) -> Destination:
        destination = Destination.parse(text, "failover", MENU_KINDS)
        kind, target = destination.kind, destination.target
        if kind == "extension" and not Extension.get_or_none(
            Extension.number == target
        ):
            raise InvalidInput("failover", text, "no such extension")
        if kind == "voicemail":
            box = VoicemailService(self.settings).find(target)
            if box is None:
                raise InvalidInput("failover", text, "that extension has no mailbox")
        if kind == "ivr" and not IvrMenu.get_or_none(IvrMenu.number == target):
            raise InvalidInput("failover", text, "no such IVR menu")
        if kind == "queue":
            if target == own:
                raise InvalidInput("failover", text, "leads back to this queue")
            if not CallQueue.get_or_none(CallQueue.number == target):
                raise InvalidInput("failover", text, "no such queue")
        return destination

    def _check_music(self, music: str) -> None:
        if music == DEFAULT_MUSIC:
            return
        named = isinstance(music, str) and MUSIC_NAME.fullmatch(music) is not None
        path = self.settings.data_dir / MUSIC_FOLDER / f"{music}.wav"
        if not named or not path.is_file():
            raise InvalidInput(
                "music", music, f'"{DEFAULT_MUSIC}" or the name of uploaded music'
            )
