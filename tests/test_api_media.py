"""``/api/v1/voicemail`` and ``/api/v1/ivr`` against a running appliance."""

from __future__ import annotations

import pytest

from tests.pbx import RunningPbx
from tests.webclient import api_client

VOICEMAIL = "/api/v1/voicemail"
IVR = "/api/v1/ivr"


@pytest.fixture(scope="module")
def shared_pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("api-media") / "var").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin_api(shared_pbx):
    shared_pbx.cli("extension", "add", "401", "--name", "Desk")
    return api_client(shared_pbx, "administrator")


def test_a_mailbox_is_made_read_and_removed(admin_api):
    made = admin_api.request("PUT", f"{VOICEMAIL}/401", json_body={"pin": "2468"})
    read = admin_api.get(f"{VOICEMAIL}/401")
    listed = admin_api.get(VOICEMAIL)
    messages = admin_api.get(f"{VOICEMAIL}/401/messages")
    removed = admin_api.request("DELETE", f"{VOICEMAIL}/401")
    gone = admin_api.get(f"{VOICEMAIL}/401")

    assert made.status == 200, made.json()
    assert read.json()["new_messages"] == 0
    assert "pin" not in read.json() and "pin_hash" not in read.json()
    assert [b["extension"] for b in listed.json()] == ["401"]
    assert messages.json() == []
    assert removed.status == 204
    assert gone.status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pin": "12ab"}, "pin"),
        ({"pin": 1234}, "pin"),
        ({"pin": "2468", "max_message_s": 5}, "max_message_s"),
        ({"pin": "2468", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_mailbox_is_a_problem_naming_the_field(admin_api, body, field):
    refused = admin_api.request("PUT", f"{VOICEMAIL}/401", json_body=body)
    assert refused.status in {400, 422}
    assert refused.json()["field"] == field
    assert admin_api.get(f"{VOICEMAIL}/401").status == 404


@pytest.mark.parametrize(
    ("pin", "rule"),
    [
        ("258", "4 to 10 digits"),
        ("0000", "one digit repeated"),
        ("1234", "a run of digits"),
        ("43210", "a run of digits"),
        ("7890", "a run of digits"),
        ("4011", "the extension's own number"),
    ],
)
def test_a_pin_anyone_would_guess_is_refused_naming_the_rule(
    shared_pbx, admin_api, pin, rule
):
    shared_pbx.cli("extension", "add", "4011", "--name", "Guessable")
    api = admin_api.request("PUT", f"{VOICEMAIL}/4011", json_body={"pin": pin})
    cli = shared_pbx.cli("voicemail", "set", "4011", "--pin", pin, "--json")

    assert api.status == 422 and api.json()["field"] == "pin"
    assert rule in api.json()["detail"] and f'"{pin}"' not in api.json()["detail"]
    assert cli.returncode == 2 and rule in cli.json()["error"]["message"]
    assert admin_api.get(f"{VOICEMAIL}/4011").status == 404


def test_an_ivr_menu_is_saved_and_a_loop_refused_naming_the_field(admin_api):
    sub = admin_api.request(
        "PUT", f"{IVR}/701", json_body={"name": "Sub", "prompt": "dir-welcome"}
    )
    main = admin_api.request(
        "PUT",
        f"{IVR}/700",
        json_body={
            "name": "Main",
            "prompt": "dir-welcome",
            "choices": {"1": "extension:401", "2": "ivr:701"},
        },
    )
    loop = admin_api.request(
        "PUT",
        f"{IVR}/701",
        json_body={"name": "Sub", "prompt": "dir-welcome", "fallback": "ivr:700"},
    )
    missing = admin_api.request(
        "PUT",
        f"{IVR}/702",
        json_body={"name": "X", "prompt": "dir-welcome", "choices": {"3": "ivr:999"}},
    )

    assert (sub.status, main.status) == (201, 201)
    assert main.json()["choices"] == {"1": "extension:401", "2": "ivr:701"}
    assert loop.status == 422 and loop.json()["field"] == "fallback"
    assert missing.status == 422 and missing.json()["field"] == "choices.3"
    assert admin_api.get(f"{IVR}/701").json()["fallback"] == "hangup"
    assert admin_api.request("DELETE", f"{IVR}/701").status == 422
    assert admin_api.request("DELETE", f"{IVR}/700").status == 204
    assert admin_api.request("DELETE", f"{IVR}/701").status == 204


def test_a_key_given_twice_in_the_choices_is_a_problem_naming_it(admin_api):
    body = (
        b'{"name": "Main", "prompt": "dir-welcome",'
        b' "choices": {"1": "hangup", "1": "extension:401"}}'
    )

    reply = admin_api.request(
        "PUT", f"{IVR}/703", body=body, headers={"Content-Type": "application/json"}
    )

    assert reply.status == 400, reply.body
    assert reply.json()["field"] == "choices.1"
    assert "given twice" in reply.json()["detail"]
    assert admin_api.request("GET", f"{IVR}/703").status == 404


def test_an_operator_may_read_but_not_change_menus(shared_pbx):
    operator = api_client(shared_pbx, "operator")
    assert operator.get(IVR).status == 200
    refused = operator.request(
        "PUT", f"{IVR}/703", json_body={"name": "X", "prompt": "dir-welcome"}
    )
    assert refused.status == 403


def test_a_conference_room_is_made_with_a_pin_never_shown(admin_api):
    made = admin_api.request(
        "PUT", "/api/v1/conference/810", json_body={"name": "Board", "pin": "1357"}
    )
    too_big = admin_api.request(
        "PUT", "/api/v1/conference/811", json_body={"name": "All", "max_members": 30}
    )
    assert made.status == 201
    assert made.json() == {
        "number": "810",
        "name": "Board",
        "has_pin": True,
        "max_members": 4,
    }
    assert too_big.status == 422 and too_big.json()["field"] == "max_members"
    assert admin_api.request("DELETE", "/api/v1/conference/810").status == 204
