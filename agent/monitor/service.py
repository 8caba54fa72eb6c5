"""The live PBX monitor: who is idle, ringing or talking, trunks and rooms.

The web page (``/monitor``), its event stream, the REST API
(``/api/v1/monitor`` and ``/api/v1/monitor/stream``) and ``edgepbx monitor``
all call ``snapshot`` or ``changes`` here, and only see what the principal
may: the monitor permission, and of a role limited to extension ranges only
its extensions and the calls that touch one of them.

Where each part comes from:

- Registrations: the SIP core's registrar, one ``ul.dump`` over its RPC
  socket (as the extension list does). The copy Kamailio writes to the
  location table on disk lags by up to its flush interval, too late for a
  live view; when the SIP core does not answer, the state of an extension
  without a call is "unknown", not "unavailable".
- Calls: the call records the agent writes from the routing's call events
  (agent/cdr/records.py); a record with no end time is a call in progress,
  ringing until it has an answer time.
- Trunks: the states the agent's trunk keeper found in its latest round
  (agent/trunks/keeper.py, every 30 s), never a probe of our own.
- Queue agents: a call a media worker places to an agent for a queue's
  caller has no record of its own; the workers' live queue state
  (agent/queues/state.py) says who is rung or talking.
- Conference rooms: the member counts the media workers publish
  (agent/conference/occupancy.py).

Stale records: a call whose "ended" datagram was lost (the agent was down,
a BYE never crossed the PBX) keeps no end time. Such a row is not shown
once it is older than any real call of its kind could be: ringing past
``RINGING_MAX_S`` (no ring time or ring group rings that long), answered
past ``OPEN_CALL_MAX_S``, the same bound after which the toll-fraud guard
stops counting a call as open.

``MonitorFeed`` reads the whole state for every watcher of a process
together: at once when the configuration database changed (SQLite's
``PRAGMA data_version``, asked every ``DATABASE_POLL_S``: a call event the
agent saved), and every ``REFRESH_INTERVAL_S`` in any case (registrations,
which live in the SIP core, not in the database). ``changes`` then filters
it for its principal and yields only what differs from what that watcher
has seen.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

from agent.accounts.roles import Permission, Principal
from agent.conference import occupancy
from agent.db import database
from agent.db.models import ConferenceRoom, Extension
from agent.extensions import registrations
from agent.extensions.features import ExtensionFeatureRow
from agent.park import state as park_state
from agent.queues import state as queue_state
from agent.settings import Settings
from agent.sip.outside import OPEN_CALL_MAX_S
from agent.sip.rpc import KamailioRpc, RpcError
from agent.trunks import keeper
from agent.trunks.models import CallRecord, Trunk

IDLE = "idle"
RINGING = "ringing"
IN_USE = "in use"
#: A queue agent's state in the workers' live state (agent/queues/flow.py).
QUEUE_TALKING = "talking"
UNAVAILABLE = "unavailable"
DISABLED = "disabled"
UNKNOWN = "unknown"
EXTENSION_STATES = (IDLE, RINGING, IN_USE, UNAVAILABLE, DISABLED, UNKNOWN)
CALL_RINGING = "ringing"
CALL_ANSWERED = "answered"
# An unanswered call stops ringing after the ring time (at most 300 s,
# kamailio_config.RING_TIMEOUT_S_RANGE), a sequential ring group after a
# few of those; ten minutes unanswered is a lost end, not a ringing phone.
RINGING_MAX_S = 600
# The whole state is read at least this often while anyone watches: a new
# registration shows within about a second (half a second here, plus the way
# to the browser), and a read (one RPC, a few small indexed queries) costs a
# few milliseconds.
REFRESH_INTERVAL_S = 0.5
# How often the feed asks SQLite whether another process committed: one
# cheap pragma, so a saved call event shows within tens of milliseconds.
DATABASE_POLL_S = 0.05
# A feed nobody waited on for this long stops its thread.
FEED_IDLE_STOP_S = 10.0
SECTIONS = ("extensions", "trunks", "calls", "rooms", "parked")


@dataclass(frozen=True)
class ExtensionState:
    number: str
    name: str
    state: str
    dnd: bool
    #: Phones registered now (0 when the SIP core did not answer).
    contacts: int


@dataclass(frozen=True)
class TrunkState:
    name: str
    kind: str
    #: As the trunk keeper found it: registered, registering, failed auth,
    #: unreachable, reachable, disabled; "unknown" before its first round.
    state: str
    checked_at: float | None


@dataclass(frozen=True)
class ActiveCall:
    #: A short digest of the SIP Call-ID: stable, but no address in it.
    id: str
    direction: str
    caller: str
    caller_name: str
    callee: str
    did: str
    trunk: str
    state: str
    started_at: float
    answered_at: float | None


@dataclass(frozen=True)
class RoomState:
    number: str
    name: str
    max_members: int
    members: int


@dataclass(frozen=True)
class ParkedState:
    slot: str
    caller: str
    parked_by: str
    since: float


@dataclass(frozen=True)
class PbxState:
    """Everything the monitor shows, before any principal's filter."""

    at: float
    sip_core_error: str
    extensions: tuple[ExtensionState, ...]
    trunks: tuple[TrunkState, ...]
    calls: tuple[ActiveCall, ...]
    rooms: tuple[RoomState, ...]
    parked: tuple[ParkedState, ...] = ()

    def to_dict(self) -> dict:
        return {
            "at": self.at,
            "sip_core_error": self.sip_core_error,
            "extensions": [asdict(e) for e in self.extensions],
            "trunks": [asdict(t) for t in self.trunks],
            "calls": [asdict(c) for c in self.calls],
            "rooms": [asdict(r) for r in self.rooms],
            "parked": [asdict(p) for p in self.parked],
        }


