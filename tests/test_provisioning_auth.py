"""On a running appliance: a phone's keys set over the REST API reach its
file under /prov/, and a phone that must send digest credentials gets its
file only with the right ones (and never over TFTP). A Grandstream phone
finds its phonebook under the server path its own file gives it, under
the same rules."""

from __future__ import annotations

import http.client
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from agent.provisioning.credentials import digest_response, parse_authorization
from agent.provisioning.vendors import vendor as vendor_named
from tests.pbx import RunningPbx
from tests.test_provisioning_files import grandstream_values, parse_yealink
from tests.webclient import api_client

MAC = "805ec0aabbdd"
OTHER = "805ec0aabbee"
GRANDSTREAM = "000b82aabbff"
GRANDSTREAM_AGENT = f"Grandstream Model HW GXP2170 SW 1.0.11.64 DevId {GRANDSTREAM}"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("provauth") / "var").start()
    running.add_extension("101", "Front desk")
    running.add_extension("102", "Office")
    running.add_extension("103", "Lab")
    for mac, number in ((MAC, "101"), (OTHER, "102")):
        added = running.add_phone(mac, number)
        assert added.returncode == 0, added.stderr
    added = running.add_phone(GRANDSTREAM, "103", vendor="grandstream", model="GXP2170")
    assert added.returncode == 0, added.stderr
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(office):
    return api_client(office, "administrator")


def set_mode(admin, mac: str | None, mode: str) -> dict:
    path = (
        f"/api/v1/phones/{mac}/http-auth" if mac else "/api/v1/provisioning/http-auth"
    )
    reply = admin.request("PUT", path, json_body={"mode": mode})
    assert reply.status == 200, reply.body
    return reply.json()


