"""Contacts: company phonebooks with per-extension visibility, and personal
contacts of one extension's user.

A phonebook is visible to every extension, or only to the extensions whose
numbers fall in its ``visible_to`` ranges ("100-199,300"): a branch office's
suppliers need not crowd the headquarters' phones. ``visible_to_extension``
is what a phone's remote phonebook shows: the phonebooks it may see and the
contacts of its own user.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import peewee

from agent import audit, csvimport
from agent.accounts.roles import NumberRanges, Permission, Principal
from agent.db import database
from agent.db.models import Contact, Extension, Phonebook
from agent.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    no_such_extension,
)
from agent.extensions import rules as extension_rules

NAME_MAX = 64
NUMBER_MAX = 32
SEARCH_MAX = 64
# Spaces, dashes, dots and brackets are how people write numbers, not digits.
_NUMBER_SEPARATORS = re.compile(r"[\s\-.()/]")
_DIALABLE = re.compile(r"\+?[0-9*#]+")
CSV_COLUMNS = ("name", "company", "number", "email")
CSV_REQUIRED = ("name", "number")


@dataclass(frozen=True)
class ContactInfo:
    id: int
    name: str
    company: str
    number: str
    email: str | None
    phonebook: str | None
    owner: str | None

    @classmethod
    def of(cls, row: Contact) -> ContactInfo:
        return cls(
            id=row.id,
            name=row.name,
            company=row.company,
            number=row.number,
            email=row.email,
            phonebook=row.phonebook.name if row.phonebook_id else None,
            owner=row.owner.number if row.owner_id else None,
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PhonebookInfo:
    name: str
    visible_to: str | None
    contacts: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class NewContact:
    name: str
    company: str
    number: str
    email: str | None


# -- rules ------------------------------------------------------------------------


def name_rule(value: str, field: str = "name") -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(field, None, "must not be empty")
    if len(value) > NAME_MAX or not value.isprintable():
        raise InvalidInput(field, value, f"at most {NAME_MAX} printable characters")
    return value


def number_rule(value: str) -> str:
    """A dialable number: digits, * and #, a leading + for international."""
    raw = (value or "").strip()
    number = _NUMBER_SEPARATORS.sub("", raw)
    if not _DIALABLE.fullmatch(number) or len(number) > NUMBER_MAX:
        raise InvalidInput(
            "number", raw, f"digits, * or # (up to {NUMBER_MAX}), + in front allowed"
        )
    return number


def company_rule(value: str | None) -> str:
    value = (value or "").strip()
    return name_rule(value, "company") if value else ""


def contact_rule(
    name: str, number: str, company: str | None = None, email: str | None = None
) -> NewContact:
    return NewContact(
        name=name_rule(name),
        company=company_rule(company),
        number=number_rule(number),
        email=extension_rules.email(email or None),
    )


def visible_to_rule(value: str | None) -> str | None:
    value = (value or "").strip()
    return str(NumberRanges.parse(value, "visible_to")) if value else None


# -- the service ------------------------------------------------------------------


