"""Site settings for phones on a running appliance: the time zone, NTP
server, language and SIP transport set from the CLI, the REST API or the
Phones pages reach the files phones fetch over HTTP and TFTP, in each
vendor's own names, and a refused value changes nothing."""

from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from tests.pbx import RunningPbx
from tests.test_provisioning_e2e import http_get
from tests.test_provisioning_files import parse_yealink
from tests.test_tftp import tftp_hpa
from tests.webclient import api_client, signed_in

YEALINK_MAC = "805ec0aabb01"
POLY_MAC = "0004f2aabb02"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("site") / "var").start()
    running.add_extension("101", "Front desk")
    running.add_extension("102", "Office")
    assert running.add_phone(YEALINK_MAC, "101").returncode == 0
    added = running.cli(
        "phone", "add", POLY_MAC, "--vendor", "polycom", "--model", "VVX450",
        "--extension", "102",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    yield running
    running.stop()


def yealink_files(pbx) -> dict[str, str]:
    """What a Yealink phone reads: its common file, then its own file."""
    status, _, common = http_get(pbx, "/prov/y000000000000.cfg")
    own_status, _, own = http_get(pbx, f"/prov/{YEALINK_MAC}.cfg")
    assert status == own_status == 200
    return parse_yealink(common) | parse_yealink(own)


def poly_files(pbx, tmp_path) -> dict[str, str]:
    """What a Poly phone reads over TFTP: the site file and its phone file."""
    values: dict[str, str] = {}
    for name in ("edgepbx-polycom.cfg", f"phone{POLY_MAC}.cfg"):
        local = tmp_path / name
        result = tftp_hpa(pbx, name, local)
        assert result.returncode == 0 and local.exists(), result.stderr
        values |= ET.fromstring(local.read_bytes()).attrib
    return values


def typed(page: str, name: str) -> str:
    """The value in the page's text field ``name``."""
    found = re.search(rf'<input id="{name}"[^>]* value="([^"]*)"', page)
    assert found, f"no field {name}"
    return found.group(1)


def test_phones_follow_the_appliance_time_zone_until_one_is_set(office):
    admin = signed_in(office)
    admin.post_form("/setup/timezone", {"timezone": "Asia/Kolkata"})

    shown = office.cli("provisioning", "site", "--json").json()
    values = yealink_files(office)

    assert (shown["time_zone"], shown["time_zone_set"]) == ("Asia/Kolkata", False)
    assert values["local_time.time_zone"] == "+5:30"


def chosen(page: str, name: str) -> str:
    """The selected option of the page's list ``name``."""
    found = re.search(rf'<select id="{name}".*?</select>', page, re.S)
    assert found, f"no list {name}"
    option = re.search(r'<option value="([^"]*)" selected>', found.group(0))
    assert option, f"nothing chosen in {name}"
    return option.group(1)


def site_form(page: str) -> dict[str, str]:
    """The Site settings form as the page fills it."""
    return {
        "time_zone": typed(page, "time_zone"),
        "ntp_server": typed(page, "ntp_server"),
        "language": chosen(page, "language"),
        "transport": chosen(page, "transport"),
    }


def test_the_time_zone_goes_back_to_following_the_appliance_on_every_path(office):
    admin = signed_in(office)
    admin.post_form("/setup/timezone", {"timezone": "Asia/Kolkata"})
    api = api_client(office, "administrator")

    def pinned_then(unpin) -> tuple[dict, str]:
        pinned = office.cli("provisioning", "site", "--time-zone", "Europe/Berlin")
        assert pinned.returncode == 0, pinned.stderr
        assert yealink_files(office)["local_time.time_zone"] == "+1"
        unpin()
        shown = office.cli("provisioning", "site", "--json").json()
        return shown, yealink_files(office)["local_time.time_zone"]

    by_cli = pinned_then(
        lambda: office.cli("provisioning", "site", "--follow-appliance-time-zone")
    )
    by_api = pinned_then(
        lambda: api.request(
            "PUT", "/api/v1/provisioning/site", json_body={"time_zone": None}
        )
    )
    by_page = pinned_then(
        lambda: admin.post_form(
            "/phones/site",
            site_form(admin.get("/phones/site").body) | {"time_zone": ""},
        )
    )
    printed = office.cli("provisioning", "site").stdout

    for shown, sent in (by_cli, by_api, by_page):
        assert (shown["time_zone"], shown["time_zone_set"]) == ("Asia/Kolkata", False)
        assert sent == "+5:30"
    assert "time zone   Asia/Kolkata (the appliance's)" in printed


def test_saving_the_page_keeps_the_phones_following_the_appliance_time_zone(office):
    admin = signed_in(office)
    api = api_client(office, "administrator")
    api.request("PUT", "/api/v1/provisioning/site", json_body={"time_zone": None})
    admin.post_form("/setup/timezone", {"timezone": "Asia/Kolkata"})
    page = admin.get("/phones/site").body
    language = "it" if chosen(page, "language") != "it" else "nl"

    saved = admin.post_form("/phones/site", site_form(page) | {"language": language})
    admin.post_form("/setup/timezone", {"timezone": "America/New_York"})
    shown = api.get("/api/v1/provisioning/site").json()
    yealink = yealink_files(office)

    assert typed(page, "time_zone") == ""
    assert "follow the appliance's own time zone, now Asia/Kolkata" in page
    assert saved.status == 303
    assert (shown["language"], shown["time_zone_set"]) == (language, False)
    assert shown["time_zone"] == "America/New_York"
    assert yealink["local_time.time_zone"] == "-5"


def test_a_change_from_the_cli_reaches_yealink_over_http_and_poly_over_tftp(
    office, tmp_path
):
    _, before, _ = http_get(office, "/prov/y000000000000.cfg")

    changed = office.cli(
        "provisioning", "site", "--time-zone", "America/New_York",
        "--ntp-server", "ntp.example.net", "--language", "fr", "--transport", "tcp",
    )  # fmt: skip
    status, _, _ = http_get(
        office, "/prov/y000000000000.cfg", {"If-None-Match": before["etag"]}
    )
    yealink = yealink_files(office)
    poly = poly_files(office, tmp_path)

    assert changed.returncode == 0, changed.stderr
    assert "time zone   America/New_York" in changed.stdout
    assert status == 200  # a polling phone downloads the changed file
    assert yealink["local_time.time_zone"] == "-5"
    assert yealink["local_time.ntp_server1"] == "ntp.example.net"
    assert yealink["lang.gui"] == yealink["lang.wui"] == "French"
    assert yealink["account.1.sip_server.1.transport_type"] == "1"
    assert poly["tcpIpApp.sntp.gmtOffset"] == str(-5 * 3600)
    assert poly["tcpIpApp.sntp.address"] == "ntp.example.net"
    assert poly["lcl.ml.lang"] == "French_France"
    assert poly["reg.1.server.1.transport"] == "TCPOnly"
    assert poly["reg.1.server.1.port"] == str(office.sip_port)


def test_tls_over_the_rest_api_points_phones_at_the_sip_tls_port(office, tmp_path):
    api = api_client(office, "administrator")

    reply = api.request("PUT", "/api/v1/provisioning/site", json_body={
        "transport": "tls", "time_zone": "Europe/Berlin",
    })  # fmt: skip
    shown = api.get("/api/v1/provisioning/site").json()
    yealink = yealink_files(office)
    poly = poly_files(office, tmp_path)
    tls_port = office.sip_tls_port

    assert reply.status == 200, reply.body
    assert shown["transport"] == "tls" and shown["time_zone"] == "Europe/Berlin"
    assert yealink["account.1.sip_server.1.transport_type"] == "2"
    assert yealink["account.1.sip_server.1.port"] == str(tls_port)
    assert yealink["local_time.time_zone"] == "+1"
    assert poly["reg.1.server.1.transport"] == "TLS"
    assert poly["reg.1.server.1.port"] == str(tls_port)
    assert poly["tcpIpApp.sntp.gmtOffset"] == "3600"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_zone", "Mars/Olympus_Mons"),
        # Files in the zone directory that zoneinfo opens but name no place.
        ("time_zone", "localtime"),
        ("time_zone", "posixrules"),
        ("time_zone", "Factory"),
        ("ntp_server", "http://ntp.example.net/"),
        ("ntp_server", "ntp example net"),
        ("language", "tlh"),
        ("transport", "sctp"),
    ],
)
def test_a_bad_value_is_refused_by_name_and_nothing_changes(office, field, value):
    api = api_client(office, "administrator")
    before_files = yealink_files(office)
    before = api.get("/api/v1/provisioning/site").json()

    reply = api.request(
        "PUT",
        "/api/v1/provisioning/site",
        json_body={"language": "de" if before["language"] != "de" else "it"}
        | {field: value},
    )
    option = f"--{field.replace('_', '-')}"
    cli = office.cli("provisioning", "site", option, value)

    assert reply.status == 422
    problem = reply.json()
    assert problem["field"] == field and value in problem["detail"]
    # The CLI names the option typed, the API its field.
    assert cli.returncode != 0 and f"edgepbx: {option}" in cli.stderr
    assert api.get("/api/v1/provisioning/site").json() == before
    assert yealink_files(office) == before_files


