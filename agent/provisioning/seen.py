"""Phones seen but not assigned: the list, and assigning one in one step.

The agent fills the list from the requests of phones that are not in the
inventory (``agent.provisioning.sightings`` says how, and what it keeps).
Here people read it and act on it, through the CLI (``edgepbx phone seen``,
``edgepbx phone assign``), the REST API (``/api/v1/phones/seen``) and the
Phones page, all calling ``SeenPhoneService``: whoever may view extensions
reads the list; whoever may change extensions assigns or forgets a phone,
and assigns only extensions their role lets them see. Assigning adds the
phone to the inventory with the vendor and model it was seen as (either
can be given instead, and must be when the phone did not say it) and takes
it off the list, in one transaction with both audit entries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import Phone
from agent.devicekey import DeviceKey
from agent.errors import InvalidInput, NotFound
from agent.provisioning import rules
from agent.provisioning.inventory import PhoneInfo, PhoneService
from agent.provisioning.seen_table import SeenPhone


@dataclass(frozen=True)
class SeenPhoneInfo:
    mac: str
    vendor: str | None
    model: str | None
    source_ip: str
    via: str
    user_agent: str | None
    first_seen: str
    last_seen: str
    times_seen: int

    @classmethod
    def of(cls, row: SeenPhone) -> SeenPhoneInfo:
        return cls(
            mac=row.mac,
            vendor=row.vendor or None,
            model=row.model or None,
            source_ip=row.source_ip,
            via=row.via,
            user_agent=row.user_agent,
            first_seen=_iso(row.first_seen),
            last_seen=_iso(row.last_seen),
            times_seen=row.times_seen,
        )

    def to_dict(self) -> dict:
        return asdict(self)


def _iso(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.replace(tzinfo=dt.UTC).isoformat()


def _not_listed(mac: str) -> NotFound:
    return NotFound(f'phone "{mac}": not on the seen list', field="mac")


class SeenPhoneService:
    def __init__(self, key: DeviceKey, actor: Principal) -> None:
        self.key = key
        self.actor = actor

    def list(self) -> list[SeenPhoneInfo]:
        """Newest first; a phone added to the inventory meanwhile is left out."""
        self.actor.require(Permission.VIEW_EXTENSIONS)
        rows = (
            SeenPhone.select()
            .where(SeenPhone.mac.not_in(Phone.select(Phone.mac)))
            .order_by(SeenPhone.last_seen.desc(), SeenPhone.id.desc())
        )
        return [SeenPhoneInfo.of(row) for row in rows]

    #: After ``assign``: the model the phone reported, when another model
    #: was named and is now used instead; else None.
    reported_model: str | None = None

    def assign(
        self,
        mac: str,
        extensions: list[str],
        model: str | None = None,
        vendor: str | None = None,
    ) -> PhoneInfo:
        """Add the seen phone to the inventory on these extensions.

        Raises:
            NotFound: the MAC is not on the list (field "mac"), or an
                extension does not exist or is not the actor's to see.
            InvalidInput: the vendor or model is unknown and not given, or
                breaks the vendor's rule; the extensions break theirs.
        """
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        mac = rules.mac(mac)
        with database.atomic():
            row = SeenPhone.get_or_none(SeenPhone.mac == mac)
            if row is None:
                raise _not_listed(mac)
            vendor = (vendor or "").strip() or row.vendor
            model = (model or "").strip() or row.model
            # Naming another model than the phone reported is allowed (it may
            # report a family name, or a firmware may misreport), but said.
            replaced = row.model if row.model and row.model != model else None
            if not vendor:
                raise InvalidInput(
                    "vendor", None, "the phone did not say it: name the vendor"
                )
            if not model:
                raise InvalidInput(
                    "model", None, "the phone did not say it: name the model"
                )
            before = SeenPhoneInfo.of(row).to_dict()
            # Adding the phone takes it off this list, in this transaction.
            info = PhoneService(self.key, self.actor).add(
                mac, vendor, model, extensions
            )
            audit.record(self.actor, "assign", "seen-phone", mac, before)
        self.reported_model = replaced
        return info

    def forget(self, mac: str) -> None:
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        mac = rules.mac(mac)
        with database.atomic():
            row = SeenPhone.get_or_none(SeenPhone.mac == mac)
            if row is None:
                raise _not_listed(mac)
            before = SeenPhoneInfo.of(row).to_dict()
            row.delete_instance()
            audit.record(self.actor, "delete", "seen-phone", mac, before)

    def clear(self) -> int:
        """Forget every seen phone; how many there were."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        with database.atomic():
            count = SeenPhone.delete().execute()
            if count:
                audit.record(self.actor, "delete", "seen-phone", "*", {"phones": count})
        return count


def model_replaced_note(reported: str, used: str) -> str:
    """The sentence that says a named model replaced the reported one."""
    return f"the phone reported model {reported}; {used} is used now"
