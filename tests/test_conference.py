"""Conference rooms with real phones: everyone hears everyone else."""

from __future__ import annotations

import time

from tests.sipphone import Phone

TONES = {"101": 697, "102": 1209, "103": 1633}


def phone(pbx, user, password) -> Phone:
    return Phone(
        user, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=TONES[user]
    )


def test_three_phones_in_a_room_each_hear_the_two_others(pbx):
    passwords = {n: pbx.add_extension(n) for n in TONES}
    created = pbx.cli("conference", "set", "800", "--name", "Weekly", "--pin", "7777")
    assert created.returncode == 0, created.stderr
    with (
        phone(pbx, "101", passwords["101"]) as a,
        phone(pbx, "102", passwords["102"]) as b,
        phone(pbx, "103", passwords["103"]) as c,
    ):
        calls = {}
        for p in (a, b, c):
            assert p.register() == 200
            call = p.call("800")
            call.wait_confirmed()
            time.sleep(0.5)
            call.send_dtmf("7777#")
            calls[p.user] = call
        time.sleep(3)  # the last one hears the count and the tone first

        for user, call in calls.items():
            for other, hz in TONES.items():
                if other != user:
                    assert call.heard_tone(hz, timeout=8), f"{user} hears {other}"


def test_a_wrong_room_pin_keeps_the_caller_out(pbx):
    password = pbx.add_extension("101")
    assert (
        pbx.cli("conference", "set", "800", "--name", "W", "--pin", "7777").returncode
        == 0
    )
    with phone(pbx, "101", password) as a:
        assert a.register() == 200
        call = a.call("800")
        call.wait_confirmed()
        for _ in range(3):
            time.sleep(0.5)
            call.send_dtmf("1234#")
            time.sleep(2.0)
        call.wait_disconnected(timeout=10)


def test_a_room_number_taken_by_an_extension_is_refused(pbx_data):
    pbx_data.cli("extension", "add", "101", "--name", "A")
    result = pbx_data.cli("conference", "set", "101", "--name", "X", "--json")
    assert result.returncode == 2
    assert result.json()["error"]["field"] == "number"
    result = pbx_data.cli(
        "conference", "set", "800", "--name", "X", "--max-members", "30", "--json"
    )
    assert result.json()["error"]["field"] == "max_members"
