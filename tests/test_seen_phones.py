"""Phones seen but not assigned, on a running appliance: an unknown phone
asking for its file over HTTP (with its User-Agent) or TFTP (Debian's
tftp-hpa client) is listed by ``edgepbx phone seen`` while its answer stays
the same miss; assigned from the CLI, the page or the API, it gets its
extension's account at its next fetch."""

from __future__ import annotations

import http.client
import re
import sqlite3
import ssl
import time
import urllib.parse

import pytest

from tests import browser_driver
from tests.pbx import RunningPbx
from tests.test_provisioning_files import parse_yealink
from tests.test_tftp import tftp_hpa
from tests.webclient import api_client, signed_in

HTTP_MAC = "805ec0a0b001"  # a Yealink T54W asking over HTTP
TFTP_MAC = "805ec0a0b002"  # a Yealink asking over TFTP: no User-Agent, no model
YEALINK_AGENT = "Yealink SIP-T54W 96.86.0.100 80:5e:c0:a0:b0:01"
# Each test's phones ask from an address of their own: the list takes one
# new phone per address a minute.
HTTP_PHONE, BURST_SOURCE, API_PHONES = "127.0.0.2", "127.0.0.3", "127.0.0.4"
LIST_WAIT_S = 15


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("seen") / "var").start()
    running.add_extension("101", "Front desk")
    running.add_extension("102", "Office")
    running.add_extension("201", "Warehouse")
    yield running
    running.stop()


def http_get(pbx, path: str, source: str, user_agent: str | None = None):
    connection = http.client.HTTPConnection(
        "127.0.0.1", pbx.http_port, timeout=10, source_address=(source, 0)
    )
    try:
        headers = {"User-Agent": user_agent} if user_agent else {}
        connection.request("GET", path, headers=headers)
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def seen(pbx) -> dict[str, dict]:
    result = pbx.cli("phone", "seen", "--json")
    assert result.returncode == 0, result.stderr
    return {row["mac"]: row for row in result.json()}


def wait_listed(pbx, mac: str) -> dict[str, dict]:
    deadline = time.monotonic() + LIST_WAIT_S
    while True:
        listed = seen(pbx)
        if mac in listed or time.monotonic() > deadline:
            return listed
        time.sleep(0.3)


def test_an_unknown_yealink_asking_over_http_is_listed_with_its_model(office):
    status, body = http_get(office, f"/prov/{HTTP_MAC}.cfg", HTTP_PHONE, YEALINK_AGENT)
    other_miss = http_get(office, "/prov/index.html", HTTP_PHONE)

    row = wait_listed(office, HTTP_MAC).get(HTTP_MAC)
    assert (status, body) == other_miss == (404, b"no provisioning file here\n")
    assert row is not None
    assert (row["vendor"], row["model"]) == ("yealink", "T54W")
    assert (row["source_ip"], row["via"], row["times_seen"]) == (HTTP_PHONE, "http", 1)
    assert row["user_agent"] == YEALINK_AGENT


def test_an_unknown_phone_asking_over_tftp_is_listed_by_its_oui(office, tmp_path):
    result = tftp_hpa(office, f"{TFTP_MAC}.cfg", tmp_path / "x")

    row = wait_listed(office, TFTP_MAC).get(TFTP_MAC)
    assert "Error code 1: File not found" in result.stdout + result.stderr
    assert row is not None
    assert (row["vendor"], row["model"]) == ("yealink", None)
    assert (row["source_ip"], row["via"]) == ("127.0.0.1", "tftp")


def test_an_unknown_phone_asking_over_https_is_listed_as_such(office):
    mac = "0004f2a0b003"  # a Poly VVX
    context = ssl.create_default_context(cafile=str(office.certificate))
    context.check_hostname = False
    connection = http.client.HTTPSConnection(
        "127.0.0.1",
        office.https_port,
        timeout=10,
        context=context,
        source_address=("127.0.0.8", 0),
    )
    agent = "FileTransport PolycomVVX-VVX_450-UA/6.4.0.0000"
    connection.request("GET", f"/prov/{mac}.cfg", headers={"User-Agent": agent})
    status = connection.getresponse().status
    connection.close()

    row = wait_listed(office, mac).get(mac)
    assert status == 404
    assert row is not None
    assert (row["vendor"], row["model"], row["via"]) == ("polycom", "VVX450", "https")


def test_a_phone_assigned_from_the_cli_gets_its_account_at_its_next_fetch(office):
    http_get(office, f"/prov/{HTTP_MAC}.cfg", HTTP_PHONE, YEALINK_AGENT)
    assert HTTP_MAC in wait_listed(office, HTTP_MAC)

    assigned = office.cli("phone", "assign", HTTP_MAC, "--extension", "101", "--json")
    status, body = http_get(office, f"/prov/{HTTP_MAC}.cfg", HTTP_PHONE, YEALINK_AGENT)

    assert assigned.returncode == 0, assigned.stderr
    assert assigned.json()["model"] == "T54W"
    assert status == 200
    assert parse_yealink(body)["account.1.user_name"] == "101"
    assert HTTP_MAC not in seen(office)


