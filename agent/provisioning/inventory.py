"""The phone inventory: the one place that adds, lists and removes phones.

The CLI, the REST API and the web pages call these functions, as a
principal whose role is checked first. Phones are managed by whoever may
change extensions, since a phone line is an extension's SIP password handed
to a device. Every change is validated whole before anything is written,
and written in one transaction with its audit entry.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import asdict, dataclass

import peewee

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import Extension, Phone, PhoneLine, utcnow
from agent.devicekey import DeviceKey
from agent.errors import (
    AlreadyExists,
    InvalidInput,
    PbxError,
    no_such_extension,
)
from agent.extensions.service import ExtensionService
from agent.provisioning import rules
from agent.provisioning.firmware import firmware_url
from agent.provisioning.keys import (
    find_phone,
    profile_keys,
    profile_overrides,
    sees_phone,
)
from agent.provisioning.phonebook import url as phonebook_url
from agent.provisioning.profile import LineAccount, PhoneProfile, SiteProfile
from agent.provisioning.seen_table import SeenPhone
from agent.provisioning.vendors import vendor as vendor_named

#: Columns of an import file, in this order, with a header row.
CSV_COLUMNS = ("mac", "vendor", "model", "extension")
# A bigger office than this is several appliances; the limit keeps a wrong
# file from holding the database lock for long.
CSV_MAX_ROWS = 2000
# Several extensions on one phone are written "101 102" in one cell.
CSV_EXTENSION_SEPARATOR = " "


@dataclass(frozen=True)
class PhoneInfo:
    """A phone as shown to people: never its admin password."""

    mac: str
    vendor: str
    model: str
    extensions: list[str]
    config_version: int
    created_at: str
    last_request_at: str | None
    last_request_ip: str | None
    last_request_file: str | None
    last_user_agent: str | None

    @classmethod
    def of(cls, row: Phone) -> PhoneInfo:
        lines = (
            PhoneLine.select(PhoneLine, Extension)
            .join(Extension)
            .where(PhoneLine.phone == row)
            .order_by(PhoneLine.line)
        )
        return cls(
            mac=row.mac,
            vendor=row.vendor,
            model=row.model,
            extensions=[line.extension.number for line in lines],
            config_version=row.config_version,
            created_at=_iso(row.created_at),
            last_request_at=_iso(row.last_request_at) if row.last_request_at else None,
            last_request_ip=row.last_request_ip,
            last_request_file=row.last_request_file,
            last_user_agent=row.last_user_agent,
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class NewPhone:
    """A phone to add, validated: what one CLI call or CSV row asks for."""

    mac: str
    vendor: str
    model: str
    extensions: tuple[str, ...]


class ImportRefused(PbxError):
    """An import file with wrong rows; nothing of it was imported."""

    kind = "import-refused"

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        shown = "; ".join(f"row {row}: {message}" for row, message in errors)
        super().__init__(f"nothing imported: {shown}", field="csv")
        self.errors = errors


def _iso(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.replace(tzinfo=dt.UTC).isoformat()


def _purpose(mac: str) -> str:
    return f"phone/{mac}/admin_password"


class PhoneService:
    def __init__(self, key: DeviceKey, actor: Principal) -> None:
        self.key = key
        self.actor = actor

    # -- changes ----------------------------------------------------------------

    def add(
        self, mac: str, vendor: str, model: str, extensions: list[str]
    ) -> PhoneInfo:
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        new = self.validate(mac, vendor, model, extensions)
        with database.atomic():
            return self._insert(new)

    def import_csv(self, text: str) -> list[PhoneInfo]:
        """Add every phone of a CSV file, or none if any row is wrong.

        Rows are checked one by one against the rules, the database and the
        rows before them; every wrong row is reported, by its line number.
        """
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        rows = self._csv_rows(text)
        errors: list[tuple[int, str]] = []
        phones: list[NewPhone] = []
        seen: dict[str, int] = {}
        for number, row in rows:
            try:
                new = self.validate(
                    row.get("mac", ""),
                    row.get("vendor", ""),
                    row.get("model", ""),
                    (row.get("extension") or "").split(CSV_EXTENSION_SEPARATOR),
                )
                if new.mac in seen:
                    raise AlreadyExists(
                        f'phone "{new.mac}": also on row {seen[new.mac]}', field="mac"
                    )
                seen[new.mac] = number
                phones.append(new)
            except PbxError as exc:
                errors.append((number, str(exc)))
        if errors:
            raise ImportRefused(errors)
        with database.atomic():
            return [self._insert(new) for new in phones]

    def remove(self, mac: str) -> None:
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        with database.atomic():
            row = find_phone(mac, self.actor)
            before = PhoneInfo.of(row)
            row.delete_instance(recursive=True)
            audit.record(self.actor, "delete", "phone", row.mac, _shown(before))

    # -- reading -----------------------------------------------------------------

    def list(self) -> list[PhoneInfo]:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        return [
            PhoneInfo.of(row)
            for row in Phone.select().order_by(Phone.mac)
            if sees_phone(self.actor, row)
        ]

    def get(self, mac: str) -> PhoneInfo:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        return PhoneInfo.of(find_phone(mac, self.actor))

    def admin_password(self, mac: str) -> str:
        """The phone's own web page password, for the installer at the desk."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        row = find_phone(mac, self.actor)
        return self.key.open(row.admin_password, _purpose(row.mac))

    def profile(self, mac: str, site: SiteProfile) -> PhoneProfile:
        """Everything the phone's MAC file says, passwords in clear."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        row = find_phone(mac, self.actor)
        extensions = ExtensionService(self.key, self.actor)
        lines = (
            PhoneLine.select(PhoneLine, Extension)
            .join(Extension)
            .where(PhoneLine.phone == row, Extension.enabled == True)  # noqa: E712
            .order_by(PhoneLine.line)
        )
        accounts = tuple(
            LineAccount(
                line=line.line,
                number=line.extension.number,
                display_name=line.extension.display_name,
                password=extensions.sip_password(line.extension.number),
            )
            for line in lines
        )
        return PhoneProfile(
            mac=row.mac,
            vendor=row.vendor,
            model=row.model,
            admin_password=self.key.open(row.admin_password, _purpose(row.mac)),
            lines=accounts,
            site=site,
            keys=profile_keys(row),
            overrides=profile_overrides(row),
            firmware_url=(
                firmware_url(row.vendor, row.model, site.http_base)
                if site.http_base
                else None
            ),
            phonebook_url=(
                phonebook_url(row.vendor, row.mac, site.http_base)
                if site.http_base
                else None
            ),
        )

    def record_request(
        self, mac: str, source_ip: str, file_name: str, user_agent: str | None
    ) -> None:
        """Note what the phone fetched last; a phone not in the list is ignored."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        Phone.update(
            last_request_at=utcnow(),
            last_request_ip=source_ip[:45],
            last_request_file=file_name[:128],
            last_user_agent=(user_agent or None) and user_agent[:256],
        ).where(Phone.mac == mac).execute()

    # -- steps ---------------------------------------------------------------------

    def validate(
        self, mac: str, vendor: str, model: str, extensions: list[str]
    ) -> NewPhone:
        """Check one phone against the rules and the database; write nothing."""
        mac = rules.mac(mac)
        maker = vendor_named(vendor)
        model = maker.check_model(rules.model(model))
        numbers = tuple(n.strip() for n in extensions if n and n.strip())
        if not numbers:
            raise InvalidInput("extension", None, "at least one extension per phone")
        most = min(rules.MAX_LINES, maker.lines_for(model))
        if len(numbers) > most:
            raise InvalidInput(
                "extension",
                " ".join(numbers),
                maker.lines_rule(model, most),
            )
        if len(set(numbers)) != len(numbers):
            raise InvalidInput("extension", " ".join(numbers), "each extension once")
        for number in numbers:
            if not self.actor.sees_extension(number) or not (
                Extension.select().where(Extension.number == number).exists()
            ):
                raise no_such_extension(number)
        if Phone.select().where(Phone.mac == mac).exists():
            raise AlreadyExists(f'phone "{mac}": already in the list', field="mac")
        return NewPhone(mac, maker.name, model, numbers)

    def _insert(self, new: NewPhone) -> PhoneInfo:
        password = rules.generate_admin_password()
        now = utcnow()
        row = Phone(
            mac=new.mac,
            vendor=new.vendor,
            model=new.model,
            admin_password=self.key.seal(password, _purpose(new.mac)),
            created_at=now,
            updated_at=now,
        )
        try:
            row.save(force_insert=True)
        except peewee.IntegrityError:
            raise AlreadyExists(
                f'phone "{new.mac}": already in the list', field="mac"
            ) from None
        for line, number in enumerate(new.extensions, start=1):
            extension = Extension.get(Extension.number == number)
            PhoneLine.create(phone=row, line=line, extension=extension)
        # A phone in the inventory is no longer "seen, not assigned".
        SeenPhone.delete().where(SeenPhone.mac == new.mac).execute()
        info = PhoneInfo.of(row)
        audit.record(self.actor, "create", "phone", new.mac, None, _shown(info))
        return info

    def _csv_rows(self, text: str) -> list[tuple[int, dict[str, str]]]:
        try:
            return self._read_csv_rows(text)
        except csv.Error as exc:
            raise InvalidInput("csv", None, f"not CSV: {exc}") from None

    def _read_csv_rows(self, text: str) -> list[tuple[int, dict[str, str]]]:
        reader = csv.DictReader(io.StringIO(text))
        header = [name.strip().lower() for name in reader.fieldnames or []]
        if tuple(header) != CSV_COLUMNS:
            raise InvalidInput(
                "csv", ",".join(header), "a header row: " + ",".join(CSV_COLUMNS)
            )
        reader.fieldnames = header
        rows = []
        for row in reader:
            if reader.line_num - 1 > CSV_MAX_ROWS:
                raise InvalidInput("csv", None, f"at most {CSV_MAX_ROWS} rows")
            clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
            rows.append((reader.line_num, clean))
        if not rows:
            raise InvalidInput("csv", None, "no phones in the file")
        return rows


def _shown(info: PhoneInfo) -> dict:
    values = info.to_dict()
    for name in list(values):
        if name.startswith("last_") or name == "created_at":
            values.pop(name)
    return values
