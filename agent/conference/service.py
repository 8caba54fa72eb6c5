"""The conference service: rooms with a number, a PIN and a member limit.

Every call to one room goes to the same media worker (Kamailio's dispatcher
hashes the dialled number), where pjmedia's conference bridge mixes the
members. A worker holds CALLS_PER_WORKER calls (agent/media/pool.py), so a
room holds that many members at most; larger rooms need workers linked to
each other, which is not built yet.

A room may have a member PIN and a moderator PIN: a caller enters one PIN
and is a member or the moderator by which one matches. Two options need the
moderator PIN: "wait for the moderator" (members who come first hear music,
not each other, until a moderator joins) and "end with the moderator" (when
the last moderator leaves, the others hear that the leader has left and are
hung up).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from agent import audit, numbering
from agent.accounts.passwords import hash_password, verify_password
from agent.accounts.roles import Permission, Principal
from agent.db import Saved, database, upsert
from agent.db.models import ConferenceRoom, utcnow
from agent.destinations import refuse_if_used
from agent.errors import InvalidInput, NotFound
from agent.media.pool import CALLS_PER_WORKER
from agent.voicemail.service import check_pin

NUMBER_DIGITS = (2, 6)
NAME_MAX = 64
MIN_MEMBERS = 2


@dataclass(frozen=True)
class RoomInfo:
    number: str
    name: str
    has_pin: bool
    max_members: int
    has_moderator_pin: bool = False
    wait_for_moderator: bool = False
    end_with_moderator: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, room: ConferenceRoom) -> RoomInfo:
        return cls(
            room.number,
            room.name,
            bool(room.pin_hash),
            room.max_members,
            bool(room.moderator_pin_hash),
            bool(room.wait_for_moderator),
            bool(room.end_with_moderator),
        )


class ConferenceService:
    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    def list(self) -> list[RoomInfo]:
        self.actor.require(Permission.VIEW_MEDIA)
        rooms = ConferenceRoom.select().order_by(ConferenceRoom.number)
        return [RoomInfo.of(r) for r in rooms]

    def show(self, number: str) -> RoomInfo:
        self.actor.require(Permission.VIEW_MEDIA)
        return RoomInfo.of(self._room(number))

    def _room(self, number: str) -> ConferenceRoom:
        room = ConferenceRoom.get_or_none(ConferenceRoom.number == number)
        if room is None:
            raise NotFound(f"conference room {number} does not exist", field="number")
        return room

    def save(
        self,
        number: str,
        *,
        name: str,
        pin: str | None = None,
        clear_pin: bool = False,
        max_members: int = CALLS_PER_WORKER,
        moderator_pin: str | None = None,
        clear_moderator_pin: bool = False,
        wait_for_moderator: bool | None = None,
        end_with_moderator: bool | None = None,
    ) -> Saved[RoomInfo]:
        """Create or change a room. A PIN that is None stays as it was
        unless cleared; options that are None stay as they were (off for a
        new room)."""
        self.actor.require(Permission.MANAGE_MEDIA)
        low, high = NUMBER_DIGITS
        if (
            not ((number or "").isascii() and (number or "").isdigit())
            or not low <= len(number) <= high
        ):
            raise InvalidInput("number", number, f"digits only, {low} to {high}")
        name = (name or "").strip()
        if not name or len(name) > NAME_MAX:
            raise InvalidInput("name", name, f"1 to {NAME_MAX} characters")
        if pin is not None:
            check_pin(pin)
        if moderator_pin is not None:
            check_pin(moderator_pin, field="moderator_pin")
            if moderator_pin == pin:
                raise InvalidInput("moderator_pin", "", "must differ from the PIN")
        if not MIN_MEMBERS <= max_members <= CALLS_PER_WORKER:
            raise InvalidInput(
                "max_members",
                max_members,
                f"from {MIN_MEMBERS} to {CALLS_PER_WORKER} (the calls of one "
                "media worker)",
            )

        pin_hash = None if pin is None else hash_password(pin)
        moderator_hash = None if moderator_pin is None else hash_password(moderator_pin)
        where = ConferenceRoom.number == number
        with upsert(ConferenceRoom, where, number=number) as found:
            # In the write transaction: another kind's request waits for it.
            numbering.refuse_taken("number", number, "conference room")
            room = found.row
            before = None if found.created else RoomInfo.of(room).to_dict()
            room.name = name
            room.max_members = max_members
            if pin_hash is not None:
                room.pin_hash = pin_hash
            elif clear_pin:
                room.pin_hash = None
            if moderator_hash is not None:
                room.moderator_pin_hash = moderator_hash
            elif clear_moderator_pin:
                room.moderator_pin_hash = None
            if wait_for_moderator is not None:
                room.wait_for_moderator = wait_for_moderator
            if end_with_moderator is not None:
                room.end_with_moderator = end_with_moderator
            _check_pins_of(room, pin, moderator_pin)
            room.updated_at = utcnow()
            room.save()
            after = RoomInfo.of(room)
            audit.record(
                self.actor,
                "create" if found.created else "update",
                "conference room",
                number,
                before,
                after.to_dict(),
            )
        return Saved(after, found.created)

    def remove(self, number: str) -> None:
        self.actor.require(Permission.MANAGE_MEDIA)
        room = self._room(number)
        refuse_if_used("number", "conference", number)
        with database.atomic():
            before = RoomInfo.of(room).to_dict()
            room.delete_instance()
            audit.record(self.actor, "delete", "conference room", number, before, None)


def _check_pins_of(
    room: ConferenceRoom, pin: str | None, moderator: str | None
) -> None:
    """The room as it would be saved: its two PINs differ, and the moderator
    options have a moderator PIN to go by. Raising here rolls the save back."""
    if room.moderator_pin_hash and room.pin_hash:
        if pin is None and moderator is not None:
            same = verify_password(moderator, room.pin_hash)
        elif moderator is None and pin is not None:
            same = verify_password(pin, room.moderator_pin_hash)
        else:
            same = False  # both new (compared above) or both unchanged
        if same:
            raise InvalidInput("moderator_pin", "", "must differ from the PIN")
    if not room.moderator_pin_hash:
        for option in ("wait_for_moderator", "end_with_moderator"):
            if getattr(room, option):
                raise InvalidInput(option, "on", "needs a moderator PIN")
