"""Company speed dials: a phone dials *0 and a code, and reaches the number.

The CLI and the page on a real database and web server; the call through a
real Kamailio between real pjsua2 phones. A speed dial to an outside number
goes out through the outbound routes (tests/test_trunks.py).
"""

from __future__ import annotations

import pytest

from tests.sipphone import Phone
from tests.webclient import client, signed_in

TONE_CALLER = 697
TONE_CALLEE = 1209


def refused(result, field: str) -> str:
    assert result.returncode == 2, result.stdout
    error = result.json()["error"]
    assert error["field"] == field, error
    return error["message"]


def speed_dials(pbx) -> list[dict]:
    result = pbx.cli("speed-dial", "list", "--json")
    assert result.returncode == 0, result.stderr
    return result.json()


def test_a_speed_dial_is_listed_with_what_phones_dial_and_can_be_changed(pbx_data):
    pbx_data.add_extension("102")
    made = pbx_data.cli("speed-dial", "set", "5", "102", "--name", "Sales")
    changed = pbx_data.cli("speed-dial", "set", "5", "+4930123456", "--json")

    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "*05 -> 102 (Sales)"
    assert changed.json()["number"] == "+4930123456"
    assert speed_dials(pbx_data) == [
        {"code": "5", "number": "+4930123456", "name": "Sales", "dial": "*05"}
    ]


@pytest.mark.parametrize(
    ("args", "field", "rule"),
    [
        (["12a", "102"], "code", "digits only, 1 to 3"),
        (["1234", "102"], "code", "digits only, 1 to 3"),
        (["7", "9*55"], "number", "1 to 32 digits"),
        (["7", ""], "number", "1 to 32 digits"),
        (["7", "102", "--name", "x" * 65], "--name", "at most 64"),
        (["٣", "102"], "code", "digits only, 1 to 3"),
        (["7", "١٠٢"], "number", "1 to 32 digits"),
        (["7", "102", "--name", "Line\nbreak"], "--name", "control or invisible"),
    ],
)
def test_a_bad_speed_dial_is_refused_naming_the_field_and_nothing_is_saved(
    pbx_data, args, field, rule
):
    assert pbx_data.cli("speed-dial", "set", "7", "101").returncode == 0

    result = pbx_data.cli("speed-dial", "set", *args, "--json")

    assert rule in refused(result, field)
    assert [(s["code"], s["number"]) for s in speed_dials(pbx_data)] == [("7", "101")]


def test_a_speed_dial_keeps_its_name_when_only_its_number_changes(pbx_data):
    assert (
        pbx_data.cli("speed-dial", "set", "4", "101", "--name", "Desk").returncode == 0
    )
    assert pbx_data.cli("speed-dial", "set", "4", "102").returncode == 0
    assert [(s["number"], s["name"]) for s in speed_dials(pbx_data)] == [
        ("102", "Desk")
    ]


def test_an_extension_a_speed_dial_leads_to_is_not_removed(pbx_data):
    pbx_data.add_extension("103")
    assert pbx_data.cli("speed-dial", "set", "50", "103").returncode == 0

    result = pbx_data.cli("extension", "remove", "103", "--json")

    assert result.returncode == 2
    assert "still used by speed dial 50" in result.json()["error"]["message"]
    assert pbx_data.cli("extension", "show", "103").returncode == 0


def test_a_role_limited_to_some_extensions_may_not_change_speed_dials(pbx):
    made = pbx.cli(
        "role", "add", "desk", "--module", "call routing=edit",
        "--extensions", "100-101",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    account = pbx.cli("account", "add", "deskuser", "--role", "desk", "--json")
    assert account.returncode == 0, account.stderr
    token = pbx.cli("token", "create", "--role", "desk", "--json").json()["token"]
    web = client(pbx)
    web.bearer = token

    listed = web.get("/api/v1/speed-dials")
    refused_put = web.request(
        "PUT", "/api/v1/speed-dials/9", json_body={"number": "0900123456"}
    )

    assert listed.status == 200
    assert refused_put.status == 403
    assert speed_dials(pbx) == []


def test_removing_a_speed_dial_that_does_not_exist_says_so(pbx_data):
    result = pbx_data.cli("speed-dial", "remove", "42", "--json")
    assert result.returncode != 0
    assert "speed dial 42 does not exist" in result.stdout


def phone(pbx, number: str, password: str, tone_hz: int) -> Phone:
    return Phone(
        number, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=tone_hz
    )


def test_dialling_a_speed_dial_rings_the_stored_extension_with_audio(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    assert pbx.cli("speed-dial", "set", "12", "102").returncode == 0

    with (
        phone(pbx, "101", passwords["101"], TONE_CALLER) as alice,
        phone(pbx, "102", passwords["102"], TONE_CALLEE) as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("*012")
        call.wait_confirmed()
        incoming = bob.wait_incoming()
        incoming.wait_confirmed()

        assert call.heard_tone(TONE_CALLEE), "caller does not hear the callee"
        assert incoming.heard_tone(TONE_CALLER), "callee does not hear the caller"
        call.hangup()
        incoming.wait_disconnected()


def test_dialling_a_code_with_no_speed_dial_gets_404_and_rings_nobody(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    assert pbx.cli("speed-dial", "set", "1", "102").returncode == 0

    with (
        phone(pbx, "101", passwords["101"], TONE_CALLER) as alice,
        phone(pbx, "102", passwords["102"], TONE_CALLEE) as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("*099")
        code = call.wait_disconnected()

        assert (code, call.last_reason) == (404, "No Such Speed Dial")
        assert bob.invites_received == 0


def test_the_page_adds_a_speed_dial_and_shows_a_refused_one_beside_its_field(pbx):
    pbx.add_extension("102")
    web = signed_in(pbx, "administrator")

    saved = web.post_form("/speed-dials", {"code": "3", "number": "102", "name": ""})
    refused_reply = web.post_form(
        "/speed-dials", {"code": "3x", "number": "101", "name": "Typo"}
    )
    listed = web.get("/speed-dials").body

    assert saved.headers["location"] == "/speed-dials?notice=speed-dial-saved"
    assert refused_reply.status == 422
    assert 'id="code-error"' in refused_reply.body
    assert "digits only, 1 to 3" in refused_reply.body
    assert "*03" in listed and "Typo" not in listed

    removed = web.post_form("/speed-dials/3/remove", {}, csrf_from="/speed-dials")
    assert removed.headers["location"] == "/speed-dials?notice=speed-dial-removed"
    assert "*03" not in web.get("/speed-dials").body