def http_get(pbx, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", pbx.http_port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        reply = connection.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        connection.close()


def fetch_with_digest(
    pbx, path: str, username: str, password: str, headers: dict | None = None
):
    """What a phone does: ask, take the challenge, ask again with it."""
    status, challenge, _ = http_get(pbx, path, headers)
    assert status == 401
    nonce = parse_authorization(challenge["www-authenticate"])["nonce"]
    answer = digest_response(username, password, "GET", path, nonce, "0a4f113b")
    return http_get(pbx, path, {**(headers or {}), "Authorization": answer})


def tftp_get(pbx, name: str, folder: Path) -> bytes | None:
    """The file as tftp-hpa's client gets it, or None if it got nothing."""
    target = folder / name.replace("/", "_")
    target.unlink(missing_ok=True)
    subprocess.run(
        ["tftp", "127.0.0.1", str(pbx.tftp_port), "-c", "get", name, str(target)],
        capture_output=True,
        timeout=30,
        cwd=folder,
    )
    if target.exists() and target.stat().st_size > 0:
        return target.read_bytes()
    return None


def grandstream_phonebook_path(pbx) -> str:
    """What the phone asks for: the server path (P331) in its own file, with
    ``phonebook.xml`` appended; the host and port are this appliance's."""
    status, _, body = http_get(
        pbx, f"/prov/cfg{GRANDSTREAM}.xml", {"User-Agent": GRANDSTREAM_AGENT}
    )
    assert status == 200
    values = grandstream_values(body)
    assert values["P330"] == "1"  # HTTP
    _host, _, path = values["P331"].partition("/")
    return f"/{path}/phonebook.xml"


def address_book(content: bytes) -> list[str]:
    root = ET.fromstring(content)
    assert root.tag == "AddressBook"
    return [number.text for number in root.iter("phonenumber")]


def test_keys_put_over_the_api_are_in_the_phones_file(office, admin):
    saved = admin.request(
        "PUT",
        f"/api/v1/phones/{MAC}/keys",
        json_body=[
            {"position": 1, "kind": "blf", "target": "102"},
            {"position": 2, "kind": "park", "target": "7001"},
        ],
    )
    _, _, body = http_get(office, f"/prov/{MAC}.cfg")
    values = parse_yealink(body)

    assert saved.status == 200
    assert [key["label"] for key in saved.json()] == ["Office", "Park 7001"]
    assert values["linekey.1.value"] == "102"
    assert values["linekey.2.value"] == "7001"


def test_a_wrong_key_over_the_api_is_a_problem_naming_the_field(office, admin):
    before = admin.get(f"/api/v1/phones/{MAC}/keys").json()
    refused = admin.request(
        "PUT",
        f"/api/v1/phones/{MAC}/keys",
        json_body=[{"position": 1, "kind": "blf", "target": "999"}],
    )

    assert refused.status == 422
    assert refused.json()["field"] == "target"
    assert admin.get(f"/api/v1/phones/{MAC}/keys").json() == before


BLF_102 = {"position": 1, "kind": "blf", "target": "102"}
#: The Yealink T54W's keys, as its vendor module writes them.
T54W_KEYS = vendor_named("yealink").keys_for("T54W")
ON_THIS_PHONE = f"1 to {T54W_KEYS} on this phone"
NOT_A_POSITION = f"a whole number: {ON_THIS_PHONE}"
A_SLOT = "a park slot, 7001 to 7008"


@pytest.mark.parametrize(
    ("key", "detail"),
    [
        ({"kind": "blf", "target": "102"}, f"position: required: {ON_THIS_PHONE}"),
        (BLF_102 | {"position": "1"}, f'position "1": {NOT_A_POSITION}'),
        (BLF_102 | {"position": 1.5}, f'position "1.5": {NOT_A_POSITION}'),
        (BLF_102 | {"position": True}, f'position "True": {NOT_A_POSITION}'),
        (BLF_102 | {"position": 99}, f'position "99": {ON_THIS_PHONE}'),
        ({"position": 1, "target": "102"}, "kind: required: one of line, blf, park"),
        ({"position": 1, "kind": "blf"}, "target: required: an existing extension"),
        ({"position": 1, "kind": "park"}, f"target: required: {A_SLOT}"),
        (BLF_102 | {"line": "1"}, 'line "1": a whole number: a line of this phone (1)'),
        (BLF_102 | {"line": 2}, 'line "2": a line of this phone (1)'),
    ],
)  # fmt: skip
def test_each_wrong_key_over_the_api_says_its_own_rule(office, admin, key, detail):
    refused = admin.request("PUT", f"/api/v1/phones/{MAC}/keys", json_body=[key])

    assert refused.status == 422
    assert refused.json()["detail"] == detail


def test_a_phone_that_must_authenticate_gets_its_file_only_with_its_password(
    office, admin
):
    shown = set_mode(admin, MAC, "required")
    path = f"/prov/{MAC}.cfg"
    bare, headers, _ = http_get(office, path)
    ok, _, body = fetch_with_digest(office, path, MAC, shown["password"])
    wrong, _, _ = fetch_with_digest(office, path, MAC, "not-the-password")
    other_phone, _, _ = http_get(office, f"/prov/{OTHER}.cfg")
    common, _, _ = http_get(office, "/prov/y000000000000.cfg")

    assert bare == 401
    assert headers["www-authenticate"].startswith('Digest realm="edgepbx')
    assert ok == 200
    assert parse_yealink(body)["account.1.user_name"] == "101"
    assert wrong == 401
    assert other_phone == 200  # its mode is still the site's: off
    assert common == 200  # common files hold no secret


def test_another_phones_password_does_not_open_this_phones_file(office, admin):
    set_mode(admin, MAC, "required")
    other = set_mode(admin, OTHER, "optional")

    status, _, _ = fetch_with_digest(
        office, f"/prov/{MAC}.cfg", OTHER, other["password"]
    )

    assert status == 401


def test_wrong_credentials_are_reported_as_security_events(office, admin):
    set_mode(admin, MAC, "required")
    fetch_with_digest(office, f"/prov/{MAC}.cfg", MAC, "guessed-password-1")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "provisioning-auth-failed from 127.0.0.1" in office.log():
            break
        time.sleep(0.2)

    assert "provisioning-auth-failed from 127.0.0.1" in office.log()


def test_optional_mode_serves_a_phone_without_credentials_but_checks_sent_ones(
    office, admin
):
    shown = set_mode(admin, OTHER, "optional")
    path = f"/prov/{OTHER}.cfg"
    nonce = parse_authorization(
        http_get(office, f"/prov/{MAC}.cfg")[1]["www-authenticate"]
    )["nonce"]
    wrong = digest_response(OTHER, "nope", "GET", path, nonce, "ab12")
    right = digest_response(OTHER, shown["password"], "GET", path, nonce, "ab12")

    assert http_get(office, path)[0] == 200
    assert http_get(office, path, {"Authorization": wrong})[0] == 401
    assert http_get(office, path, {"Authorization": right})[0] == 200


def test_a_phone_that_must_authenticate_gets_nothing_over_tftp(office, admin, tmp_path):
    set_mode(admin, MAC, "required")
    set_mode(admin, OTHER, "off")

    assert tftp_get(office, f"{MAC}.cfg", tmp_path) is None
    assert tftp_get(office, f"{OTHER}.cfg", tmp_path) is not None


def test_the_site_mode_applies_to_phones_that_follow_it(office, admin):
    set_mode(admin, OTHER, "site")
    set_mode(admin, None, "required")
    required, _, _ = http_get(office, f"/prov/{OTHER}.cfg")
    set_mode(admin, None, "off")
    off, _, _ = http_get(office, f"/prov/{OTHER}.cfg")

    assert (required, off) == (401, 200)


def test_a_phone_that_must_authenticate_needs_it_for_its_phonebook_too(office, admin):
    shown = set_mode(admin, MAC, "required")
    path = f"/prov/{MAC}-phonebook.xml"
    bare, _, _ = http_get(office, path)
    ok, _, body = fetch_with_digest(office, path, MAC, shown["password"])

    assert bare == 401
    assert ok == 200 and b"<Telephone>102</Telephone>" in body


def test_a_grandstream_phone_gets_its_phonebook_where_its_server_path_points(
    office, admin
):
    set_mode(admin, GRANDSTREAM, "off")
    path = grandstream_phonebook_path(office)
    status, headers, body = http_get(office, path, {"User-Agent": GRANDSTREAM_AGENT})
    shown = office.cli("phone", "show", GRANDSTREAM, "--json").json()

    assert path == f"/prov/{GRANDSTREAM}/phonebook.xml"
    assert status == 200
    assert headers["content-type"].startswith("text/xml")
    assert address_book(body) == ["101", "102"]  # the others, not its own 103
    assert shown["last_request_file"] == f"{GRANDSTREAM}/phonebook.xml"


def test_a_grandstream_phonebook_needs_that_phone_s_credentials(
    office, admin, tmp_path
):
    shown = set_mode(admin, GRANDSTREAM, "required")
    other = set_mode(admin, OTHER, "optional")
    path = f"/prov/{GRANDSTREAM}/phonebook.xml"  # its P331's, as above
    agent = {"User-Agent": GRANDSTREAM_AGENT}
    bare, _, bare_body = http_get(office, path, agent)
    ok, _, body = fetch_with_digest(office, path, GRANDSTREAM, shown["password"], agent)
    stranger, _, _ = fetch_with_digest(office, path, OTHER, other["password"], agent)
    over_tftp = tftp_get(office, f"{GRANDSTREAM}/phonebook.xml", tmp_path)
    set_mode(admin, GRANDSTREAM, "off")
    open_tftp = tftp_get(office, f"{GRANDSTREAM}/phonebook.xml", tmp_path)

    assert bare == 401 and b"101" not in bare_body
    assert ok == 200 and address_book(body) == ["101", "102"]
    assert stranger == 401  # another phone's password opens nothing here
    assert over_tftp is None  # TFTP cannot send credentials
    assert open_tftp is not None and address_book(open_tftp) == ["101", "102"]


def test_names_around_the_grandstream_phonebook_are_the_same_miss(office, admin):
    set_mode(admin, GRANDSTREAM, "off")
    set_mode(admin, OTHER, "off")
    _, _, miss = http_get(office, "/prov/001122334455.cfg")
    answers = {
        path: http_get(office, path)
        for path in (
            f"/prov/{GRANDSTREAM}/../{OTHER}.cfg",
            f"/prov/{GRANDSTREAM}/%2e%2e/{OTHER}.cfg",
            f"/prov/{GRANDSTREAM}//phonebook.xml",
            f"/prov/{GRANDSTREAM}/phonebook.xml/",
            f"/prov/{GRANDSTREAM}/cfg{GRANDSTREAM}.xml",
            f"/prov/x/{GRANDSTREAM}/phonebook.xml",
            f"/prov/{GRANDSTREAM}-phonebook.xml",  # another vendor's name
            f"/prov/{OTHER}/phonebook.xml",  # a Yealink phone's: not its name
            "/prov/000b82000001/phonebook.xml",  # no such phone
        )
    }

    assert http_get(office, f"/prov/{OTHER}.cfg")[0] == 200
    assert {path: status for path, (status, _, _) in answers.items()} == {
        path: 404 for path in answers
    }
    assert {body for _, _, body in answers.values()} == {miss}