class ContactService:
    """Contacts as one principal may see and change them."""

    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    # phonebooks

    def phonebooks(self) -> list[PhonebookInfo]:
        self.actor.require(Permission.VIEW_CONTACTS)
        return [_phonebook_info(r) for r in Phonebook.select().order_by(Phonebook.name)]

    def create_phonebook(
        self, name: str, visible_to: str | None = None
    ) -> PhonebookInfo:
        self.actor.require(Permission.CHANGE_CONTACTS)
        name = name_rule(name)
        if "/" in name or "\\" in name:
            # The name is the phonebook's address in the pages and the API.
            raise InvalidInput("name", name, "must not contain / or \\")
        ranges = visible_to_rule(visible_to)
        with database.atomic():
            if Phonebook.select().where(Phonebook.name == name).exists():
                raise AlreadyExists(f'phonebook "{name}": already exists', field="name")
            row = Phonebook.create(name=name, visible_to=ranges)
            audit.record(
                self.actor, "create", "phonebook", name, None, {"visible_to": ranges}
            )
        return _phonebook_info(row)

    def set_visibility(self, name: str, visible_to: str | None) -> PhonebookInfo:
        """Show the phonebook to the given ranges; None or "" for everyone."""
        self.actor.require(Permission.CHANGE_CONTACTS)
        ranges = visible_to_rule(visible_to)
        with database.atomic():
            row = _phonebook(name)
            before = row.visible_to
            if before != ranges:
                row.visible_to = ranges
                row.save()
                audit.record(
                    self.actor,
                    "update",
                    "phonebook",
                    row.name,
                    {"visible_to": before},
                    {"visible_to": ranges},
                )
        return _phonebook_info(row)

    def remove_phonebook(self, name: str) -> None:
        self.actor.require(Permission.CHANGE_CONTACTS)
        with database.atomic():
            row = _phonebook(name)
            before = _phonebook_info(row).to_dict()
            # Its contacts go with it (peewee's recursive delete would
            # instead clear their nullable phonebook column).
            Contact.delete().where(Contact.phonebook == row).execute()
            row.delete_instance()
            audit.record(self.actor, "delete", "phonebook", row.name, before)

    # company contacts

    def contacts(self, phonebook: str, search: str = "") -> list[ContactInfo]:
        self.actor.require(Permission.VIEW_CONTACTS)
        book = _phonebook(phonebook)
        query = _search(_selected().where(Contact.phonebook == book), search)
        return [ContactInfo.of(r) for r in query]

    def add(
        self,
        phonebook: str,
        name: str,
        number: str,
        company: str | None = None,
        email: str | None = None,
    ) -> ContactInfo:
        self.actor.require(Permission.CHANGE_CONTACTS)
        new = contact_rule(name, number, company, email)
        with database.atomic():
            return self._insert(new, phonebook=_phonebook(phonebook))

    def import_csv(self, phonebook: str, text: str) -> list[ContactInfo]:
        """Add every contact of a CSV file to a phonebook, or none."""
        self.actor.require(Permission.CHANGE_CONTACTS)
        book = _phonebook(phonebook)
        return self._import(text, phonebook=book)

    def remove(self, contact_id: int) -> None:
        self.actor.require(Permission.CHANGE_CONTACTS)
        with database.atomic():
            row = Contact.get_or_none(
                (Contact.id == contact_id) & Contact.phonebook.is_null(False)
            )
            if row is None:
                raise NotFound("contact: no such company contact", field="id")
            self._delete(row)

    def visible_to(self, number: str) -> list[ContactInfo]:
        """The company contacts the phones of an extension may show (its
        user's personal contacts are theirs alone)."""
        self.actor.require(Permission.VIEW_CONTACTS)
        if not self.actor.sees_extension(number):
            raise no_such_extension(number)
        return visible_to_extension(number, personal=False)

    # personal contacts of the principal's own extension

    def personal(self, search: str = "") -> list[ContactInfo]:
        owner = self._own_extension()
        query = _search(_selected().where(Contact.owner == owner), search)
        return [ContactInfo.of(r) for r in query]

    def add_personal(
        self,
        name: str,
        number: str,
        company: str | None = None,
        email: str | None = None,
    ) -> ContactInfo:
        owner = self._own_extension()
        new = contact_rule(name, number, company, email)
        with database.atomic():
            return self._insert(new, owner=owner)

    def import_personal_csv(self, text: str) -> list[ContactInfo]:
        return self._import(text, owner=self._own_extension())

    def remove_personal(self, contact_id: int) -> None:
        owner = self._own_extension()
        with database.atomic():
            row = Contact.get_or_none(
                (Contact.id == contact_id) & (Contact.owner == owner)
            )
            if row is None:
                raise NotFound("contact: no such personal contact", field="id")
            self._delete(row)

    # steps

    def _own_extension(self) -> Extension:
        number = self.actor.extension
        row = Extension.get_or_none(Extension.number == number) if number else None
        if row is None:
            raise Forbidden(
                f"{self.actor.name}: personal contacts belong to an extension's user"
            )
        return row

    def _import(self, text: str, **place: object) -> list[ContactInfo]:
        rows = csvimport.read_rows(text, CSV_COLUMNS, CSV_REQUIRED)

        def check(row: dict[str, str], seen: set) -> NewContact:
            return contact_rule(
                row.get("name", ""),
                row.get("number", ""),
                row.get("company"),
                row.get("email"),
            )

        return csvimport.import_all(rows, check, lambda new: self._insert(new, **place))

    def _insert(self, new: NewContact, **place: object) -> ContactInfo:
        row = Contact.create(
            name=new.name,
            company=new.company,
            number=new.number,
            email=new.email,
            **place,
        )
        info = ContactInfo.of(row)
        audit.record(self.actor, "create", "contact", str(row.id), None, _shown(info))
        return info

    def _delete(self, row: Contact) -> None:
        before = ContactInfo.of(row)
        row.delete_instance()
        audit.record(self.actor, "delete", "contact", str(row.id), _shown(before))


def visible_to_extension(number: str, personal: bool = True) -> list[ContactInfo]:
    """Every contact the phones of an extension may show, sorted by name:
    the phonebooks visible to it, then its user's personal contacts.

    For the provisioning server, which turns it into vendors' phonebooks;
    it answers for the appliance itself, so it takes no principal.
    """
    extension = Extension.get_or_none(Extension.number == number)
    if extension is None:
        raise no_such_extension(number)
    books = [
        b.id
        for b in Phonebook.select()
        if b.visible_to is None or number in NumberRanges.parse(b.visible_to)
    ]
    shown = Contact.phonebook.in_(books)
    if personal:
        shown |= Contact.owner == extension.id
    query = _selected().where(shown)
    query = query.order_by(Contact.name.collate("NOCASE"), Contact.id)
    return [ContactInfo.of(r) for r in query]


def _selected() -> peewee.ModelSelect:
    """Contacts with their phonebook and owner, read in the same query."""
    return (
        Contact.select(Contact, Phonebook, Extension)
        .join(Phonebook, peewee.JOIN.LEFT_OUTER)
        .switch(Contact)
        .join(Extension, peewee.JOIN.LEFT_OUTER)
    )


def _phonebook(name: str) -> Phonebook:
    row = Phonebook.get_or_none(Phonebook.name == (name or "").strip())
    if row is None:
        raise NotFound("phonebook: no such phonebook", field="phonebook")
    return row


def _phonebook_info(row: Phonebook) -> PhonebookInfo:
    count = Contact.select().where(Contact.phonebook == row).count()
    return PhonebookInfo(name=row.name, visible_to=row.visible_to, contacts=count)


def _search(query, search: str):
    search = (search or "").strip()
    if len(search) > SEARCH_MAX:
        raise InvalidInput("q", None, f"at most {SEARCH_MAX} characters")
    if search:
        query = query.where(
            Contact.name.contains(search)
            | Contact.company.contains(search)
            | Contact.number.contains(search)
        )
    return query.order_by(Contact.name.collate("NOCASE"), Contact.id)


def _shown(info: ContactInfo) -> dict:
    values = info.to_dict()
    values.pop("id")
    return values
