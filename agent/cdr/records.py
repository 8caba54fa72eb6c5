"""Call records: how call events become one row, and how rows are read.

Why events and not Kamailio's acc module: Kamailio's SQLite driver sets no
busy timeout, so Kamailio never writes the configuration database (see
docs/architecture.md); acc would need a database of its own and a second
pass to join its start and stop rows into one call. The KEMI routing
already knows each call's meaning (which trunk, which DID, which extension,
the final status) at the moment it decides, so it sends that as up to
three datagrams (started, answered, ended) and the agent, the database's
writer, turns them into one row. A call the PBX itself cuts (it stops,
or it went down and starts again) is closed by ``close_cut_calls`` with an
end reason of its own. Known shortcoming: a call whose BYE never passes the
PBX (both phones lost power) stays open until the PBX next starts.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import json
import logging
import operator
import re
from dataclasses import asdict, dataclass

import peewee

from agent import local_time
from agent.accounts.roles import NumberRanges, Permission, Principal
from agent.db import database
from agent.db.models import Extension
from agent.errors import Forbidden, InvalidInput
from agent.sip import replies
from agent.trunks.models import CallRecord, QueueCallPart

log = logging.getLogger("edgepbx.cdr")

ANSWERED = "answered"
NO_ANSWER = "no answer"
BUSY = "busy"
FAILED = "failed"
# Answered by a mailbox: the callee's, after busy or no answer, or one
# dialled with its feature code.
VOICEMAIL = "voicemail"
DISPOSITIONS = (ANSWERED, NO_ANSWER, BUSY, FAILED, VOICEMAIL)
# A call its caller cancelled (487 Request Terminated) was not answered either.
NO_ANSWER_CODES = replies.NO_ANSWER_CODES | {487}
PAGE_MAX = 1000

# Why a call the PBX cut ended, kept in its record's end reason; its last
# code stays the phones' last answer.
#: The PBX stopped (or restarted) and ended the call, telling both phones.
CUT_STOPPED = "cut: the PBX stopped"
#: The PBX went down without stopping (a crash, power lost, kill -9): the
#: call was closed when it next started, ending when the agent was last
#: known alive.
CUT_WENT_DOWN = "cut: the PBX went down"

# A call queue's part of a call, told by the media worker that holds the
# caller: "queued" when the caller joins a queue, "queue_left" when the
# caller leaves it with one of the outcomes below. The worker's answer is
# not the callee's: a queue call is answered when an agent answers it.
QUEUED = "queued"
QUEUE_LEFT = "queue_left"
#: How a caller leaves a queue: an agent took the call, the caller hung up
#: waiting, or the longest wait passed and the call went to the failover.
QUEUE_ANSWERED = "answered"
ABANDONED = "abandoned"
TIMED_OUT = "timed out"
QUEUE_OUTCOMES = (QUEUE_ANSWERED, ABANDONED, TIMED_OUT)

#: Asterisk's Master.csv columns (cdr_csv with loguserfield on), in order;
#: the user field names the call's recording, as Asterisk dial plans that
#: record a call commonly set it.
MASTER_CSV_COLUMNS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "userfield",
)
_ASTERISK_DISPOSITION = {
    ANSWERED: "ANSWERED",
    NO_ANSWER: "NO ANSWER",
    BUSY: "BUSY",
    FAILED: "FAILED",
    # Asterisk's voicemail answers the call, and its CDR says so.
    VOICEMAIL: "ANSWERED",
}


def disposition_for(code: int, answered: bool) -> str:
    if answered:
        return ANSWERED
    if code in replies.BUSY_CODES:
        return BUSY
    if code in NO_ANSWER_CODES:
        return NO_ANSWER
    return FAILED


# RFC 3261 section 25.1: a quoted-pair inside a quoted display name.
_QUOTED_PAIR = re.compile(r"\\(.)")


def unquoted_name(display: str) -> str:
    """A display name as a person reads it: Kamailio's $fn keeps the
    quotes of a quoted display name (``"Ann Lee"``) and its escapes."""
    display = display.strip()
    if len(display) >= 2 and display[0] == display[-1] == '"':
        return _QUOTED_PAIR.sub(r"\1", display[1:-1])
    return display


def apply_event(event: dict) -> None:
    """Fold one call event into its row (the agent's listener calls this)."""
    kind = event.get("event")
    call_id = str(event.get("call_id") or "")
    at = float(event.get("at") or 0)
    if not call_id or not at:
        return
    if kind == "started":
        # A second INVITE of the same call (a forked retry) adds no row.
        with contextlib.suppress(peewee.IntegrityError):
            CallRecord.create(
                call_id=call_id,
                direction=str(event.get("direction", ""))[:8],
                src=str(event.get("src", ""))[:64],
                dst=str(event.get("dst", ""))[:64],
                did=str(event.get("did", ""))[:32],
                trunk=str(event.get("trunk", ""))[:32],
                caller_name=unquoted_name(str(event.get("caller_name", "")))[:64],
                transferred_by=str(event.get("transferred_by", ""))[:64],
                started_at=at,
            )
        return
    row = CallRecord.get_or_none(CallRecord.call_id == call_id)
    if row is None:
        return
    if kind == QUEUE_LEFT and row.ended_at is not None:
        # A caller's hang-up reaches Kamailio's routing before the worker
        # that held the caller: the outcome comes after the end.
        if row.queue_outcome == "" and event.get("outcome") == ABANDONED:
            _left_queue(row, event, at)
            row.save()
        return
    if row.ended_at is not None:
        return
    if kind == "forwarded":
        # An extension's forward on busy or no answer to an outside number:
        # from here on the call is the forwarding extension's outbound call.
        row.direction = str(event.get("direction", ""))[:8]
        row.src = str(event.get("src", ""))[:64]
        row.dst = str(event.get("dst", ""))[:64]
        row.trunk = str(event.get("trunk", ""))[:32]
    elif kind == "picked_up":
        # Another extension picked up the ringing call: it is the callee.
        row.dst = str(event.get("dst", ""))[:64]
    elif kind == "trunk":
        row.trunk = str(event.get("trunk", ""))[:32]
    elif kind == "voicemail":
        # Kept until the end: the row says voicemail if the mailbox answers.
        row.disposition = VOICEMAIL
    elif kind == QUEUED:
        _queued(row, event, at)
    elif kind == QUEUE_LEFT:
        _left_queue(row, event, at)
    elif kind == "answered" and row.answered_at is None and not row.queue:
        row.answered_at = at
    elif kind == "ended":
        code = int(event.get("code") or 0)
        answered = row.answered_at is not None
        row.ended_at = at
        row.last_code = code
        if row.queue and not answered:
            row.disposition = NO_ANSWER  # abandoned, or no agent in time
        elif not (row.disposition == VOICEMAIL and answered):
            row.disposition = disposition_for(code, answered)
    else:
        return
    row.save()


def close_cut_calls(at: float, reason: str) -> int:
    """Close every call still in progress as cut by the PBX at ``at`` (Unix
    seconds); reason is CUT_STOPPED or CUT_WENT_DOWN. Returns how many.

    A call that was answered stays answered (its talk time ran until the
    cut); one still ringing failed, and one waiting in a queue was
    abandoned, its queue's part too, as when the caller hangs up there.
    An end before the call's start (a clock
    set back) is taken as its start.
    """
    closed = 0
    with database.atomic():
        for row in CallRecord.select().where(CallRecord.ended_at.is_null()):
            row.ended_at = max(at, row.answered_at or row.started_at)
            row.end_reason = reason
            if row.queue and not row.queue_outcome:
                row.queue_outcome = ABANDONED
            if row.queue and row.answered_at is None:
                row.disposition = NO_ANSWER  # as a caller who gave up waiting
            elif row.answered_at is None:
                row.disposition = FAILED
            elif row.disposition != VOICEMAIL:
                row.disposition = ANSWERED
            row.save()
            closed += 1
        QueueCallPart.update(outcome=ABANDONED).where(
            QueueCallPart.outcome == ""
        ).execute()
    return closed


def mark_cut(call_ids: list[str], reason: str) -> int:
    """Give the calls the PBX cut that ended before ``close_cut_calls``
    came to them their cut as end reason; call it after that one. A ringing
    call's CANCEL is answered at once, so its end may be folded in first,
    as the callee's 487. Such a call failed, as one still ringing when its
    record is closed. Returns how many records were marked."""
    marked = 0
    with database.atomic():
        for row in CallRecord.select().where(
            CallRecord.call_id.in_(call_ids),
            CallRecord.ended_at.is_null(False),
            CallRecord.end_reason.is_null() | (CallRecord.end_reason == ""),
        ):
            row.end_reason = reason
            if row.answered_at is None and not row.queue:
                row.disposition = FAILED
            row.save()
            marked += 1
    return marked


def _queued(row: CallRecord, event: dict, at: float) -> None:
    """The caller joins a queue: whoever answered before (the media worker,
    an IVR menu) is not who the caller wanted; an agent will be. The row
    shows the queue the call is in now; the queue's part of the call is a
    row of its own, kept when the caller fails over to another queue."""
    queue = str(event.get("queue", ""))[:6]
    # Kamailio's routing tells of a call to a queue before the worker that
    # answers it does: one part, however many say the caller joined.
    joined = (
        QueueCallPart.select()
        .where(
            QueueCallPart.call_id == row.call_id,
            QueueCallPart.queue == queue,
            QueueCallPart.outcome == "",
        )
        .exists()
    )
    if not joined:
        QueueCallPart.create(call_id=row.call_id, queue=queue, joined_at=at)
    elif row.queue == queue:
        return  # the same joining, told again: the wait runs from the first
    row.queue = queue
    row.agent = ""
    row.queue_outcome = ""
    row.queue_wait_s = None
    row.answered_at = None
    if row.disposition == VOICEMAIL:
        row.disposition = ""


def _left_queue(row: CallRecord, event: dict, at: float) -> None:
    outcome = str(event.get("outcome", ""))
    if outcome not in QUEUE_OUTCOMES:
        return
    _leave_part(row, event, outcome, at)
    if row.queue != str(event.get("queue", "")):
        return  # the call has moved on to another queue
    row.queue_outcome = outcome
    row.queue_wait_s = max(0.0, float(event.get("wait_s") or 0))
    if outcome == QUEUE_ANSWERED:
        row.agent = str(event.get("agent", ""))[:6]
        row.answered_at = at
    elif event.get("failover") == "voicemail":
        # The failover's mailbox answers the call, as a callee's does.
        row.disposition = VOICEMAIL
        row.answered_at = at


def _leave_part(row: CallRecord, event: dict, outcome: str, at: float) -> None:
    """How the caller left the queue's part of the call still open."""
    part = (
        QueueCallPart.select()
        .where(
            QueueCallPart.call_id == row.call_id,
            QueueCallPart.queue == str(event.get("queue", "")),
            QueueCallPart.outcome == "",
        )
        .order_by(QueueCallPart.id.desc())
        .first()
    )
    if part is None:
        return
    part.outcome = outcome
    part.wait_s = max(0.0, float(event.get("wait_s") or 0))
    if outcome == QUEUE_ANSWERED:
        part.agent = str(event.get("agent", ""))[:6]
        part.answered_at = at
    part.save()


@dataclass(frozen=True)
class CallRecordInfo:
    call_id: str
    direction: str
    src: str
    dst: str
    did: str
    trunk: str
    caller_name: str
    start: str
    answer: str | None
    end: str | None
    duration: int
    billsec: int
    disposition: str
    last_code: int
    #: The recording's file name under recordings/, "" when not recorded.
    recording: str = ""
    #: A queue call: the queue's number, the agent who answered ("" if
    #: none), answered / abandoned / timed out, and the wait in seconds.
    queue: str = ""
    agent: str = ""
    queue_outcome: str = ""
    wait_s: int | None = None
    #: The extension whose transfer (blind or attended) made this call of
    #: its caller's, "" for any other call.
    transferred_by: str = ""
    #: Why the call ended when not by a phone's hang-up or answer: "cut: the
    #: PBX stopped" and the like; "" for any other call.
    end_reason: str = ""

    @classmethod
    def of(cls, row: CallRecord) -> CallRecordInfo:
        end = row.ended_at
        return cls(
            call_id=row.call_id,
            direction=row.direction,
            src=row.src,
            dst=row.dst,
            did=row.did,
            trunk=row.trunk,
            caller_name=row.caller_name,
            start=_iso(row.started_at),
            answer=_iso(row.answered_at) if row.answered_at else None,
            end=_iso(end) if end else None,
            duration=round(end - row.started_at) if end else 0,
            billsec=round(end - row.answered_at) if end and row.answered_at else 0,
            disposition=row.disposition,
            last_code=row.last_code,
            recording=row.recording,
            queue=row.queue,
            agent=row.agent,
            queue_outcome=row.queue_outcome,
            wait_s=None if row.queue_wait_s is None else round(row.queue_wait_s),
            transferred_by=row.transferred_by,
            end_reason=row.end_reason or "",
        )

    def to_dict(self) -> dict:
        return asdict(self)


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def own_calls(
    actor: Principal,
    since: str | None = None,
    until: str | None = None,
    limit: int = 100,
) -> list[CallRecordInfo]:
    """The calls a portal user made or took on their own extension, newest
    first; they need no permission to see those."""
    number = actor.extension
    if number is None:
        raise Forbidden(f"{actor.name}: a call log is for the user of an extension")
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput("limit", limit, f"1 to {PAGE_MAX}")
    # An extension removed and added again is a new user's: their log
    # starts when the extension was made, never with the calls before.
    extension = Extension.get_or_none(Extension.number == number)
    if extension is None:
        return []
    made = extension.created_at.replace(tzinfo=dt.UTC).timestamp()
    query = between(
        CallRecord.select().where(
            (
                (CallRecord.src == number)
                | (CallRecord.dst == number)
                | (CallRecord.agent == number)
            )
            & (CallRecord.started_at >= made)
        ),
        since,
        until,
    )
    query = query.order_by(CallRecord.started_at.desc()).limit(limit)
    return [CallRecordInfo.of(row) for row in query]


def between(query, since: str | None, until: str | None):
    """The query narrowed to days ``since`` to ``until`` (inclusive), days
    of the appliance's time zone as the person asking counts them."""
    start, stop = local_time.day_span(since, until)
    if start is not None:
        query = query.where(CallRecord.started_at >= start)
    if stop is not None:
        query = query.where(CallRecord.started_at < stop)
    return query


def search(
    actor: Principal,
    since: str | None = None,
    until: str | None = None,
    number: str | None = None,
    disposition: str | None = None,
    limit: int = 100,
) -> list[CallRecordInfo]:
    """Calls newest first: dates (the appliance's zone, inclusive), a number (source,
    destination, DID or queue agent containing it), a disposition."""
    actor.require(Permission.VIEW_CALL_ROUTING)
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput("limit", limit, f"1 to {PAGE_MAX}")
    query = between(CallRecord.select(), since, until)
    if actor.extensions is not None:
        query = query.where(touching(actor.extensions))
    if number:
        if len(number) > 32:
            raise InvalidInput("number", None, "at most 32 characters")
        query = query.where(
            CallRecord.src.contains(number)
            | CallRecord.dst.contains(number)
            | CallRecord.did.contains(number)
            | CallRecord.agent.contains(number)
        )
    if disposition:
        if disposition not in DISPOSITIONS:
            raise InvalidInput(
                "disposition", disposition, "one of " + ", ".join(DISPOSITIONS)
            )
        query = query.where(CallRecord.disposition == disposition)
    query = query.order_by(CallRecord.started_at.desc()).limit(limit)
    return [CallRecordInfo.of(row) for row in query]


#: Which end of a call is an extension, by the call's direction: the
#: caller of an outbound call, the callee of an inbound one, both of a call
#: between extensions.
_EXTENSION_CALLERS = ("internal", "out")
_EXTENSION_CALLEES = ("internal", "in")


def touching(ranges: NumberRanges) -> peewee.Expression:
    """Calls with an extension in ranges at either end, or as the agent who
    took a queue call (a role's view)."""
    calling = CallRecord.direction.in_(_EXTENSION_CALLERS)
    called = CallRecord.direction.in_(_EXTENSION_CALLEES)
    return (
        (calling & _in_ranges(CallRecord.src, ranges))
        | (called & _in_ranges(CallRecord.dst, ranges))
        | _in_ranges(CallRecord.agent, ranges)  # the agent of a queue call
    )


def _in_ranges(field: peewee.Field, ranges: NumberRanges) -> peewee.Expression:
    """field holds digits only, and as a number lies in one of the spans (the
    same test as ``NumberRanges.__contains__``, in SQL)."""
    number = field.cast("INTEGER")
    spans = [number.between(low, high) for low, high in ranges.spans]
    return (
        (field != "")
        & peewee.Expression(field, "NOT GLOB", "*[^0-9]*")
        & functools.reduce(operator.or_, spans)
    )


def master_csv(records: list[CallRecordInfo]) -> str:
    """Rows in Asterisk's Master.csv layout, so billing tools read them;
    times in the appliance's zone, as Asterisk writes its server's local
    time."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    zone = local_time.zone()

    def when(value: str | None) -> str:
        return local_time.shown(value, zone)

    for r in records:
        inbound = r.direction == "in"
        dstchannel = f"SIP/{r.dst if inbound else r.trunk}"
        lastapp, lastdata = "Dial", r.trunk
        if r.queue:
            # As Asterisk's Queue() leaves it: the agent's channel, or none.
            dstchannel = f"SIP/{r.agent}" if r.agent else ""
            lastapp, lastdata = "Queue", r.queue
        writer.writerow(
            [
                "",
                r.src,
                r.dst,
                "from-trunk" if inbound else "from-internal",
                f'"{r.caller_name}" <{r.src}>' if r.caller_name else r.src,
                f"SIP/{r.trunk if inbound else r.src}",
                dstchannel,
                lastapp,
                lastdata,
                when(r.start),
                when(r.answer),
                when(r.end),
                r.duration,
                r.billsec,
                _ASTERISK_DISPOSITION.get(r.disposition, ""),
                "DOCUMENTATION",
                r.recording,
            ]
        )
    return out.getvalue()


def parse_event(data: bytes) -> dict:
    event = json.loads(data)
    if not isinstance(event, dict):
        raise ValueError("a call event is a JSON object")
    return event
