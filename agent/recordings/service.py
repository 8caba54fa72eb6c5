"""Which calls are recorded, and the recordings as people find them.

The CLI (``edgepbx recording``, ``edgepbx extension recording``,
``edgepbx trunk recording``), the REST API and the web pages call these
functions. Settings: each extension records none of its calls, the calls it
takes (inbound), the calls it makes (outbound) or both; each trunk records
every call it carries, or none. The SIP routing reads both with the rest of
its dial plan (agent/sip/outside.py) and asks rtpengine to record a call
when either end wants it.

Playing or downloading a recording needs the recordings permission; a role
limited to some extensions gets only their calls' recordings, and a portal
user whose role grants it gets their own extension's. A recording whose
file is gone (the clean-up of old recordings deletes files) is listed as
removed; asking for its audio says so, never an error of the server.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.cdr import records
from agent.db import database
from agent.db.models import Extension, utcnow
from agent.errors import Forbidden, InvalidInput, NotFound, no_such_extension
from agent.trunks.models import CallRecord, Trunk

OFF, INBOUND, OUTBOUND, BOTH = "off", "inbound", "outbound", "both"
MODES = (OFF, INBOUND, OUTBOUND, BOTH)
PAGE_MAX = records.PAGE_MAX
MEDIA_TYPE = "audio/wav"


def mode(value: object) -> str:
    if value not in MODES:
        raise InvalidInput("recording", value, "one of " + ", ".join(MODES))
    return str(value)


def set_extension_recording(actor: Principal, number: str, value: object) -> str:
    """Record the extension's calls: off, inbound, outbound or both."""
    chosen = mode(value)
    if not actor.reaches(str(number), Permission.CHANGE_EXTENSIONS):
        raise Forbidden(f"{actor.name} ({actor.role_name}) may not change extensions")
    with database.atomic():
        ext = Extension.get_or_none(Extension.number == str(number))
        if ext is None:
            raise no_such_extension(number)
        if ext.recording != chosen:
            audit.record(
                actor,
                "change",
                "extension",
                ext.number,
                {"recording": ext.recording},
                {"recording": chosen},
            )
            ext.recording = chosen
            ext.updated_at = utcnow()
            ext.save()
    return chosen


def set_trunk_recording(actor: Principal, name: str, on: object) -> bool:
    """Record every call through the trunk, or none."""
    actor.require(Permission.MANAGE_CALL_ROUTING)
    if not isinstance(on, bool):
        raise InvalidInput("recording", on, "true or false")
    with database.atomic():
        trunk = Trunk.get_or_none(Trunk.name == str(name))
        if trunk is None:
            raise NotFound(f'trunk "{name}": no such trunk', field="trunk")
        if trunk.recording != on:
            audit.record(
                actor,
                "change",
                "trunk",
                trunk.name,
                {"recording": trunk.recording},
                {"recording": on},
            )
            trunk.recording = on
            trunk.updated_at = utcnow()
            trunk.save()
    return on


@dataclass(frozen=True)
class RecordingInfo:
    call_id: str
    start: str
    direction: str
    src: str
    dst: str
    billsec: int
    file: str
    #: False once the file is gone (removed by the clean-up or by hand).
    present: bool
    size: int

    def to_dict(self) -> dict:
        return asdict(self)


def _info(row: CallRecord, directory: Path) -> RecordingInfo:
    call = records.CallRecordInfo.of(row)
    path = directory / row.recording
    present = path.is_file()
    return RecordingInfo(
        call_id=row.call_id,
        start=call.start,
        direction=row.direction,
        src=row.src,
        dst=row.dst,
        billsec=call.billsec,
        file=row.recording,
        present=present,
        size=path.stat().st_size if present else 0,
    )


def _visible(actor: Principal):
    """The recorded calls this principal may hear."""
    actor.require(Permission.LISTEN_RECORDINGS)
    query = CallRecord.select().where(CallRecord.recording != "")
    if actor.extension is not None:
        number = actor.extension
        return query.where((CallRecord.src == number) | (CallRecord.dst == number))
    if actor.extensions is not None:
        query = query.where(records.touching(actor.extensions))
    return query


def search(
    actor: Principal,
    directory: Path,
    since: str | None = None,
    until: str | None = None,
    limit: int = 100,
) -> list[RecordingInfo]:
    """Recorded calls newest first, days since to until (UTC, inclusive)."""
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput("limit", limit, f"1 to {PAGE_MAX}")
    query = records.between(_visible(actor), since, until)
    query = query.order_by(CallRecord.started_at.desc()).limit(limit)
    return [_info(row, directory) for row in query]


def find(actor: Principal, directory: Path, call_id: str) -> RecordingInfo:
    """One call's recording, if this principal may hear it."""
    row = _visible(actor).where(CallRecord.call_id == str(call_id)).first()
    if row is None:
        raise NotFound(f'call "{call_id}": no recording', field="call_id")
    return _info(row, directory)


def audio_path(actor: Principal, directory: Path, call_id: str) -> Path:
    """The audio file of a call's recording; NotFound once it was removed."""
    found = find(actor, directory, call_id)
    if not found.present:
        raise NotFound(
            f'call "{call_id}": its recording {found.file} was removed',
            field="call_id",
        )
    return directory / found.file


def file_name(row: CallRecord | None, call_id: str, started: float) -> str:
    """The audio file's name: when, who called whom, and a short tag."""
    when = dt.datetime.fromtimestamp(started, dt.UTC).strftime("%Y%m%d-%H%M%S")
    parts = [when]
    if row is not None:
        parts += [_safe(row.src) or "unknown", _safe(row.dst) or "unknown"]
    tag = _safe(call_id)[:12] or "call"
    return "-".join([*parts, tag])[:120] + ".wav"


def _safe(text: str) -> str:
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c in "+_"))
