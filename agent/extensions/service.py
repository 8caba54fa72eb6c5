"""The extension service: the one place that adds, changes and lists them.

The CLI, the REST API and the web pages all call these functions. Each one
validates everything before it writes anything, and writes in a single
transaction, so a refused request leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import peewee

from agent import audit, csvimport, numbering, system_settings
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import Extension, Phone, PhoneKey, PhoneLine, utcnow
from agent.devicekey import DeviceKey
from agent.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    Refusals,
    no_such_extension,
)
from agent.extensions import emails, references, rules
from agent.extensions.registrations import Registrar
from agent.sip import digest

# One page of the list: enough to scan by eye, small enough to render fast.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
SEARCH_MAX = 64
# No list has this many pages; larger numbers overflow SQLite's OFFSET.
MAX_PAGE = 10**9

#: Sort keys a list may ask for, and the column behind each (numbers sort by
#: value, names without regard to case; both orders have an index).
SORT_KEYS = ("number", "display_name", "email", "created_at")


@dataclass(frozen=True)
class ExtensionInfo:
    """An extension as shown to people: never a password or a hash."""

    number: str
    display_name: str
    email: str | None
    enabled: bool
    created_at: str
    updated_at: str
    #: The call pickup group (agent/sip/pickup.py); empty: in none.
    pickup_group: str = ""
    #: Which of its calls are recorded (agent/recordings): off, inbound,
    #: outbound or both.
    recording: str = "off"
    #: The number and name the carrier is given on its outside calls; "":
    #: the route's caller ID, else the trunk's main number.
    outside_cid_number: str = ""
    outside_cid_name: str = ""
    #: The name other extensions' phones show; "": the display name.
    internal_cid_name: str = ""
    #: Whether its outside calls withhold the number (go out anonymous).
    withhold_number: bool = False

    @classmethod
    def of(cls, row: Extension) -> ExtensionInfo:
        return cls(
            number=row.number,
            display_name=row.display_name,
            email=row.email,
            enabled=bool(row.enabled),
            created_at=_iso(row.created_at),
            updated_at=_iso(row.updated_at or row.created_at),
            pickup_group=row.pickup_group or "",
            recording=row.recording,
            outside_cid_number=row.outside_cid_number or "",
            outside_cid_name=row.outside_cid_name or "",
            internal_cid_name=row.internal_cid_name or "",
            withhold_number=bool(row.withhold_number),
        )

    def to_dict(self) -> dict:
        return asdict(self)


class Keep(enum.Enum):
    """Marks a field an update leaves as it is (None would clear it)."""

    KEEP = "keep"


@dataclass(frozen=True)
class ExtensionPage:
    """One page of a searched, sorted list of extensions."""

    items: list[ExtensionInfo]
    total: int
    page: int
    per_page: int
    sort: str
    descending: bool
    search: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Created:
    extension: ExtensionInfo
    #: The password when the PBX generated it, so it can be shown once.
    generated_password: str | None


def _iso(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.replace(tzinfo=dt.UTC).isoformat()


def _purpose(number: str) -> str:
    return f"extension/{number}/sip_password"


class ExtensionService:
    """Extensions as one principal may see and change them.

    Every method checks the principal's role before it reads or writes, and
    every change is written to the audit log in the same transaction.
    """

    def __init__(
        self,
        key: DeviceKey,
        actor: Principal,
        registrar: Registrar | None = None,
        voicemail_dir: Path | None = None,
    ) -> None:
        self.key = key
        self.actor = actor
        self.registrar = registrar
        #: Where mailboxes keep their files (voicemail/<number>/), when this
        #: service may remove them.
        self.voicemail_dir = voicemail_dir

    def _forget_voicemail(self, number: str) -> None:
        """Remove the files a mailbox of number left: its messages and its
        greetings, which the next person given the number must not hear."""
        if self.voicemail_dir is not None:
            shutil.rmtree(self.voicemail_dir / number, ignore_errors=True)

    def _sign_out_phones(self, number: str) -> None:
        if self.registrar is not None:
            self.registrar.sign_out(number)

    @property
    def realm(self) -> str:
        realm = system_settings.get(system_settings.SIP_REALM)
        if not realm:
            raise RuntimeError("the SIP realm is not set; start the agent once")
        return realm

    def add(
        self,
        number: str,
        display_name: str,
        email: str | None = None,
        password: str | None = None,
        caller_id: dict | None = None,
    ) -> Created:
        """caller_id: any of outside_cid_number, outside_cid_name,
        internal_cid_name and withhold_number (see ``CALLER_ID_FIELDS``)."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        # Every field is checked, and every refusal given at once.
        refusals = Refusals()
        checked_number = refusals.check(rules.number, number)
        if checked_number is not None:
            self._require_in_scope(checked_number)
        display_name = refusals.check(rules.display_name, display_name)
        email = refusals.check(rules.email, email)
        if password is not None:
            refusals.check(rules.password, password, number)
        checked_caller_id = _check_caller_id(refusals, caller_id or {})
        refusals.raise_any()
        number = checked_number
        generated = None
        if password is None:
            password = generated = rules.generate_password(number)

        row = Extension(
            number=number, display_name=display_name, email=email, **checked_caller_id
        )
        self._set_credentials(row, password)
        with database.atomic():
            numbering.refuse_taken("extension", number, "extension")
            if Extension.select().where(Extension.number == number).exists():
                raise AlreadyExists(
                    f'extension "{number}": already exists', field="extension"
                )
            emails.require_free(email, self.actor)
            try:
                row.save(force_insert=True)
            except peewee.IntegrityError:
                raise AlreadyExists(
                    f'extension "{number}": already exists', field="extension"
                ) from None
            info = ExtensionInfo.of(row)
            audit.record(self.actor, "create", "extension", number, None, _shown(info))
        # Left by an extension of this number removed before its files were.
        self._forget_voicemail(number)
        return Created(info, generated)

    def list(self) -> list[ExtensionInfo]:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        query = self._visible().order_by(Extension.number.cast("INTEGER"))
        return [ExtensionInfo.of(row) for row in query]

    def count(self) -> int:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        return self._visible().count()

    def _visible(self) -> peewee.ModelSelect:
        """Every extension the actor may see: a role's number ranges, in SQL."""
        query = Extension.select()
        ranges = self.actor.extensions
        if ranges is None:
            return query
        value = Extension.number.cast("INTEGER")
        condition = None
        for low, high in ranges.spans:
            term = value.between(low, high)
            condition = term if condition is None else condition | term
        return query.where(condition)

    def _require_in_scope(self, number: str) -> None:
        if not self.actor.sees_extension(number):
            raise Forbidden(
                f"{self.actor.name} ({self.actor.role_name}) may not manage "
                f"extension {number}: outside {self.actor.extensions}"
            )

    def page(
        self,
        search: str = "",
        sort: str = "number",
        descending: bool = False,
        page: int = 1,
        per_page: int = DEFAULT_PAGE_SIZE,
    ) -> ExtensionPage:
        """One page of extensions whose number, name or e-mail contains search.

        Sorting, filtering and paging all happen in SQL (LIMIT/OFFSET), so a
        page of a list of thousands costs about as much as a short list.
        """
        self.actor.require(Permission.VIEW_EXTENSIONS)
        search = (search or "").strip()
        if len(search) > SEARCH_MAX:
            raise InvalidInput("q", None, f"at most {SEARCH_MAX} characters")
        if sort not in SORT_KEYS:
            raise InvalidInput("sort", sort, "one of " + ", ".join(SORT_KEYS))
        if not 1 <= per_page <= MAX_PAGE_SIZE:
            raise InvalidInput("per_page", per_page, f"1 to {MAX_PAGE_SIZE}")
        if not 1 <= page <= MAX_PAGE:
            raise InvalidInput("page", page, f"1 to {MAX_PAGE}")

        query = self._visible()
        if search:
            query = query.where(
                Extension.number.contains(search)
                | Extension.display_name.contains(search)
                | Extension.email.contains(search)
            )
        total = query.count()
        ordered = query.order_by(*sql_ordering(sort, descending))
        rows = ordered.paginate(page, per_page)
        return ExtensionPage(
            items=[ExtensionInfo.of(row) for row in rows],
            total=total,
            page=page,
            per_page=per_page,
            sort=sort,
            descending=descending,
            search=search,
        )

    def get(self, number: str) -> ExtensionInfo:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        return ExtensionInfo.of(self._row(number))

    def update(
        self,
        number: str,
        *,
        display_name: str | None = None,
        email: str | Keep | None = Keep.KEEP,
        enabled: bool | None = None,
        pickup_group: str | None = None,
        caller_id: dict | None = None,
    ) -> ExtensionInfo:
        """Change the given fields (email=None clears it, pickup_group=""
        takes the extension out of its group, a caller ID field "" goes
        back to its default); validate all first."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        changes = self.checked_changes(
            display_name=display_name,
            email=email,
            enabled=enabled,
            pickup_group=pickup_group,
            caller_id=caller_id,
        )
        after, changed = self._save(number, changes)
        if changed.get("enabled") is False:
            self._sign_out_phones(after.number)
        return after

    def checked_changes(
        self,
        *,
        display_name: str | None = None,
        email: str | Keep | None = Keep.KEEP,
        enabled: bool | None = None,
        pickup_group: str | None = None,
        caller_id: dict | None = None,
    ) -> dict:
        """The changes ``update`` would save, checked, nothing saved: every
        field refused is refused at once (``InvalidFields``)."""
        refusals = Refusals()
        changes: dict = {}
        if display_name is not None:
            changes["display_name"] = refusals.check(rules.display_name, display_name)
        if email is not Keep.KEEP:
            changes["email"] = refusals.check(rules.email, email)
        if enabled is not None:
            changes["enabled"] = refusals.check(_enabled, enabled)
        if pickup_group is not None:
            changes["pickup_group"] = refusals.check(_pickup_group, pickup_group)
        changes |= _check_caller_id(refusals, caller_id or {})
        refusals.raise_any()
        return changes

    def set_withhold_number(self, number: str, withhold: bool) -> ExtensionInfo:
        """An extension's user withholds their number on outside calls, or
        shows it again; anyone else needs to change extensions."""
        if self.actor.extension is None or self.actor.extension != number:
            self.actor.require(Permission.CHANGE_EXTENSIONS)
        changes = {"withhold_number": _withhold_number(withhold)}
        return self._save(number, changes)[0]

    def change_profile(
        self, number: str, *, display_name: str, email: str | None
    ) -> ExtensionInfo:
        """An extension's user changes their own name and e-mail address.

        The name is what their phones show and send on calls; an empty
        e-mail address clears it. Anyone else needs to change extensions.
        """
        if self.actor.extension is None or self.actor.extension != number:
            self.actor.require(Permission.CHANGE_EXTENSIONS)
        changes = {
            "display_name": rules.display_name(display_name),
            "email": rules.email(email),
        }
        return self._save(number, changes)[0]

    def _save(self, number: str, changes: dict) -> tuple[ExtensionInfo, dict]:
        """Write checked changes and audit them, in one transaction.

        Returns:
            The extension as it is now, and the fields that changed.
        """
        with database.atomic():
            row = self._row(number)
            before = ExtensionInfo.of(row)
            # A field given its present value is no change, and not audited.
            changes = {k: v for k, v in changes.items() if getattr(row, k) != v}
            if "email" in changes:
                emails.require_free(changes["email"], self.actor, besides=row.number)
            for name, value in changes.items():
                setattr(row, name, value)
            if changes:
                row.updated_at = utcnow()
                row.save()
            after = ExtensionInfo.of(row)
            if changes:
                audit.record(
                    self.actor,
                    "update",
                    "extension",
                    row.number,
                    _shown(before),
                    _shown(after),
                )
        return after, changes

    def remove(self, number: str) -> list[dict]:
        """Remove the extension; return the phone lines and BLF keys it was
        on, which go with it: ``{"mac", "line"}`` for a line (that phone stops
        registering it), ``{"mac", "key", "label"}`` for a BLF key (cleared,
        so a new owner of the number does not inherit its label). Each phone
        concerned gets a new configuration version and fetches its file again.
        """
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        with database.atomic():
            row = self._row(number)
            references.refuse_if_used(row.number)
            before = ExtensionInfo.of(row)
            lines = [
                {"mac": line.phone.mac, "line": line.line}
                for line in PhoneLine.select(PhoneLine, Phone)
                .join(Phone)
                .where(PhoneLine.extension == row)
                .order_by(Phone.mac, PhoneLine.line)
            ]
            blf_keys = list(
                PhoneKey.select(PhoneKey, Phone)
                .join(Phone)
                .where((PhoneKey.kind == "blf") & (PhoneKey.target == row.number))
                .order_by(Phone.mac, PhoneKey.position)
            )
            keys = [
                {"mac": key.phone.mac, "key": key.position, "label": key.label}
                for key in blf_keys
            ]
            row.delete_instance()
            PhoneKey.delete().where(
                PhoneKey.id.in_([key.id for key in blf_keys])
            ).execute()
            phones = {entry["mac"] for entry in lines + keys}
            Phone.update(config_version=Phone.config_version + 1).where(
                Phone.mac.in_(phones)
            ).execute()
            shown = _shown(before)
            if lines:
                shown["phone_lines"] = lines
            if keys:
                shown["phone_keys"] = keys
            audit.record(self.actor, "delete", "extension", row.number, shown)
        self._sign_out_phones(row.number)
        self._forget_voicemail(row.number)
        return lines + keys

    def set_password(self, number: str, password: str | None = None) -> str | None:
        """Change the SIP password; return it when the PBX generated it."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        row = self._row(number)
        generated = None
        if password is None:
            password = generated = rules.generate_password(row.number)
        else:
            rules.password(password, row.number)
        with database.atomic():
            self._set_credentials(row, password)
            row.updated_at = utcnow()
            row.save()
            audit.record(
                self.actor,
                "set-password",
                "extension",
                row.number,
                None,
                {"password": "changed"},
            )
        # Whoever had the old password, a stolen one included, is out now;
        # phones given the new one register again at once.
        self._sign_out_phones(row.number)
        return generated

    def sip_password(self, number: str) -> str:
        """The plaintext SIP password, for writing a phone's configuration."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        row = self._row(number)
        return self.key.open(row.sip_password, _purpose(row.number))

    def rehash_all(self, realm: str) -> int:
        """Recompute every HA1 for a new realm; return how many changed."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        with database.atomic():
            system_settings.put(system_settings.SIP_REALM, realm)
            rows = list(Extension.select())
            for row in rows:
                password = self.key.open(row.sip_password, _purpose(row.number))
                row.ha1 = digest.ha1(row.number, realm, password)
                row.ha1b = digest.ha1b(row.number, realm, realm, password)
                row.save()
        return len(rows)

    def _row(self, number: str) -> Extension:
        row = Extension.get_or_none(Extension.number == number)
        if row is None or not self.actor.sees_extension(row.number):
            raise no_such_extension(number)
        return row

    def _set_credentials(self, row: Extension, password: str) -> None:
        realm = self.realm
        row.sip_password = self.key.seal(password, _purpose(row.number))
        row.ha1 = digest.ha1(row.number, realm, password)
        row.ha1b = digest.ha1b(row.number, realm, realm, password)