def test_a_phone_assigned_on_the_page_names_its_model_first(office, tmp_path):
    tftp_hpa(office, f"{TFTP_MAC}.cfg", tmp_path / "miss")
    assert TFTP_MAC in wait_listed(office, TFTP_MAC)
    admin = signed_in(office, "administrator")
    action = f"/phones/seen/{TFTP_MAC}/assign"

    page = admin.get("/phones").body
    refused = admin.post_form(action, {"extensions": "102"}, csrf_from="/phones")
    done = admin.post_form(
        action, {"extensions": "102", "model": "T46U"}, csrf_from="/phones"
    )
    fetched = tftp_hpa(office, f"{TFTP_MAC}.cfg", tmp_path / "file.cfg")

    assert "Seen, not assigned" in page and f'action="{action}"' in page
    assert refused.status == 422
    error = re.search(rf'id="seen-{TFTP_MAC}-model-error">([^<]*)<', refused.body)
    assert error and "name the model" in error.group(1)
    assert done.status == 303 and done.location == f"/phones/{TFTP_MAC}"
    assert fetched.returncode == 0, fetched.stderr
    values = parse_yealink((tmp_path / "file.cfg").read_bytes())
    assert values["account.1.user_name"] == "102"
    assert f'action="{action}"' not in admin.get("/phones").body


def test_an_address_walking_mac_addresses_adds_one_phone_to_the_list(office):
    walked = [f"805ec0c0{n:04x}" for n in range(40)]
    answers = {http_get(office, f"/prov/{mac}.cfg", BURST_SOURCE) for mac in walked}
    # A phone from another address after the walk: once it is listed, the
    # agent has read every sighting sent before it.
    http_get(office, "/prov/805ec0d00001.cfg", "127.0.0.5")

    listed = wait_listed(office, "805ec0d00001")
    from_walker = [
        mac for mac, row in listed.items() if row["source_ip"] == BURST_SOURCE
    ]
    assert answers == {(404, b"no provisioning file here\n")}
    assert from_walker == [walked[0]]


def test_the_page_says_a_second_phone_from_one_address_comes_a_minute_later(
    office,
):
    admin = signed_in(office, "operator")
    page = admin.get("/phones").body
    said = re.search(r'<p class="hint" id="seen-pace">([^<]*)</p>', page)

    assert said, page
    assert "second unknown phone from the same address" in said.group(1)
    assert "60 seconds after the first" in said.group(1)


def test_a_model_named_over_the_reported_one_is_used_and_both_are_said(office):
    # One phone per way in, each from an address of its own.
    ways = {"cli": "127.0.0.21", "api": "127.0.0.22", "page": "127.0.0.23"}
    macs = {way: f"805ec0f3000{n}" for n, way in enumerate(ways, 1)}
    for way, mac in macs.items():
        agent = f"Yealink SIP-T54W 96.86.0.100 {':'.join(re.findall('..', mac))}"
        http_get(office, f"/prov/{mac}.cfg", ways[way], agent)
    for mac in macs.values():
        assert wait_listed(office, mac)[mac]["model"] == "T54W"

    cli = office.cli(
        "phone", "assign", macs["cli"], "--extension", "101", "--model", "T46U"
    )
    api = api_client(office, "administrator").request(
        "POST",
        f"/api/v1/phones/seen/{macs['api']}/assign",
        json_body={"extensions": ["102"], "model": "T46U"},
    )
    admin = signed_in(office, "administrator")
    page = admin.post_form(
        f"/phones/seen/{macs['page']}/assign",
        {"extensions": "201", "model": "T46U"},
        csrf_from="/phones",
    )
    went = urllib.parse.urlsplit(page.headers["location"])
    shown = admin.get(f"{went.path}?{went.query}").body
    note = re.search(r'id="model-replaced">([^<]*)<', shown)

    assert cli.returncode == 0, cli.stderr
    assert "note: the phone reported model T54W; T46U is used now" in cli.stdout
    assert api.status == 201, api.body
    assert (api.json()["model"], api.json()["reported_model"]) == ("T46U", "T54W")
    assert page.status == 303
    assert "instead of the one the phone reported" in shown
    assert note and note.group(1) == "The phone reported model T54W; T46U is used now."