def call_key(call_id: str) -> str:
    return hashlib.sha256(call_id.encode()).hexdigest()[:16]


def read_state(settings: Settings, rpc: KamailioRpc, now: float | None = None):
    """Read the whole PBX state once (no permission check: not for people).

    The state is stamped with the time its reading ended, not began: a call
    answered while the SIP core was being asked is in it, and a page that
    counts durations from the stamp must not start that call in the future.
    """
    given = now
    now = time.time() if given is None else given

    # Step 1: registrations from the SIP core.
    try:
        registered = {n: len(c) for n, c in registrations.all_current(rpc).items()}
        sip_core_error = ""
    except RpcError as exc:
        registered, sip_core_error = None, f"the SIP core does not answer: {exc}"

    # Step 2: calls in progress, stale rows left out.
    rows = CallRecord.select().where(
        CallRecord.ended_at.is_null(),
        CallRecord.started_at >= now - OPEN_CALL_MAX_S,
    )
    # Read once: the calls name their callers by them, step 3 gives each a state.
    every_extension = list(Extension.select().order_by(Extension.number))
    # A phone that sends no display name is named as its extension is; an
    # outside caller keeps only what the carrier sent.
    names = {ext.number: ext.display_name for ext in every_extension}
    calls = []
    for row in rows.order_by(CallRecord.started_at):
        if row.answered_at is None and row.started_at < now - RINGING_MAX_S:
            continue
        calls.append(
            ActiveCall(
                id=call_key(row.call_id),
                direction=row.direction,
                caller=row.src,
                caller_name=row.caller_name
                or ("" if row.direction == "in" else names.get(row.src, "")),
                callee=row.dst,
                did=row.did,
                trunk=row.trunk,
                state=CALL_RINGING if row.answered_at is None else CALL_ANSWERED,
                started_at=row.started_at,
                answered_at=row.answered_at,
            )
        )

    # Step 3: each extension's state from its phones and its calls.
    busy: set[str] = set()
    ringing: set[str] = set()
    for call in calls:
        busy.add(call.caller)
        (busy if call.state == CALL_ANSWERED else ringing).add(call.callee)
    # An agent a media worker rings or bridges to a queue's caller has no
    # call record of their own (the record is the caller's, to the queue):
    # the workers' live queue state says what the agent is doing.
    for agent, held in queue_state.combined(settings).agents.items():
        (busy if held.get("state") == QUEUE_TALKING else ringing).add(agent)
    dnd = {
        r.extension_id
        for r in ExtensionFeatureRow.select(ExtensionFeatureRow.extension).where(
            ExtensionFeatureRow.dnd == True  # noqa: E712
        )
    }
    extensions = []
    for ext in every_extension:
        contacts = (registered or {}).get(ext.number, 0)
        if not ext.enabled:
            state = DISABLED
        elif ext.number in busy:
            state = IN_USE
        elif ext.number in ringing:
            state = RINGING
        elif registered is None:
            state = UNKNOWN
        else:
            state = IDLE if contacts else UNAVAILABLE
        extensions.append(
            ExtensionState(ext.number, ext.display_name, state, ext.id in dnd, contacts)
        )

    # Step 4: trunks as the keeper last saw them, rooms as the workers say.
    known = keeper.read_states(settings.run_dir / keeper.STATES_FILE_NAME)
    trunks = []
    for trunk in Trunk.select().order_by(Trunk.name):
        seen = known.get(trunk.name) or {}
        state = str(seen.get("state") or UNKNOWN)
        if not trunk.enabled:
            state = "disabled"
        checked = seen.get("checked_at")
        trunks.append(
            TrunkState(
                trunk.name,
                trunk.kind,
                state,
                float(checked) if isinstance(checked, int | float) else None,
            )
        )
    members = occupancy.members_by_room(settings)
    rooms = tuple(
        RoomState(r.number, r.name, r.max_members, members.get(r.number, 0))
        for r in ConferenceRoom.select().order_by(ConferenceRoom.number)
    )
    return PbxState(
        time.time() if given is None else given,
        sip_core_error,
        tuple(extensions),
        tuple(trunks),
        tuple(calls),
        rooms,
        tuple(
            ParkedState(p.slot, p.caller, p.parked_by, p.since)
            for p in park_state.parked_calls(settings)
        ),
    )