def _shown(info: ExtensionInfo) -> dict:
    """What the audit log keeps of an extension: what people see."""
    values = info.to_dict()
    values.pop("created_at")
    values.pop("updated_at")
    return values


def sql_ordering(sort: str, descending: bool) -> list:
    """ORDER BY terms for a sort key; the number breaks ties, so pages are stable."""
    column = {
        "number": Extension.number.cast("INTEGER"),
        "display_name": Extension.display_name.collate("NOCASE"),
        "email": Extension.email,
        "created_at": Extension.created_at,
    }[sort]
    tiebreak = Extension.number.cast("INTEGER")
    if descending:
        return [column.desc(), tiebreak.desc()]
    return [column.asc(), tiebreak.asc()]


#: Columns of an extension import file; a missing password is generated.
CSV_COLUMNS = ("number", "display_name", "email", "password")
CSV_REQUIRED = ("number", "display_name")


def import_csv(service: ExtensionService, text: str) -> list[Created]:
    """Add every extension of a CSV file, or none if any row is wrong."""
    service.actor.require(Permission.CHANGE_EXTENSIONS)
    rows = csvimport.read_rows(text, CSV_COLUMNS, CSV_REQUIRED)

    def check(row: dict[str, str], seen: set) -> dict:
        number = rules.number(row.get("number", ""))
        service._require_in_scope(number)
        rules.display_name(row.get("display_name", ""))
        email = rules.email(row.get("email") or None)
        if row.get("password"):
            rules.password(row["password"], number)
        numbering.refuse_taken("extension", number, "extension")
        if number in seen:
            raise AlreadyExists(
                f'extension "{number}": twice in the file', field="extension"
            )
        if email is not None:
            if ("email", email.casefold()) in seen:
                raise InvalidInput("email", email, "twice in the file")
            emails.require_free(email, service.actor)
            seen.add(("email", email.casefold()))
        if Extension.select().where(Extension.number == number).exists():
            raise AlreadyExists(
                f'extension "{number}": already exists', field="extension"
            )
        seen.add(number)
        return row

    def write(row: dict) -> Created:
        return service.add(
            row["number"],
            row["display_name"],
            email=row.get("email") or None,
            password=row.get("password") or None,
        )

    return csvimport.import_all(rows, check, write)


def _check_caller_id(refusals: Refusals, given: dict) -> dict:
    """The caller ID fields given, checked: a field unknown is refused by
    name; each one refused is added to refusals."""
    checked = {}
    for field, value in given.items():
        rule = CALLER_ID_FIELDS.get(field)
        if rule is None:
            refusals.found.append(InvalidInput(field, None, "no such caller ID field"))
            continue
        checked[field] = refusals.check(rule, value)
    return checked


def _true_or_false(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(field, value, "true or false")
    return value


_withhold_number = functools.partial(_true_or_false, "withhold_number")
_enabled = functools.partial(_true_or_false, "enabled")


#: The caller ID fields of an extension, each with its rule.
CALLER_ID_FIELDS = {
    "outside_cid_number": rules.outside_cid_number,
    "outside_cid_name": functools.partial(rules.caller_id_name, "outside_cid_name"),
    "internal_cid_name": functools.partial(rules.caller_id_name, "internal_cid_name"),
    "withhold_number": _withhold_number,
}


def _pickup_group(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput("pickup group", value, "a name or empty")
    return rules.pickup_group(value)
