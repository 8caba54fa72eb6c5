"""Company speed dials: a short code after the prefix reaches a stored number.

Any extension dials the prefix (``*0`` unless the feature-code table says
otherwise) and a code of one to three digits;
the SIP routing replaces the dialled code with the stored number and routes
the call as if the caller had dialled that number (agent/sip/routing.py
``speed_dial``). A stored outside number therefore goes through the
outbound routes and the toll-fraud guard like any dialled number: a speed
dial never lets an extension reach a number its routes would refuse it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import Saved, database, upsert
from agent.db.models import utcnow
from agent.errors import InvalidInput, NotFound
from agent.extensions.rules import display_name
from agent.feature_codes import current_codes
from agent.trunks.models import SpeedDialRow

#: Up to three digits: a thousand entries, more than an office's list.
CODE_DIGITS = (1, 3)
#: E.164 allows 15 digits; room for an international prefix and a route's
#: own access digit, as the outbound routes' dial patterns take them.
NUMBER_DIGITS = (1, 32)
NAME_MAX = 64


@dataclass(frozen=True)
class SpeedDialInfo:
    code: str
    number: str
    name: str
    dial: str  # what a phone dials: the prefix and the code

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, row: SpeedDialRow) -> SpeedDialInfo:
        prefix = current_codes()["speed_dial"]
        return cls(row.code, row.number, row.name, prefix + row.code)


def _digits(text: str) -> bool:
    """0 to 9 only: phones dial these; other scripts' digits reach nothing."""
    return text.isascii() and text.isdigit()


def check_code(code: str) -> str:
    low, high = CODE_DIGITS
    if not _digits(code or "") or not low <= len(code) <= high:
        raise InvalidInput("code", code, f"digits only, {low} to {high}")
    return code


def check_number(number: str) -> str:
    number = (number or "").strip()
    digits = number.removeprefix("+")
    low, high = NUMBER_DIGITS
    if not _digits(digits) or not low <= len(digits) <= high:
        raise InvalidInput(
            "number",
            number,
            f"{low} to {high} digits, a leading + allowed: an extension, a "
            "service number or an outside number as a phone would dial it",
        )
    return number


class SpeedDialService:
    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    def list(self) -> list[SpeedDialInfo]:
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        rows = SpeedDialRow.select().order_by(SpeedDialRow.code)
        return [SpeedDialInfo.of(r) for r in rows]

    def show(self, code: str) -> SpeedDialInfo:
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        return SpeedDialInfo.of(self._row(code))

    def _row(self, code: str) -> SpeedDialRow:
        row = SpeedDialRow.get_or_none(SpeedDialRow.code == code)
        if row is None:
            raise NotFound(f"speed dial {code} does not exist", field="code")
        return row

    def _require_change(self) -> None:
        """Speed dials serve every phone, so a role limited to some
        extensions may read them but not change them."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        self.actor.require_every_extension("speed dials")

    def save(
        self, code: str, *, number: str, name: str | None = None
    ) -> Saved[SpeedDialInfo]:
        """Create the speed dial or change where it leads; a name of None
        keeps the one it has."""
        self._require_change()
        check_code(code)
        number = check_number(number)
        if name is not None:
            name = (name or "").strip()
            if name:
                name = display_name(name)
            if len(name) > NAME_MAX:
                raise InvalidInput("name", name, f"at most {NAME_MAX} characters")

        where = SpeedDialRow.code == code
        with upsert(SpeedDialRow, where, code=code, name="") as found:
            row = found.row
            before = None if found.created else SpeedDialInfo.of(row).to_dict()
            row.number = number
            if name is not None:
                row.name = name
            row.updated_at = utcnow()
            row.save()
            after = SpeedDialInfo.of(row)
            audit.record(
                self.actor,
                "create" if found.created else "update",
                "speed dial",
                code,
                before,
                after.to_dict(),
            )
        return Saved(after, found.created)

    def remove(self, code: str) -> None:
        self._require_change()
        with database.atomic():
            row = self._row(code)
            before = SpeedDialInfo.of(row).to_dict()
            row.delete_instance()
            audit.record(self.actor, "delete", "speed dial", code, before, None)
