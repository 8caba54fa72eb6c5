"""Do-not-disturb, call forwarding and call waiting of each extension.

The CLI (``edgepbx extension dnd|forward|features``), the REST API
(``/api/v1/extensions/{number}/features``), the extension's admin page and
the user portal's forwarding page all call ``FeatureService``. Every change
is checked whole before anything is written, written in one transaction and
audited; a refused change leaves the extension as it was.

Who may change what: an account whose role may change extensions, for the
extensions its role's ranges let it see; a portal user, for their own
extension only.

A forward target is another enabled extension's number, an IVR menu's or a
conference room's number (the media service answers), or an external number
that an enabled outbound route lets this extension dial (the call then goes out
as if the extension had dialled the number itself: the route's caller ID and
the toll-fraud guard apply). The SIP routing reads the table behind this
module directly (``agent/sip/forwarding.py``), so a change holds from the
next call on.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import peewee

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import BaseModel, ConferenceRoom, Extension, IvrMenu, utcnow
from agent.errors import Forbidden, InvalidInput, no_such_extension
from agent.sip.dial_patterns import PatternError, compile_pattern
from agent.trunks.models import DialPatternRow, OutboundRoute, OutboundRouteTrunk

#: The kinds of forward, as the CLI's --clear, the API and the forms name them.
FORWARD_KINDS = ("always", "busy", "no_answer", "unreachable")
# How long the phones ring before a call forwards on no answer: 20 s is the
# usual default of office PBXs (four to five rings); under 5 s the user
# cannot reach the phone, and past 120 s the caller has long hung up.
DEFAULT_NO_ANSWER_S = 20
MIN_NO_ANSWER_S = 5
MAX_NO_ANSWER_S = 120
# A target is dialled digits: an extension, or an external number with an
# optional leading + (E.164 numbers have at most 15 digits; dial prefixes and
# carrier codes add a few more).
TARGET = re.compile(r"\+?[0-9]{2,32}")
TARGET_RULE = "an extension number or an external number (digits, optionally +)"
#: What do-not-disturb does, as the forwarding form and the portal's home
#: page say it (agent/sip/forwarding.py, step 1: the mailbox's busy
#: greeting, or 486 Busy Here).
DND_EFFECT = "callers get voicemail, or busy without a mailbox"
#: What turning call waiting off does (agent/sip/forwarding.py, step 4).
CALL_WAITING_OFF_EFFECT = (
    "while a phone of the extension is in a call or ringing, a new caller "
    "is treated as busy: the forward on busy, voicemail, or busy"
)
DND_COMES_FIRST = (
    "while it is on, calls are not forwarded, not even by Forward every call"
)
#: Said wherever both are set: the routing checks do-not-disturb first
#: (agent/sip/forwarding.py), so the caller never reaches the forward.
DND_BEATS_ALWAYS = (
    "do-not-disturb is on, so calls are not forwarded to {target}: "
    "do-not-disturb comes before forward always"
)


class ExtensionFeatureRow(BaseModel):
    """The feature settings of one extension (migration 12)."""

    extension = peewee.ForeignKeyField(Extension, primary_key=True, on_delete="CASCADE")
    dnd = peewee.BooleanField(default=False)
    forward_always = peewee.CharField(max_length=32, default="")
    forward_busy = peewee.CharField(max_length=32, default="")
    forward_no_answer = peewee.CharField(max_length=32, default="")
    no_answer_s = peewee.IntegerField(default=DEFAULT_NO_ANSWER_S)
    forward_unreachable = peewee.CharField(max_length=32, default="")
    # Migration 19; on, as phones expect: a second call rings with a tone.
    call_waiting = peewee.BooleanField(default=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "extension_feature"


@dataclass(frozen=True)
class CallFeatures:
    """An extension's do-not-disturb, forwards and call waiting; "" is no
    forward."""

    extension: str
    dnd: bool = False
    forward_always: str = ""
    forward_busy: str = ""
    forward_no_answer: str = ""
    no_answer_s: int = DEFAULT_NO_ANSWER_S
    forward_unreachable: str = ""
    call_waiting: bool = True

    @classmethod
    def of(cls, number: str, row: ExtensionFeatureRow | None) -> CallFeatures:
        if row is None:
            return cls(number)
        return cls(
            extension=number,
            dnd=bool(row.dnd),
            forward_always=row.forward_always,
            forward_busy=row.forward_busy,
            forward_no_answer=row.forward_no_answer,
            no_answer_s=row.no_answer_s,
            forward_unreachable=row.forward_unreachable,
            call_waiting=bool(row.call_waiting),
        )

    @property
    def notes(self) -> list[str]:
        """Plain sentences about settings that do not do what they seem to."""
        if self.dnd and self.forward_always:
            return [DND_BEATS_ALWAYS.format(target=self.forward_always)]
        return []

    def to_dict(self) -> dict:
        return asdict(self) | {"notes": self.notes}

    def settings(self) -> dict:
        """What may be changed, as the audit log keeps it."""
        values = asdict(self)
        values.pop("extension")
        return values


#: The fields a change may name, and what each is.
FIELDS = {
    "dnd": "true or false",
    "forward_always": TARGET_RULE,
    "forward_busy": TARGET_RULE,
    "forward_no_answer": TARGET_RULE,
    "no_answer_s": f"whole seconds, {MIN_NO_ANSWER_S} to {MAX_NO_ANSWER_S}",
    "forward_unreachable": TARGET_RULE,
    "call_waiting": "true or false",
}


def forward_field(kind: str) -> str:
    """The field of a forward kind ("busy" -> "forward_busy")."""
    if kind not in FORWARD_KINDS:
        raise InvalidInput("clear", kind, "one of " + ", ".join(FORWARD_KINDS))
    return "forward_" + kind


class FeatureService:
    """Call features as one principal may see and change them."""

    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    def get(self, number: str) -> CallFeatures:
        row = self._extension(str(number), change=False)
        return CallFeatures.of(row.number, _row_of(row))

    def change(self, number: str, **changes: object) -> CallFeatures:
        """Set the named fields (see FIELDS); a target "" clears that forward.

        Every value is checked before anything is written: one bad field
        refuses the whole change, naming that field and its rule.
        """
        ext = self._extension(str(number), change=True)
        for name in changes:
            if name not in FIELDS:
                raise InvalidInput(name, None, "not a call feature setting")
        with database.atomic():
            stored = _row_of(ext)
            before = CallFeatures.of(ext.number, stored)
            values = before.settings()
            for name, value in changes.items():
                values[name] = _checked(ext.number, name, value)
            _refuse_loop(ext.number, values["forward_always"])
            after = CallFeatures(ext.number, **values)
            if after == before:
                return after
            row = stored or ExtensionFeatureRow(extension=ext)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            row.save(force_insert=stored is None)
            audit.record(
                self.actor,
                "change",
                "extension-features",
                ext.number,
                before.settings(),
                after.settings(),
            )
        return after

    def set_dnd(self, number: str, on: bool) -> CallFeatures:
        return self.change(number, dnd=on)

    def set_call_waiting(self, number: str, on: bool) -> CallFeatures:
        return self.change(number, call_waiting=on)

    def _extension(self, number: str, change: bool) -> Extension:
        """The extension, if this principal may see (or change) its features."""
        reached = self.actor.reaches(
            number,
            Permission.CHANGE_EXTENSIONS if change else Permission.VIEW_EXTENSIONS,
        )
        row = Extension.get_or_none(Extension.number == number)
        if row is None or not reached:
            if self.actor.extension not in {None, number}:
                raise Forbidden(
                    f"{self.actor.name}: may change only extension "
                    f"{self.actor.extension}'s own forwarding"
                )
            raise no_such_extension(number)
        return row


def _row_of(ext: Extension) -> ExtensionFeatureRow | None:
    return ExtensionFeatureRow.get_or_none(ExtensionFeatureRow.extension == ext.id)


def _checked(number: str, name: str, value: object) -> object:
    if name in {"dnd", "call_waiting"}:
        if not isinstance(value, bool):
            raise InvalidInput(name, value, FIELDS[name])
        return value
    if name == "no_answer_s":
        if (
            isinstance(value, str)
            and value.strip().isascii()
            and value.strip().isdigit()
        ):
            value = int(value.strip())
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not MIN_NO_ANSWER_S <= value <= MAX_NO_ANSWER_S
        ):
            raise InvalidInput(name, value, FIELDS[name])
        return value
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(name, value, TARGET_RULE)
    target = value.strip()
    if not target:
        return ""
    if not TARGET.fullmatch(target) or not target.isascii():
        raise InvalidInput(name, value, TARGET_RULE)
    if target == number:
        raise InvalidInput(name, target, "an extension may not forward to itself")
    extension = Extension.get_or_none(Extension.number == target)
    if extension is not None:
        if not extension.enabled:
            raise InvalidInput(
                name, target, "that extension is disabled: its phones cannot ring"
            )
        return target
    if is_service_number(target):
        return target
    if not dialable(number, target):
        raise InvalidInput(
            name,
            target,
            f"neither an extension, an IVR menu or a conference room, nor a "
            f"number an outbound route lets extension {number} dial",
        )
    return target


def is_service_number(number: str) -> bool:
    """Whether an IVR menu or a conference room has this number."""
    return (
        IvrMenu.select().where(IvrMenu.number == number).exists()
        or ConferenceRoom.select().where(ConferenceRoom.number == number).exists()
    )


def dialable(extension: str, number: str) -> bool:
    """Whether an enabled outbound route with a trunk takes this extension's
    call to number (the routing's own test, at save time)."""
    routes = OutboundRoute.select().where(OutboundRoute.enabled == True)  # noqa: E712
    for route in routes.order_by(OutboundRoute.position):
        allowed = json.loads(route.extensions or "[]")
        if allowed and extension not in allowed:
            continue
        for row in route.patterns.order_by(DialPatternRow.position):
            try:
                matches = compile_pattern(row.pattern).match(number)
            except PatternError:
                continue
            if matches:
                return (
                    OutboundRouteTrunk.select()
                    .where(OutboundRouteTrunk.route == route)
                    .exists()
                )
    return False


def _refuse_loop(number: str, target: str) -> None:
    """Refuse a forward-always chain that comes back to number."""
    seen = [number]
    while target:
        if target in seen:
            chain = " -> ".join([*seen, target])
            raise InvalidInput(
                "forward_always", seen[1], f"forwards come back in a loop: {chain}"
            )
        seen.append(target)
        row = (
            ExtensionFeatureRow.select()
            .join(Extension)
            .where(Extension.number == target)
            .get_or_none()
        )
        target = row.forward_always if row is not None else ""


def forwards_to(number: str) -> list[str]:
    """Extensions whose forwards send calls to number (for removal checks)."""
    fields = (
        ExtensionFeatureRow.forward_always,
        ExtensionFeatureRow.forward_busy,
        ExtensionFeatureRow.forward_no_answer,
        ExtensionFeatureRow.forward_unreachable,
    )
    condition = None
    for field in fields:
        term = field == number
        condition = term if condition is None else condition | term
    rows = ExtensionFeatureRow.select(ExtensionFeatureRow, Extension).join(Extension)
    return sorted(row.extension.number for row in rows.where(condition))


#: How each forward field is said in a sentence.
FORWARD_WORDS = {
    "forward_always": "forward always",
    "forward_busy": "forward on busy",
    "forward_no_answer": "forward on no answer",
    "forward_unreachable": "forward when unreachable",
}


def uncarried_forwards() -> set[tuple[str, str, str]]:
    """(extension, field, target) of saved forwards to outside numbers that
    no outbound route carries: the routing does not follow them and the call
    goes on as without the forward (agent/sip/forwarding.py)."""
    found = set()
    rows = ExtensionFeatureRow.select(ExtensionFeatureRow, Extension).join(Extension)
    for row in rows:
        number = row.extension.number
        for field in FORWARD_WORDS:
            target = getattr(row, field)
            is_extension = Extension.select().where(Extension.number == target)
            if not target or is_extension.exists() or is_service_number(target):
                continue
            if not dialable(number, target):
                found.add((number, field, target))
    return found


def uncarried_sentences(found: set[tuple[str, str, str]]) -> list[str]:
    """One plain sentence per forward that no route carries any more."""
    return [
        f"extension {number}'s {FORWARD_WORDS[field]} to {target}: no outbound "
        "route carries it now, so its calls go on as without the forward "
        "(voicemail, or busy or unavailable without a mailbox)"
        for number, field, target in sorted(found)
    ]
