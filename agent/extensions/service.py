"""The extension service: the one place that adds, changes and lists them.

The CLI, the REST API and the web pages all call these functions. Each one
validates everything before it writes anything, and writes in a single
transaction, so a refused request leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import peewee

from agent import system_settings
from agent.db import database
from agent.db.models import Extension, utcnow
from agent.devicekey import DeviceKey
from agent.errors import AlreadyExists, NotFound
from agent.extensions import rules
from agent.sip import digest


@dataclass(frozen=True)
class ExtensionInfo:
    """An extension as shown to people: never a password or a hash."""

    number: str
    display_name: str
    email: str | None
    enabled: bool
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, row: Extension) -> ExtensionInfo:
        return cls(
            number=row.number,
            display_name=row.display_name,
            email=row.email,
            enabled=bool(row.enabled),
            created_at=_iso(row.created_at),
            updated_at=_iso(row.updated_at or row.created_at),
        )

    def to_dict(self) -> dict:
        return asdict(self)


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
    def __init__(self, key: DeviceKey) -> None:
        self.key = key

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
    ) -> Created:
        number = rules.number(number)
        display_name = rules.display_name(display_name)
        email = rules.email(email)
        generated = None
        if password is None:
            password = generated = rules.generate_password(number)
        else:
            rules.password(password, number)

        row = Extension(number=number, display_name=display_name, email=email)
        self._set_credentials(row, password)
        with database.atomic():
            if Extension.select().where(Extension.number == number).exists():
                raise AlreadyExists(
                    f'extension "{number}": already exists', field="extension"
                )
            try:
                row.save(force_insert=True)
            except peewee.IntegrityError:
                raise AlreadyExists(
                    f'extension "{number}": already exists', field="extension"
                ) from None
        return Created(ExtensionInfo.of(row), generated)

    def list(self) -> list[ExtensionInfo]:
        query = Extension.select().order_by(Extension.number.cast("INTEGER"))
        return [ExtensionInfo.of(row) for row in query]

    def get(self, number: str) -> ExtensionInfo:
        return ExtensionInfo.of(self._row(number))

    def remove(self, number: str) -> None:
        with database.atomic():
            row = self._row(number)
            row.delete_instance()

    def set_password(self, number: str, password: str | None = None) -> str | None:
        """Change the SIP password; return it when the PBX generated it."""
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
        return generated

    def sip_password(self, number: str) -> str:
        """The plaintext SIP password, for writing a phone's configuration."""
        row = self._row(number)
        return self.key.open(row.sip_password, _purpose(row.number))

    def rehash_all(self, realm: str) -> int:
        """Recompute every HA1 for a new realm; return how many changed."""
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
        if row is None:
            raise NotFound(
                f'extension "{number}": no such extension', field="extension"
            )
        return row

    def _set_credentials(self, row: Extension, password: str) -> None:
        realm = self.realm
        row.sip_password = self.key.seal(password, _purpose(row.number))
        row.ha1 = digest.ha1(row.number, realm, password)
        row.ha1b = digest.ha1b(row.number, realm, realm, password)
