"""The PBX's one internal number space, and the emergency numbers kept out of it.

An extension, a ring group, an IVR menu, a conference room, a page group
a call queue and a park slot (agent/park) are all called by dialling their
number, and the SIP routing answers the first it finds.
Two of them on one number would leave the other silent, so each number
belongs to one of them only. An emergency number (the event option
``emergency_numbers``) must leave by a trunk: an internal number equal to
it would ring inside the building instead.
"""

from __future__ import annotations

import json

from agent import system_settings
from agent.db.models import (
    CallQueue,
    ConferenceRoom,
    Extension,
    IvrMenu,
    PageGroup,
)
from agent.errors import InvalidInput
from agent.events.settings import EventOptions
from agent.feature_codes import feature_code_of
from agent.sip.park_slots import KEY as PARK_KEY
from agent.sip.park_slots import ParkSettings
from agent.trunks.models import RingGroupRow

#: What may hold an internal number: its name in messages, and its table.
HOLDERS = {
    "extension": ("an extension", Extension),
    "ring group": ("a ring group", RingGroupRow),
    "IVR menu": ("an IVR menu", IvrMenu),
    "conference room": ("a conference room", ConferenceRoom),
    "page group": ("a page group", PageGroup),
    "queue": ("a queue", CallQueue),
}


def park_slots() -> list[str]:
    """The park slots' numbers now (the defaults until changed)."""
    stored = system_settings.get(PARK_KEY)
    return ParkSettings.parse(None if stored is None else json.dumps(stored)).slots


def holder_of(number: str) -> str | None:
    """What is called by number ("an extension", "a ring group", …), if any."""
    for article, table in HOLDERS.values():
        if table.select().where(table.number == number).exists():
            return article
    if number in park_slots():
        return "a park slot"
    return None


def refuse_taken(field: str, number: str, kind: str) -> None:
    """Refuse number for a new kind of thing if anything else already has it,
    or if it is an emergency number.

    Args:
        field: the field to name in the refusal.
        number: the number asked for.
        kind: what it is asked for, a key of HOLDERS; a thing of the same
            kind keeps its own number (a menu saved again).
    """
    if number in EventOptions.load().emergency_numbers:
        raise InvalidInput(
            field,
            number,
            "an emergency number (event option emergency_numbers): calls to it "
            "must leave by a trunk, not ring inside",
        )
    feature = feature_code_of(number)
    if feature is not None:
        raise InvalidInput(
            field, number, f"a phone dialling it reaches the feature code {feature}"
        )
    for other, (article, table) in HOLDERS.items():
        if other != kind and table.select().where(table.number == number).exists():
            raise InvalidInput(field, number, f"already {article}'s number")
    if kind != "park slot" and number in park_slots():
        raise InvalidInput(
            field, number, "already a park slot's number (edgepbx park settings)"
        )


def refuse_internal_emergency(numbers: tuple[str, ...]) -> None:
    """Refuse an emergency number that is already an internal number."""
    for number in numbers:
        holder = holder_of(number)
        if holder is not None:
            raise InvalidInput(
                "emergency_numbers",
                number,
                f"already {holder}'s number: calls to it would ring inside, "
                "not leave by a trunk",
            )
