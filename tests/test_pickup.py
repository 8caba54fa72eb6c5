"""Call pickup through a real Kamailio, with real pjsua2 phones and audio.

101 calls, 102 rings; 103 (in 102's pickup group) or another extension
answers the call from its own phone with ``*8`` or ``**102``. The picking
phone is set as a desk phone that honours auto-answer headers ("auto"): it
talks only if the PBX asked it to answer by itself.
"""

from __future__ import annotations

import time

import pytest

from tests.pbx import RunningPbx
from tests.sipphone import CallFailed, Phone
from tests.sipraw import DialogWatcher
from tests.webclient import api_client, field_error, signed_in

TONE = {"101": 697, "102": 1209, "103": 1477, "104": 941}


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("pickup") / "var").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def passwords(pbx):
    made = {number: pbx.add_extension(number) for number in TONE}
    for number, group in (("102", "sales"), ("103", "sales"), ("104", "support")):
        result = pbx.cli("extension", "set-pickup-group", number, group)
        assert result.returncode == 0, result.stderr
    return made


def phone(pbx, passwords, user: str, answer: str = "ring") -> Phone:
    return Phone(
        user,
        passwords[user],
        server="127.0.0.1",
        port=pbx.sip_port,
        tone_hz=TONE[user],
        answer_incoming=answer,
    )


def refused(picker: Phone, code: str) -> tuple[int | None, str]:
    with pytest.raises(CallFailed) as failed:
        picker.call(code).wait_confirmed()
    return failed.value.status_code, failed.value.reason


def ended_records(pbx, call_id: str, timeout: float = 5.0) -> list[dict]:
    """The call records of this Call-ID once its call has ended."""
    deadline = time.monotonic() + timeout
    while True:
        result = pbx.cli("cdr", "list", "--json")
        assert result.returncode == 0, result.stderr
        rows = [r for r in result.json() if r["call_id"] == call_id]
        if (rows and rows[0]["disposition"]) or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


@pytest.mark.parametrize("code", ["*8", "**102"])
def test_a_group_member_picks_up_the_ringing_call_and_talks_to_the_caller(
    pbx, passwords, code
):
    with (
        phone(pbx, passwords, "101") as caller,
        phone(pbx, passwords, "102") as callee,
        phone(pbx, passwords, "103", answer="auto") as picker,
    ):
        assert (caller.register(), callee.register(), picker.register()) == (200,) * 3
        call = caller.call("102")
        ringing = callee.wait_incoming()
        call.wait_ringing()

        assert refused(picker, code) == (487, "Picked Up")
        picked = picker.wait_incoming()
        call.wait_confirmed()
        picked.wait_confirmed()

        assert call.heard_tone(TONE["103"]), "the caller does not hear the picker"
        assert picked.heard_tone(TONE["101"]), "the picker does not hear the caller"
        assert ringing.wait_disconnected() == 487  # 102 stopped ringing
        call.hangup()
        picked.wait_disconnected()
        rows = ended_records(pbx, call.sip_call_id)
        assert [(r["src"], r["dst"], r["disposition"]) for r in rows] == [
            ("101", "103", "answered")
        ]


def test_anyone_picks_up_an_extension_in_no_group_by_its_number(pbx, passwords):
    with (
        phone(pbx, passwords, "102") as caller,
        phone(pbx, passwords, "101") as callee,
        phone(pbx, passwords, "104", answer="auto") as picker,
    ):
        assert (caller.register(), callee.register(), picker.register()) == (200,) * 3
        call = caller.call("101")
        ringing = callee.wait_incoming()
        call.wait_ringing()

        assert refused(picker, "**101") == (487, "Picked Up")
        picked = picker.wait_incoming()
        call.wait_confirmed()
        assert call.heard_tone(TONE["104"]) and picked.heard_tone(TONE["102"])
        assert ringing.wait_disconnected() == 487
        call.hangup()