def test_a_phone_can_be_forgotten_and_the_list_cleared(office):
    http_get(office, "/prov/805ec0e00001.cfg", "127.0.0.6", YEALINK_AGENT)
    http_get(office, "/prov/805ec0e00002.cfg", "127.0.0.7", YEALINK_AGENT)
    wait_listed(office, "805ec0e00001")
    wait_listed(office, "805ec0e00002")

    forgotten = office.cli("phone", "seen", "--forget", "80:5E:C0:E0:00:01")
    again = office.cli("phone", "seen", "--forget", "805ec0e00001")
    after_forget = seen(office)
    cleared = office.cli("phone", "seen", "--clear", "--json")

    assert forgotten.returncode == 0, forgotten.stderr
    assert again.returncode == 2 and 'phone "805ec0e00001"' in again.stderr
    assert "805ec0e00001" not in after_forget and "805ec0e00002" in after_forget
    assert cleared.json()["forgotten"] >= 1
    assert seen(office) == {}


def test_seen_phones_over_the_rest_api_by_role(office):
    macs = ("805ec0f00001", "805ec0f00002")
    for n, mac in enumerate(macs):
        http_get(office, f"/prov/{mac}.cfg", f"127.0.1.{n + 1}", YEALINK_AGENT)
        wait_listed(office, mac)
    admin = api_client(office, "administrator")
    operator = api_client(office, "operator")

    listed = operator.get("/api/v1/phones/seen")
    refused = operator.request(
        "POST",
        f"/api/v1/phones/seen/{macs[0]}/assign",
        json_body={"extensions": ["101"]},
    )
    no_such = admin.request(
        "POST",
        f"/api/v1/phones/seen/{macs[0]}/assign",
        json_body={"extensions": ["999"]},
    )
    assigned = admin.request(
        "POST",
        f"/api/v1/phones/seen/{macs[0]}/assign",
        json_body={"extensions": ["101"]},
    )
    forgotten = admin.request("DELETE", f"/api/v1/phones/seen/{macs[1]}")
    gone = admin.request("DELETE", f"/api/v1/phones/seen/{macs[1]}")

    assert listed.status == 200
    assert {row["mac"] for row in listed.json()} >= set(macs)
    assert refused.status == 403
    assert no_such.status == 404 and no_such.json()["field"] == "extensions"
    assert assigned.status == 201 and assigned.json()["extensions"] == ["101"]
    assert assigned.json()["model"] == "T54W"
    assert forgotten.status == 204
    assert gone.status == 404 and gone.json()["field"] == "mac"
    db = sqlite3.connect(office.data_dir / "db" / "edgepbx.sqlite")
    audited = db.execute(
        "SELECT actor, action, object_id FROM audit_log"
        " WHERE object_type = 'seen-phone' ORDER BY id"
    ).fetchall()
    assert audited[-2:] == [
        ("token:administrator", "assign", macs[0]),
        ("token:administrator", "delete", macs[1]),
    ]


def test_a_role_limited_to_some_extensions_assigns_only_those(office):
    made = office.cli(
        "role", "add", "wing", "--module", "extensions=edit", "--extensions", "100-199"
    )
    assert made.returncode == 0, made.stderr
    mac = "805ec0f10001"
    http_get(office, f"/prov/{mac}.cfg", "127.0.1.9", YEALINK_AGENT)
    assert mac in wait_listed(office, mac)
    wing = api_client(office, "wing")
    assign = f"/api/v1/phones/seen/{mac}/assign"

    outside = wing.request("POST", assign, json_body={"extensions": ["102", "201"]})
    inside = wing.request("POST", assign, json_body={"extensions": ["102"]})

    assert outside.status == 404 and outside.json()["field"] == "extensions"
    assert inside.status == 201 and inside.json()["extensions"] == ["102"]


def test_a_person_assigns_a_seen_phone_with_one_click_in_a_browser(
    office, browser_ready, tmp_path
):
    mac = "805ec0f20001"
    http_get(office, f"/prov/{mac}.cfg", "127.0.1.20", YEALINK_AGENT)
    assert mac in wait_listed(office, mac)
    web = signed_in(office)

    seen = browser_driver.run(
        "seen_phones.mjs",
        office,
        session=web.cookies["__Host-edgepbx_session"],
        screenshots=str(tmp_path),
        mac=mac,
        extension="101",
    )
    status, body = http_get(office, f"/prov/{mac}.cfg", "127.0.1.20", YEALINK_AGENT)

    assert not seen["narrow"]["sideways"] and not seen["wide"]["sideways"], tmp_path
    assert "Yealink" in seen["wide"]["row"] and "T54W" in seen["wide"]["row"]
    assert "127.0.1.20" in seen["wide"]["row"]
    assert seen["assigned"]["url"].endswith(f"/phones/{mac}?notice=phone-saved")
    assert status == 200
    assert parse_yealink(body)["account.1.user_name"] == "101"
