"""Provisioning on a running appliance: HTTP under /prov/, the REST API, and
a phone that registers with what its MAC file, fetched over TFTP, says."""

from __future__ import annotations

import datetime as dt
import http.client
import subprocess

import pytest

from tests.pbx import RunningPbx
from tests.sipphone import Phone
from tests.test_provisioning_files import parse_yealink
from tests.webclient import api_client, signed_in

MAC = "805ec0aabbcc"
YEALINK_AGENT = (
    f"Yealink SIP-T54W 96.86.0.100 {':'.join(MAC[i : i + 2] for i in range(0, 12, 2))}"
)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("prov") / "var").start()
    running.add_extension("101", "Front desk")
    added = running.add_phone(MAC, "101")
    assert added.returncode == 0, added.stderr
    yield running
    running.stop()


def http_get(pbx, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", pbx.http_port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        reply = connection.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        connection.close()


def test_the_agent_supervises_the_tftp_server(office):
    status = office.status()
    assert status["daemons"]["provisioning"]["answering"] is True


def test_a_phone_fetches_its_mac_file_over_plain_http(office):
    status, headers, body = http_get(
        office, f"/prov/{MAC}.cfg", {"User-Agent": YEALINK_AGENT}
    )

    assert status == 200
    assert headers["content-type"].startswith("text/plain")
    assert parse_yealink(body)["account.1.user_name"] == "101"
    shown = office.cli("phone", "show", MAC, "--json").json()
    assert shown["last_request_file"] == f"{MAC}.cfg"
    assert shown["last_user_agent"] == YEALINK_AGENT
    # The pages give the fetch in the appliance's zone (UTC here) and name it.
    fetched = dt.datetime.fromisoformat(shown["last_request_at"])
    at = f'<time datetime="{shown["last_request_at"]}">{fetched:%Y-%m-%d %H:%M:%S}'
    web = signed_in(office)
    assert f"{at}</time> UTC from" in web.get(f"/phones/{MAC}").body
    listed = web.get("/phones").body
    assert "Last fetch (UTC)" in listed and at in listed


def test_an_unchanged_file_is_not_sent_again(office):
    _, first, _ = http_get(office, f"/prov/{MAC}.cfg")
    status, _, body = http_get(
        office, f"/prov/{MAC}.cfg", {"If-None-Match": first["etag"]}
    )
    office.cli("extension", "set-password", "101")
    changed, _, _ = http_get(
        office, f"/prov/{MAC}.cfg", {"If-None-Match": first["etag"]}
    )

    assert status == 304 and body == b""
    assert changed == 200


def test_the_common_file_request_is_recorded_by_the_mac_in_the_user_agent(office):
    status, _, body = http_get(
        office, "/prov/y000000000000.cfg", {"User-Agent": YEALINK_AGENT}
    )

    assert status == 200
    assert "lang.gui" in parse_yealink(body)
    shown = office.cli("phone", "show", MAC, "--json").json()
    assert shown["last_request_file"] == "y000000000000.cfg"


def test_every_miss_over_http_is_the_same_404(office):
    answers = {
        path: http_get(office, path)
        for path in (
            "/prov/001122334455.cfg",
            "/prov/../../etc/passwd",
            "/prov/%2e%2e/certs/device.key",
            "/prov/index.html",
            "/prov/",
        )
    }

    assert {status for status, _, _ in answers.values()} == {404}
    assert len({body for _, _, body in answers.values()}) == 1


def test_the_same_files_are_served_over_https(office):
    from tests.webclient import client

    reply = client(office).get(f"/prov/{MAC}.cfg")

    assert reply.status == 200
    assert parse_yealink(reply.body.encode())["account.1.auth_name"] == "101"


def test_phones_are_managed_over_the_rest_api(office):
    admin = api_client(office, "administrator")
    operator = api_client(office, "operator")

    added = admin.request(
        "POST",
        "/api/v1/phones",
        json_body={
            "mac": "80:5E:C0:00:00:09",
            "vendor": "yealink",
            "model": "T46U",
            "extensions": ["101"],
        },
    )
    listed = operator.get("/api/v1/phones").json()
    refused = operator.request("DELETE", "/api/v1/phones/805ec0000009")
    bad = admin.request(
        "POST",
        "/api/v1/phones",
        json_body={
            "mac": "nope",
            "vendor": "yealink",
            "model": "T46U",
            "extensions": ["101"],
        },
    )
    imported = admin.request(
        "POST",
        "/api/v1/phones/import",
        body=b"mac,vendor,model,extension\n805ec000000a,yealink,T54W,101\n"
        b"805ec000000b,yealink,T54W,999\n",
        headers={"Content-Type": "text/csv"},
    )
    removed = admin.request("DELETE", "/api/v1/phones/805ec0000009")

    assert added.status == 201
    assert added.json()["mac"] == "805ec0000009"
    assert "805ec0000009" in [phone["mac"] for phone in listed]
    assert refused.status == 403
    assert bad.status == 422 and bad.json()["field"] == "mac"
    assert imported.status == 422
    assert [row["row"] for row in imported.json()["rows"]] == [3]
    assert removed.status == 204
    assert admin.get("/api/v1/phones/805ec000000a").status == 404


def test_a_phone_registers_with_the_credentials_of_its_tftp_file(office, tmp_path):
    local = tmp_path / f"{MAC}.cfg"
    fetched = subprocess.run(
        [
            "atftp",
            "--option",
            "blksize 1428",
            "--option",
            "tsize 0",
            "-g",
            "-r",
            f"{MAC}.cfg",
            "-l",
            str(local),
            "127.0.0.1",
            str(office.tftp_port),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert fetched.returncode == 0, fetched.stderr
    values = parse_yealink(local.read_bytes())

    with Phone(
        values["account.1.auth_name"],
        values["account.1.password"],
        server=values["account.1.sip_server.1.address"],
        port=int(values["account.1.sip_server.1.port"]),
        tone_hz=697,
    ) as desk:
        assert desk.register() == 200


def test_a_cisco_phone_fetches_its_flat_profile_by_its_profile_rule(office):
    import xml.etree.ElementTree as ET

    office.add_phone("00562b001122", "101", vendor="cisco", model="CP-8841")
    status, headers, body = http_get(office, "/prov/00562b001122.xml")

    assert status == 200
    assert headers["content-type"].startswith("application/xml")
    assert ET.fromstring(body).findtext("User_ID_1_") == "101"
