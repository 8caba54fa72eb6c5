"""Where a call is sent: one vocabulary for every place that names a target.

An inbound route, a time condition's day and night targets, a ring group's
failover, an IVR key and a queue's failover all name a destination as
``KIND:TARGET`` (``extension:101``, ``ivr:500``, ``hangup``):

- ``extension``: ring the extension's phones (with its forwards and DND);
- ``ring_group``: ring a ring group by its number;
- ``time_condition``: whichever target the condition (by name) picks now;
- ``ivr``: an IVR menu (auto-attendant) by its number;
- ``queue``: a call queue by its number;
- ``conference``: a conference room by its number;
- ``voicemail``: straight to an extension's mailbox, the caller hears the
  greeting;
- ``hangup``: the call ends at once (busy), with no announcement.

Each user accepts the kinds it can carry out: an IVR key or a queue's
failover is played by the media service, which hands a caller on to an
extension, a mailbox, another menu or queue, or hangs up (MENU_KINDS).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.db.models import (
    CallQueue,
    ConferenceRoom,
    Extension,
    IvrChoice,
    IvrMenu,
    Mailbox,
)
from agent.errors import InvalidInput
from agent.trunks.models import InboundRoute, RingGroupRow, TimeConditionRow

KINDS = (
    "extension",
    "ring_group",
    "time_condition",
    "ivr",
    "queue",
    "conference",
    "voicemail",
    "hangup",
)
#: What an IVR key, an IVR fallback and a queue's failover may lead to.
MENU_KINDS = ("extension", "voicemail", "ivr", "queue", "hangup")
#: What a time condition's targets may lead to: never another time
#: condition (no chains of them to follow at call time).
TARGET_KINDS = tuple(k for k in KINDS if k != "time_condition")
#: The kinds the media service answers (agent/media/flows.py).
MEDIA_KINDS = frozenset({"ivr", "queue", "conference", "voicemail"})
#: Numbers are at most 6 digits everywhere in the one number space.
NUMBER_DIGITS_MAX = 6
#: A time condition's name (agent/trunks/rules.py name()).
NAME_MAX = 32


@dataclass(frozen=True)
class Destination:
    kind: str
    target: str = ""

    @classmethod
    def parse(
        cls, text: str, field: str = "destination", kinds: tuple[str, ...] = KINDS
    ) -> Destination:
        """``KIND:TARGET`` or ``hangup``; the kind must be one of kinds."""
        kind, _, target = (text or "").strip().partition(":")
        if kind not in kinds:
            raise InvalidInput(field, text, "one of " + usage(kinds))
        return cls.of(kind, target, field)

    @classmethod
    def of(cls, kind: str, target: str, field: str = "destination") -> Destination:
        """A destination from its two parts, each checked for its form."""
        target = (target or "").strip()
        text = f"{kind}:{target}" if target else kind
        if kind == "hangup":
            if target:
                raise InvalidInput(field, text, "hangup takes no number")
            return cls("hangup")
        if kind == "time_condition":
            if not 1 <= len(target) <= NAME_MAX:
                raise InvalidInput(field, text, "time_condition: the condition's name")
            return cls(kind, target)
        if (
            not (target.isascii() and target.isdigit())
            or len(target) > NUMBER_DIGITS_MAX
        ):
            raise InvalidInput(
                field, text, f"{kind}: a number of 1 to {NUMBER_DIGITS_MAX} digits"
            )
        return cls(kind, target)

    def __str__(self) -> str:
        return self.kind if self.kind == "hangup" else f"{self.kind}:{self.target}"


def usage(kinds: tuple[str, ...]) -> str:
    """How the kinds are written, for an error message or a help text."""
    return ", ".join(
        k if k == "hangup" else f"{k}:NAME" if k == "time_condition" else f"{k}:NUMBER"
        for k in kinds
    )


#: kind -> (the model, its column that holds the target, the refusal).
_TARGETS = {
    "extension": (Extension, Extension.number, "no such extension"),
    "ring_group": (RingGroupRow, RingGroupRow.number, "no such ring group"),
    "time_condition": (
        TimeConditionRow,
        TimeConditionRow.name,
        "no such time condition",
    ),
    "ivr": (IvrMenu, IvrMenu.number, "no such IVR menu"),
    "queue": (CallQueue, CallQueue.number, "no such queue"),
    "conference": (ConferenceRoom, ConferenceRoom.number, "no such conference room"),
}


def check_exists(field: str, destination: Destination) -> Destination:
    """Refuse a destination whose target does not exist (now)."""
    kind, target = destination.kind, destination.target
    if kind == "voicemail":
        box = Mailbox.select().join(Extension).where(Extension.number == target)
        if not box.exists():
            raise InvalidInput(field, str(destination), "that extension has no mailbox")
    elif kind in _TARGETS:
        model, column, refusal = _TARGETS[kind]
        if not model.select().where(column == target).exists():
            raise InvalidInput(field, str(destination), refusal)
    return destination


def uses_of(kinds: set[str], target: str) -> list[str]:
    """The places whose destination is one of kinds with this target:
    inbound routes, time conditions, ring group failovers, IVR keys and
    fallbacks, queue failovers."""
    named = {str(Destination(k, target)) for k in kinds}
    uses = [
        f"inbound route {r.did}"
        for r in InboundRoute.select().order_by(InboundRoute.did)
        if f"{r.destination_kind}:{r.destination}" in named
    ]
    for condition in TimeConditionRow.select().order_by(TimeConditionRow.name):
        targets = {
            f"{condition.open_kind}:{condition.open_destination}",
            f"{condition.closed_kind}:{condition.closed_destination}",
        }
        if targets & named:
            uses.append(f"time condition {condition.name}")
    for group in RingGroupRow.select().order_by(RingGroupRow.number):
        if group.failover in named:
            uses.append(f"ring group {group.number} (failover)")
    for menu in IvrMenu.select().order_by(IvrMenu.number):
        if menu.fallback in named:
            uses.append(f"IVR {menu.number} (fallback)")
    for choice in IvrChoice.select(IvrChoice, IvrMenu).join(IvrMenu):
        if choice.destination in named:
            uses.append(f"IVR {choice.menu.number} (key {choice.digit})")
    for queue in CallQueue.select().order_by(CallQueue.number):
        if queue.failover in named:
            uses.append(f"queue {queue.number} (failover)")
    return uses


def refuse_if_used(field: str, kind: str, target: str, own: str = "") -> None:
    """Refuse removing what a destination still names; uses starting with
    own are left out (a menu's own keys go with it)."""
    uses = [u for u in uses_of({kind}, target) if not own or not u.startswith(own)]
    if uses:
        raise InvalidInput(
            field, target, "still a destination of " + ", ".join(uses[:5])
        )


def choices(kinds: tuple[str, ...] = KINDS) -> list[tuple[str, str]]:
    """Every destination of kinds that exists now, as (value, label) pairs
    for a form's select, in the order of kinds."""
    found: list[tuple[str, str]] = []
    for kind in kinds:
        if kind == "hangup":
            found.append(("hangup", "Hang up"))
        elif kind == "voicemail":
            boxes = Mailbox.select(Mailbox, Extension).join(Extension)
            for box in boxes.order_by(Extension.number):
                number = box.extension.number
                found.append((f"voicemail:{number}", f"Voicemail of {number}"))
        elif kind == "time_condition":
            for row in TimeConditionRow.select().order_by(TimeConditionRow.name):
                found.append(
                    (f"time_condition:{row.name}", f"Time condition {row.name}")
                )
        elif kind in _TARGETS:
            model, column, _ = _TARGETS[kind]
            label = _LABELS[kind]
            for row in model.select().order_by(column):
                name = getattr(row, "display_name", None) or getattr(row, "name", "")
                found.append(
                    (f"{kind}:{row.number}", f"{label} {row.number} {name}".strip())
                )
    return found


_LABELS = {
    "extension": "Extension",
    "ring_group": "Ring group",
    "ivr": "IVR menu",
    "queue": "Queue",
    "conference": "Conference room",
}


def destination_parts(text: str) -> tuple[str, str]:
    """(kind, target) of "KIND:TARGET", "hangup" or a bare extension number,
    as typed at the CLI or chosen in a form; checked where they are used."""
    kind, sep, target = (text or "").strip().partition(":")
    if sep:
        return kind, target
    return ("hangup", "") if kind == "hangup" else ("extension", kind)
