"""Remote phonebooks: each vendor's XML, parsed and compared with golden
files, and served to a phone under /prov/ with what its extension may see."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from agent.provisioning import phonebook
from agent.provisioning.phonebook import PhonebookEntry
from tests.test_provisioning_files import grandstream_values, parse_yealink

GOLDEN = Path(__file__).with_name("golden")
ENTRIES = [
    PhonebookEntry("Front desk", "101"),
    PhonebookEntry("Anna Schmidt", "+4930123456", "Acme & Söhne"),
]


def directory(content: bytes, tag: str) -> list[tuple[str, str]]:
    root = ET.fromstring(content)
    assert root.tag == tag
    return [
        (e.findtext("Name"), e.findtext("Telephone"))
        for e in root.iter("DirectoryEntry")
    ]


@pytest.mark.parametrize(
    ("vendor", "tag"),
    [
        ("yealink", "YealinkIPPhoneDirectory"),
        ("snom", "SnomIPPhoneDirectory"),
        ("cisco", "CiscoIPPhoneDirectory"),
        ("fanvil", "FanvilIPPhoneDirectory"),
    ],
)
def test_directory_objects_list_each_entry_with_its_number(vendor, tag):
    content = phonebook.RENDERERS[vendor](ENTRIES)

    assert directory(content, tag) == [
        ("Front desk", "101"),
        ("Anna Schmidt (Acme & Söhne)", "+4930123456"),
    ]


def test_grandstream_address_book_splits_first_and_last_names():
    root = ET.fromstring(phonebook.render_grandstream(ENTRIES))
    contacts = root.findall("Contact")

    assert root.tag == "AddressBook"
    assert contacts[1].findtext("FirstName") == "Anna"
    assert contacts[1].findtext("LastName") == "Schmidt"
    assert contacts[1].findtext("Phone/phonenumber") == "+4930123456"
    assert contacts[1].findtext("Company") == "Acme & Söhne"


def test_poly_contact_directory_has_items_with_their_numbers():
    root = ET.fromstring(phonebook.render_polycom(ENTRIES))
    items = root.findall("item_list/item")

    assert [(i.findtext("fn"), i.findtext("ct")) for i in items] == [
        ("Front", "101"),
        ("Anna", "+4930123456"),
    ]


def test_cisco_directories_stop_at_32_entries():
    many = [PhonebookEntry(f"Person {n}", str(200 + n)) for n in range(40)]
    assert (
        len(directory(phonebook.RENDERERS["cisco"](many), "CiscoIPPhoneDirectory"))
        == 32
    )


@pytest.mark.parametrize("vendor", sorted(phonebook.RENDERERS))
def test_phonebooks_match_their_golden_files(vendor):
    path = GOLDEN / f"phonebook-{vendor}.xml"
    content = phonebook.RENDERERS[vendor](ENTRIES)
    if os.environ.get("EDGEPBX_WRITE_GOLDEN") == "1":
        path.write_bytes(content)
    assert content == path.read_bytes()


@pytest.fixture
def office(pbx_data):
    for number, name in (("101", "Front desk"), ("102", "Office"), ("103", "Lab")):
        pbx_data.add_extension(number, name)
    assert pbx_data.add_phone("805ec0aabbcc", "101").returncode == 0
    assert (
        pbx_data.add_phone(
            "805ec0aabbdd", "102", vendor="polycom", model="VVX450"
        ).returncode
        == 0
    )
    return pbx_data


def test_a_phone_is_sent_its_phonebook_url_and_the_phonebook_lists_the_others(office):
    config = parse_yealink(
        office.cli("phone", "file", "805ec0aabbcc.cfg").stdout.encode()
    )
    book = office.cli("phone", "file", "805ec0aabbcc-phonebook.xml").stdout.encode()

    assert config["remote_phonebook.data.1.url"].endswith(
        "/prov/805ec0aabbcc-phonebook.xml"
    )
    assert directory(book, "YealinkIPPhoneDirectory")[:2] == [
        ("Office", "102"),
        ("Lab", "103"),
    ]
    assert ("Front desk", "101") not in directory(book, "YealinkIPPhoneDirectory")


def test_a_poly_phone_gets_its_contact_directory_under_its_own_name(office):
    book = office.cli("phone", "file", "805ec0aabbdd-directory.xml")
    wrong = office.cli("phone", "file", "805ec0aabbdd-phonebook.xml")

    assert book.returncode == 0
    assert "<ct>101</ct>" in book.stdout
    assert wrong.returncode != 0


def test_a_grandstream_phone_finds_its_phonebook_under_the_path_it_is_given(office):
    added = office.add_phone(
        "000b82aabbcc", "103", vendor="grandstream", model="GXP2170"
    )
    config = grandstream_values(
        office.cli("phone", "file", "cfg000b82aabbcc.xml").stdout.encode()
    )
    # The phone appends phonebook.xml to P331, a "host:port/path".
    asked = config["P331"].partition("/")[2] + "/phonebook.xml"
    book = office.cli("phone", "file", asked.removeprefix("prov/"))

    assert added.returncode == 0, added.stderr
    assert asked == "prov/000b82aabbcc/phonebook.xml"
    assert book.returncode == 0, book.stderr
    numbers = [e.text for e in ET.fromstring(book.stdout).iter("phonenumber")]
    assert numbers == ["101", "102"]


def test_company_contacts_visible_to_the_extension_are_in_its_phonebook(office):
    office.cli("phonebook", "add", "Suppliers")
    office.cli("phonebook", "add", "Branch", "--visible-to", "300-399")
    office.cli(
        "contact", "import", "Suppliers", "-",
        stdin="name,company,number,email\nAnna Schmidt,Acme,+4930123456,\n",
    )  # fmt: skip
    office.cli(
        "contact", "import", "Branch", "-",
        stdin="name,company,number,email\nBranch Only,,+4940111,\n",
    )  # fmt: skip
    book = office.cli("phone", "file", "805ec0aabbcc-phonebook.xml").stdout.encode()
    listed = directory(book, "YealinkIPPhoneDirectory")

    assert ("Anna Schmidt (Acme)", "+4930123456") in listed
    assert all(number != "+4940111" for _, number in listed)


def test_one_imported_contact_is_counted_as_one_contact(pbx_data):
    pbx_data.cli("phonebook", "add", "Suppliers")

    imported = pbx_data.cli(
        "contact", "import", "Suppliers", "-",
        stdin="name,company,number,email\nAnna Schmidt,Acme,+4930123456,\n",
    )  # fmt: skip
    listed = pbx_data.cli("phonebook", "list")

    assert imported.stdout.strip() == "1 contact imported into Suppliers"
    assert re.search(r"^Suppliers +1 contact +visible to", listed.stdout, re.M)