def test_a_picker_outside_the_group_is_refused_and_the_call_rings_on(pbx, passwords):
    with (
        phone(pbx, passwords, "101") as caller,
        phone(pbx, passwords, "102") as callee,
        phone(pbx, passwords, "104", answer="auto") as outsider,
    ):
        assert (caller.register(), callee.register(), outsider.register()) == (200,) * 3
        call = caller.call("102")
        ringing = callee.wait_incoming()
        call.wait_ringing()

        assert refused(outsider, "**102") == (403, "Not In That Pickup Group")
        assert refused(outsider, "*8") == (480, "Nothing To Pick Up")
        assert outsider.invites_received == 0
        ringing.answer()
        call.wait_confirmed()
        assert call.heard_tone(TONE["102"])
        call.hangup()


def test_with_nothing_ringing_the_picker_hears_why(pbx, passwords):
    with phone(pbx, passwords, "103") as picker:
        assert picker.register() == 200
        assert refused(picker, "*8") == (480, "Nothing To Pick Up")
        assert refused(picker, "**102") == (480, "Nothing To Pick Up")
    with phone(pbx, passwords, "101") as loner:
        assert loner.register() == 200
        assert refused(loner, "*8") == (403, "Not In A Pickup Group")


def test_a_pickup_group_name_is_checked_and_shown(pbx, passwords):
    bad = pbx.cli("extension", "set-pickup-group", "101", "sales team!")
    assert bad.returncode != 0
    assert 'group "sales team!": letters, digits' in bad.stderr
    shown = pbx.cli("extension", "show", "101", "--json").json()
    assert shown["pickup_group"] == ""
    assert pbx.cli("extension", "show", "103", "--json").json()["pickup_group"] == (
        "sales"
    )


def test_a_blf_key_picks_up_with_replaces_naming_the_early_dialog(pbx, passwords):
    with (
        DialogWatcher("127.0.0.1", pbx.sip_port) as lamp,
        phone(pbx, passwords, "101") as caller,
        phone(pbx, passwords, "102") as callee,
        phone(pbx, passwords, "103", answer="auto") as picker,
    ):
        assert (caller.register(), callee.register(), picker.register()) == (200,) * 3
        assert lamp.subscribe("103", passwords["103"], "102").status in (200, 202)
        lamp.next_state()
        call = caller.call("102")
        ringing = callee.wait_incoming()
        assert lamp.wait_state("early")[-1] == "early"
        dialog = lamp.dialogs[-1]
        assert dialog["call-id"] == call.sip_call_id

        replaces = (
            f"{dialog['call-id']};to-tag={dialog.get('local-tag', '')}"
            f";from-tag={dialog.get('remote-tag', '')};early-only"
        )
        pickup = picker.call("102", headers={"Replaces": replaces})
        with pytest.raises(CallFailed) as failed:
            pickup.wait_confirmed()
        assert (failed.value.status_code, failed.value.reason) == (487, "Picked Up")
        picked = picker.wait_incoming()
        call.wait_confirmed()
        assert call.heard_tone(TONE["103"]) and picked.heard_tone(TONE["101"])
        assert ringing.wait_disconnected() == 487
        assert callee.invites_received == 1  # the Replaces INVITE never rang it
        call.hangup()
        assert lamp.wait_state("terminated")[-1] == "terminated"


def test_the_pickup_group_is_set_on_the_extension_s_page_and_through_the_api(
    pbx, passwords
):
    web = signed_in(pbx)
    bad = web.post_form(
        "/extensions/101",
        {"display_name": "101", "enabled": "on", "pickup_group": "front desk"},
    )
    unchanged = pbx.cli("extension", "show", "101", "--json").json()["pickup_group"]
    saved = web.post_form(
        "/extensions/101",
        {"display_name": "101", "enabled": "on", "pickup_group": "front-desk"},
    )
    shown = web.get("/extensions/101").body

    assert bad.status == 422
    assert field_error(bad.body, "pickup_group").startswith(
        'pickup group "front desk": letters, digits, - and _ only'
    )
    assert unchanged == ""
    assert saved.status == 303
    assert 'name="pickup_group" type="text" value="front-desk"' in shown

    api = api_client(pbx, "administrator")
    refused = api.request(
        "PATCH", "/api/v1/extensions/101", json_body={"pickup_group": "x" * 17}
    )
    cleared = api.request(
        "PATCH", "/api/v1/extensions/101", json_body={"pickup_group": ""}
    )
    assert refused.status in (400, 422)
    assert "pickup" in refused.json()["detail"]
    assert cleared.status == 200 and cleared.json()["pickup_group"] == ""
