"""Intercom (*80 and an extension): the callee's phone answers by itself.

The phones are real pjsua2 user agents set to answer only when the INVITE
asks for it ("auto"), so a call that connects proves the header arrived.
"""

from __future__ import annotations

import re

import pytest

from agent.sip.auto_answer import asks_auto_answer, auto_answer_headers
from tests.sipphone import CallFailed, Phone

TONE = {"101": 697, "102": 1209}


def phone(pbx, number: str, password: str, **kw) -> Phone:
    return Phone(
        number,
        password,
        server="127.0.0.1",
        port=pbx.sip_port,
        tone_hz=TONE[number],
        **kw,
    )


@pytest.fixture
def extensions(pbx):
    return {n: pbx.add_extension(n) for n in TONE}


def test_intercom_is_answered_by_the_callee_s_phone_and_both_hear_each_other(
    pbx, extensions
):
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="auto") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("*80102")
        call.wait_confirmed()
        incoming = bob.wait_incoming()
        incoming.wait_confirmed()

        # The test phone's User-Agent is no known vendor: the default header.
        [header] = incoming.auto_answer_headers
        assert re.fullmatch(r"Call-Info: <sip:[^>]+>;answer-after=0", header)
        assert call.heard_tone(TONE["102"]), "the caller does not hear the callee"
        assert incoming.heard_tone(TONE["101"]), "the callee does not hear the caller"
        call.hangup()


def test_an_ordinary_call_to_a_phone_that_auto_answers_only_rings(pbx, extensions):
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="auto") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("102")
        call.wait_ringing()
        incoming = bob.wait_incoming()
        assert incoming.auto_answer_headers == []
        assert call.state != "confirmed"
        call.hangup()


def test_intercom_to_an_extension_on_do_not_disturb_is_busy_and_never_rings(
    pbx, extensions
):
    result = pbx.cli("extension", "dnd", "102", "on", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="auto") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("*80102")
        with pytest.raises(CallFailed) as failed:
            call.wait_confirmed()
        assert failed.value.status_code == 486
        assert bob.invites_received == 0


def test_intercom_to_a_number_that_is_no_extension_gets_404(pbx, extensions):
    with phone(pbx, "101", extensions["101"]) as alice:
        assert alice.register() == 200
        with pytest.raises(CallFailed) as failed:
            alice.call("*80999").wait_confirmed()
        with pytest.raises(CallFailed) as to_itself:
            alice.call("*80101").wait_confirmed()
        assert failed.value.status_code == 404
        # Its own phones would answer by themselves: a call to nobody.
        assert to_itself.value.status_code == 403


@pytest.mark.parametrize(
    ("user_agent", "header"),
    [
        (
            "Yealink SIP-T46S 66.86.0.15",
            "Alert-Info: <sip:pbx>;info=alert-autoanswer;delay=0",
        ),
        ("snomD785/10.1.54.13", "Alert-Info: <sip:pbx>;info=alert-autoanswer;delay=0"),
        ("PolycomVVX-VVX_411-UA/6.3.1.8427", "Alert-Info: Ring Answer"),
        ("Poly/7.2.2 VVX 450", "Alert-Info: Ring Answer"),
        ("PolyEdge-Edge_E350-UA/8.3.1.0614", "Alert-Info: Ring Answer"),
        ("Grandstream GXP2170 1.0.11.16", "Call-Info: <sip:pbx>;answer-after=0"),
        ("Cisco-CP8841-3PCC/11.3.1", "Call-Info: <sip:pbx>;answer-after=0"),
        ("Fanvil X4U 2.12.20", "Call-Info: <sip:pbx>;answer-after=0"),
        ("", "Call-Info: <sip:pbx>;answer-after=0"),
        ("Zoiper rv2.10", "Call-Info: <sip:pbx>;answer-after=0"),
    ],
)
def test_each_vendor_gets_the_header_it_honours(user_agent, header):
    assert auto_answer_headers(user_agent, "pbx") == [header]
    # The routing strips the same forms from a phone's ordinary call.
    assert asks_auto_answer(header.split(": ", 1)[1], "")


def test_an_ordinary_call_info_is_not_taken_for_auto_answer():
    assert not asks_auto_answer("<http://pbx/photo.png>;purpose=icon", "")