def test_a_change_on_the_page_is_audited_and_a_bad_one_shown_beside_its_field(
    office,
):
    admin = signed_in(office)
    form = {
        "time_zone": "Europe/Madrid",
        "ntp_server": "bad host!",
        "language": "es",
        "transport": "udp",
    }

    refused = admin.post_form("/phones/site", form)
    unchanged = admin.get("/phones/site").body
    saved = admin.post_form("/phones/site", form | {"ntp_server": "192.0.2.123"})
    shown = admin.get(saved.headers["location"])
    yealink = yealink_files(office)
    db = sqlite3.connect(office.data_dir / "db" / "edgepbx.sqlite")
    last = db.execute(
        "SELECT actor, object_id, after FROM audit_log "
        "WHERE object_id = 'provisioning.site' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    db.close()

    assert refused.status == 422
    assert 'id="ntp_server-error"' in refused.body and "bad host!" in refused.body
    assert typed(refused.body, "time_zone") == "Europe/Madrid"  # what was typed
    assert typed(unchanged, "time_zone") != "Europe/Madrid"
    assert saved.status == 303
    assert "every phone gets it at its next fetch" in shown.body
    assert yealink["local_time.ntp_server1"] == "192.0.2.123"
    assert yealink["lang.gui"] == "Spanish"
    assert last[0] == "admin"
    assert json.loads(last[2])["ntp_server"] == "192.0.2.123"


def common_file_values(pbx, name: str) -> dict[str, str]:
    """The settings of a Grandstream or Snom common file, fetched over HTTP
    as a phone does: ``<P64>`` of ``<config>``, ``<dst>`` of
    ``<phone-settings>``."""
    status, _, content = http_get(pbx, f"/prov/{name}")
    assert status == 200, content
    settings = ET.fromstring(content)[-1]
    return {element.tag: element.text or "" for element in settings}


@pytest.mark.parametrize(
    ("zone", "rule", "offset", "dst"),
    [
        (
            "America/New_York",
            "EST5EDT,M3.2.0,M11.1.0",
            "-18000",
            "3600 03.02.07 02:00:00 11.01.07 02:00:00",
        ),
        ("Asia/Kolkata", "IST-5:30", "19800", ""),
    ],
)
def test_grandstream_and_snom_phones_get_the_zone_with_its_daylight_saving(
    office, zone, rule, offset, dst
):
    api = api_client(office, "administrator")

    reply = api.request(
        "PUT", "/api/v1/provisioning/site", json_body={"time_zone": zone}
    )
    grandstream = common_file_values(office, "cfg.xml")
    snom = common_file_values(office, "snomD785.htm")

    assert reply.status == 200, reply.body
    assert grandstream["P64"] == "customize"
    assert grandstream["P246"] == rule
    assert grandstream["P143"] == "0"
    assert snom["timezone"] == ""
    assert snom["utc_offset"] == offset
    assert snom["dst"] == dst


def test_viewers_read_the_site_settings_and_only_changers_change_them(office):
    viewer = api_client(office, "operator")
    read = viewer.get("/api/v1/provisioning/site")
    write = viewer.request(
        "PUT", "/api/v1/provisioning/site", json_body={"language": "nl"}
    )
    documented = viewer.get("/api/v1/openapi.json").json()["paths"]

    assert read.status == 200 and set(read.json()) >= {"time_zone", "transport"}
    assert write.status == 403
    assert set(documented["/provisioning/site"]) == {"get", "put"}


def test_a_role_limited_to_some_extensions_may_not_change_every_phone(office):
    made = office.cli(
        "role", "add", "deskstaff",
        "--module", "extensions=edit",
        "--extensions", "100-199",
    )  # fmt: skip
    limited = api_client(office, "deskstaff")

    read = limited.get("/api/v1/provisioning/site")
    write = limited.request(
        "PUT", "/api/v1/provisioning/site", json_body={"language": "nl"}
    )

    assert made.returncode == 0, made.stderr
    assert read.status == 200
    assert write.status == 403
    assert "site settings serve every phone" in write.json()["detail"]
    assert read.json()["language"] != "nl"
    assert limited.get("/api/v1/provisioning/site").json() == read.json()