def visible(actor: Principal, state: PbxState) -> PbxState:
    """The part of state the principal may watch.

    Raises:
        Forbidden: the principal may not watch the monitor.
    """
    actor.require(Permission.VIEW_MONITOR)
    if actor.extensions is None:
        return state
    sees = actor.sees_extension
    return PbxState(
        at=state.at,
        sip_core_error=state.sip_core_error,
        extensions=tuple(e for e in state.extensions if sees(e.number)),
        trunks=state.trunks,
        calls=tuple(c for c in state.calls if sees(c.caller) or sees(c.callee)),
        rooms=state.rooms,
        parked=state.parked,
    )


def snapshot(actor: Principal, settings: Settings, rpc: KamailioRpc) -> PbxState:
    """The PBX now, as the principal may see it."""
    actor.require(Permission.VIEW_MONITOR)
    return visible(actor, read_state(settings, rpc))


# -- changes ---------------------------------------------------------------------


def _keyed(state: dict) -> dict[str, dict[str, dict]]:
    keys = {
        "extensions": "number",
        "trunks": "name",
        "calls": "id",
        "rooms": "number",
        "parked": "slot",
    }
    return {
        section: {item[keys[section]]: item for item in state[section]}
        for section in SECTIONS
    }


def diff(before: dict, after: dict) -> dict | None:
    """What changed from one state (as to_dict) to the next, or None.

    Each section that changed lists its new or changed items whole under
    "changed" and the keys of items gone under "removed".
    """
    change: dict = {}
    old, new = _keyed(before), _keyed(after)
    for section in SECTIONS:
        changed = [
            item for key, item in new[section].items() if old[section].get(key) != item
        ]
        removed = [key for key in old[section] if key not in new[section]]
        if changed or removed:
            change[section] = {"changed": changed, "removed": removed}
    if before["sip_core_error"] != after["sip_core_error"]:
        change["sip_core_error"] = after["sip_core_error"]
    if not change:
        return None
    change["at"] = after["at"]
    return change


class MonitorFeed:
    """One reader of the PBX state per process, shared by all its watchers.

    A thread reads the state when the database changed and every
    REFRESH_INTERVAL_S while anyone waits on it, and stops after
    FEED_IDLE_STOP_S without a watcher.
    """

    def __init__(
        self,
        settings: Settings,
        rpc: KamailioRpc,
        interval_s: float = REFRESH_INTERVAL_S,
    ) -> None:
        self.settings = settings
        self.rpc = rpc
        self.interval_s = interval_s
        self._changed = threading.Condition()
        self._state: PbxState | None = None
        self._version = 0
        self._last_wanted = 0.0
        self._thread: threading.Thread | None = None
        self.error = ""

    def _run(self) -> None:
        read_at = 0.0
        seen_version = None
        while time.monotonic() - self._last_wanted < FEED_IDLE_STOP_S:
            try:
                db_version = database.execute_sql("PRAGMA data_version").fetchone()
            except Exception:  # the full read below says what went wrong
                db_version = None
            due = time.monotonic() - read_at >= self.interval_s
            if due or db_version != seen_version:
                seen_version, read_at = db_version, time.monotonic()
                self._read()
            time.sleep(DATABASE_POLL_S)
        with self._changed:
            self._thread = None
        # The thread's own SQLite connection goes with it.
        with contextlib.suppress(Exception):
            database.close()

    def _read(self) -> None:
        try:
            state = read_state(self.settings, self.rpc)
            self.error = ""
        except Exception as exc:  # a locked database: try again next round
            self.error = str(exc)
            return
        with self._changed:
            self._state = state
            self._version += 1
            self._changed.notify_all()

    def latest(self, after: int, timeout: float) -> tuple[int, PbxState | None]:
        """Wait up to timeout for a state newer than version after."""
        with self._changed:
            self._last_wanted = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="monitor-feed", daemon=True
                )
                self._thread.start()
            self._changed.wait_for(lambda: self._version > after, timeout)
            return self._version, self._state


@dataclass
class Change:
    """One thing a watcher is told: the whole "snapshot" first, then each
    "change"; "idle" when nothing changed for a while (time to check that
    the watcher may still watch, and to keep the connection alive)."""

    kind: str
    data: dict = field(default_factory=dict)


def changes(
    actor: Callable[[], Principal | None],
    feed: MonitorFeed,
    check_s: float = 5.0,
) -> Iterator[Change]:
    """The monitor as it changes, for one watcher, until it may not watch.

    actor is asked again every check_s seconds: a session that ended (it
    returns None) or a role that lost the permission (Forbidden) ends the
    changes.
    """
    principal = actor()
    if principal is None:
        return
    principal.require(Permission.VIEW_MONITOR)
    version, state = feed.latest(0, timeout=max(check_s, 2 * feed.interval_s))
    if state is None:
        state = read_state(feed.settings, feed.rpc)
    shown = visible(principal, state).to_dict()
    yield Change("snapshot", shown)
    checked = time.monotonic()
    while True:
        version, state = feed.latest(version, timeout=check_s)
        now = time.monotonic()
        if now - checked >= check_s:
            principal = actor()
            if principal is None:
                return
            checked = now
        if state is None:
            yield Change("idle")
            continue
        current = visible(principal, state).to_dict()
        change = diff(shown, current)
        shown = current
        yield Change("change", change) if change else Change("idle")
