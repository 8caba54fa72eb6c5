"""Remote phonebooks in each vendor's XML format.

A phone's phonebook is fetched as ``<mac>-phonebook.xml`` (Poly phones ask
for ``<mac>-directory.xml`` by themselves; Grandstream phones for
``<mac>/phonebook.xml``, see below) and lists what the extension on the
phone's first line may see: the other extensions of the PBX, then the
company phonebooks and the personal contacts visible to that extension.
Where those entries come from is a function of the extension number
(``EntrySource``); the renderers know nothing else.

Formats, from the vendors' XML references:

- Yealink, Snom, Cisco, Fanvil: a directory object (``YealinkIPPhoneDirectory``,
  ``SnomIPPhoneDirectory``, ``CiscoIPPhoneDirectory``,
  ``FanvilIPPhoneDirectory``) of ``DirectoryEntry`` elements with ``Name`` and
  ``Telephone``; Cisco's and Fanvil's with a ``Title`` and ``Prompt``.
  Fanvil's object name is the least certain here.
- Grandstream: ``<AddressBook>`` of ``<Contact>`` with ``FirstName``,
  ``LastName`` and ``<Phone><phonenumber>…<accountindex>0…</Phone>``.
- Poly: ``<directory><item_list>`` of ``<item>`` with ``fn``, ``ln`` and
  ``ct`` (the number), the phone's contact directory file.

Cisco phones show at most 32 entries of one directory object; longer
phonebooks are cut there, with the extensions first.

A Grandstream phone is given a server path (P331, "host/path"), not a
file, and asks for ``phonebook.xml`` under it: public integrations serve
it so (FusionPBX's Grandstream templates set P331 to a per-phone path and
rewrite ``<path>/phonebook.xml`` to that phone's phonebook; other public
templates write P331 as their phonebook URL without ``/phonebook.xml``).
Each phone's path is its own (``/prov/<mac>``), so the phone asks for
``/prov/<mac>/phonebook.xml``, the one name in the tree with a ``/`` in it
(``GRANDSTREAM_FILE_NAME``), under the same credentials as its other files.
Known shortcoming: no Grandstream guide found says in so many words which
name the firmware appends, nor whether it does the same over TFTP.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from agent.db.models import Extension
from agent.provisioning.vendors import grandstream
from agent.provisioning.vendors.xml_file import to_bytes

TITLE = "Company"
CISCO_MAX_ENTRIES = 32
#: A Grandstream phone's phonebook: under a path of its own, so a ``/``.
GRANDSTREAM_FILE_NAME = re.compile(r"[0-9a-f]{12}/phonebook\.xml", re.IGNORECASE)
# What a phone asks for; Poly names its contact directory file itself.
FILE_NAME = re.compile(
    r"(?P<mac>[0-9a-f]{12})(?:-phonebook\.xml|-directory\.xml|/phonebook\.xml)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PhonebookEntry:
    name: str
    number: str
    company: str = ""


EntrySource = Callable[[str], list[PhonebookEntry]]


def extension_directory(number: str) -> list[PhonebookEntry]:
    """Every enabled extension but the asker's own."""
    query = (
        Extension.select()
        .where(Extension.enabled == True, Extension.number != number)  # noqa: E712
        .order_by(Extension.number)
    )
    return [PhonebookEntry(row.display_name, row.number) for row in query]


def _contacts_source() -> EntrySource | None:
    """The contacts service's entries for an extension, where it exists."""
    try:
        from agent.contacts.service import visible_to_extension
    except ImportError:
        return None

    def entries(number: str) -> list[PhonebookEntry]:
        return [
            PhonebookEntry(c.name, c.number, c.company or "")
            for c in visible_to_extension(number)
        ]

    return entries


def default_source(number: str) -> list[PhonebookEntry]:
    """The extensions, then the contacts visible to the extension."""
    entries = extension_directory(number)
    contacts = _contacts_source()
    if contacts is not None:
        entries += contacts(number)
    return entries


def _directory(root_tag: str, entries: list[PhonebookEntry], titled: bool) -> bytes:
    root = ET.Element(root_tag)
    if titled:
        ET.SubElement(root, "Title").text = TITLE
        ET.SubElement(root, "Prompt").text = "Choose a number"
    for entry in entries:
        item = ET.SubElement(root, "DirectoryEntry")
        ET.SubElement(item, "Name").text = _shown_name(entry)
        ET.SubElement(item, "Telephone").text = entry.number
    return to_bytes(root)


def _shown_name(entry: PhonebookEntry) -> str:
    return f"{entry.name} ({entry.company})" if entry.company else entry.name


def _split(name: str) -> tuple[str, str]:
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else (name, "")


def render_grandstream(entries: list[PhonebookEntry]) -> bytes:
    root = ET.Element("AddressBook")
    for entry in entries:
        contact = ET.SubElement(root, "Contact")
        first, last = _split(entry.name)
        ET.SubElement(contact, "LastName").text = last
        ET.SubElement(contact, "FirstName").text = first
        if entry.company:
            ET.SubElement(contact, "Company").text = entry.company
        phone = ET.SubElement(contact, "Phone")
        ET.SubElement(phone, "phonenumber").text = entry.number
        ET.SubElement(phone, "accountindex").text = "0"
    return to_bytes(root)


def render_polycom(entries: list[PhonebookEntry]) -> bytes:
    root = ET.Element("directory")
    items = ET.SubElement(root, "item_list")
    for entry in entries:
        item = ET.SubElement(items, "item")
        first, last = _split(entry.name)
        ET.SubElement(item, "fn").text = first
        ET.SubElement(item, "ln").text = last
        ET.SubElement(item, "ct").text = entry.number
    return to_bytes(root)


RENDERERS: dict[str, Callable[[list[PhonebookEntry]], bytes]] = {
    "yealink": lambda e: _directory("YealinkIPPhoneDirectory", e, False),
    "snom": lambda e: _directory("SnomIPPhoneDirectory", e, True),
    "cisco": lambda e: _directory("CiscoIPPhoneDirectory", e[:CISCO_MAX_ENTRIES], True),
    "fanvil": lambda e: _directory("FanvilIPPhoneDirectory", e, True),
    "grandstream": render_grandstream,
    "polycom": render_polycom,
}


def file_name(vendor: str, mac: str) -> str:
    """The name a phone of ``vendor`` asks for its phonebook by."""
    if vendor == "grandstream":
        return f"{mac}/{grandstream.PHONEBOOK_FILE}"
    kind = "directory" if vendor == "polycom" else "phonebook"
    return f"{mac}-{kind}.xml"


def url(vendor: str, mac: str, http_base: str) -> str | None:
    """The phonebook URL a phone file names; None for Poly, whose phones
    ask for their contact directory file by themselves."""
    if vendor == "polycom":
        return None
    return f"{http_base}{file_name(vendor, mac)}"


def render(vendor: str, number: str | None, source: EntrySource) -> bytes:
    """The phonebook of the extension ``number`` in the vendor's format."""
    entries = source(number) if number else []
    return RENDERERS[vendor](entries)
