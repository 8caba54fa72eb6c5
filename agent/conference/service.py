"""The conference service: rooms with a number, a PIN and a member limit.

Every call to one room goes to the same media worker (Kamailio's dispatcher
hashes the dialled number), where pjmedia's conference bridge mixes the
members. A worker holds four calls, so a room holds four members at most
on this build of pjsua2; larger rooms need workers linked to each other,
which is not built yet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from agent import audit, numbering
from agent.accounts.passwords import hash_password
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

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, room: ConferenceRoom) -> RoomInfo:
        return cls(room.number, room.name, bool(room.pin_hash), room.max_members)


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
    ) -> Saved[RoomInfo]:
        self.actor.require(Permission.MANAGE_MEDIA)
        low, high = NUMBER_DIGITS
        if (
            not ((number or "").isascii() and (number or "").isdigit())
            or not low <= len(number) <= high
        ):
            raise InvalidInput("number", number, f"digits only, {low} to {high}")
        numbering.refuse_taken("number", number, "conference room")
        name = (name or "").strip()
        if not name or len(name) > NAME_MAX:
            raise InvalidInput("name", name, f"1 to {NAME_MAX} characters")
        if pin is not None:
            check_pin(pin)
        if not MIN_MEMBERS <= max_members <= CALLS_PER_WORKER:
            raise InvalidInput(
                "max_members",
                max_members,
                f"from {MIN_MEMBERS} to {CALLS_PER_WORKER} (the calls of one "
                "media worker)",
            )

        pin_hash = None if pin is None else hash_password(pin)
        where = ConferenceRoom.number == number
        with upsert(ConferenceRoom, where, number=number) as found:
            room = found.row
            before = None if found.created else RoomInfo.of(room).to_dict()
            room.name = name
            room.max_members = max_members
            if pin_hash is not None:
                room.pin_hash = pin_hash
            elif clear_pin:
                room.pin_hash = None
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
