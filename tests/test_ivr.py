"""IVR menus: refused when they point nowhere or in circles, and followed by
a real phone's DTMF through the real media service to a real extension."""

from __future__ import annotations

import time

import pytest

from tests.sipphone import Phone

TONE_101 = 697
TONE_102 = 1209


def phone(pbx, user, password, tone_hz, **kw) -> Phone:
    return Phone(
        user, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=tone_hz, **kw
    )


def ivr(pbx, number: str, *args: str):
    return pbx.cli("ivr", "set", number, "--name", f"menu {number}", *args, "--json")


def error_of(result) -> dict:
    assert result.returncode == 2, result.stdout + result.stderr
    return result.json()["error"]


def test_a_menu_pointing_at_nothing_is_refused_naming_the_choice(pbx_data):
    pbx_data.cli("extension", "add", "101", "--name", "Ann")
    error = error_of(
        ivr(pbx_data, "600", "--prompt", "dir-welcome", "--choice", "1=extension:109")
    )
    assert error["field"] == "--choice"
    assert "no such extension" in error["message"]
    error = error_of(
        ivr(pbx_data, "600", "--prompt", "dir-welcome", "--fallback", "ivr:700")
    )
    assert error["field"] == "--fallback"
    error = error_of(ivr(pbx_data, "600", "--prompt", "no-such-prompt"))
    assert error["field"] == "--prompt"
    assert pbx_data.cli("ivr", "list", "--json").json() == []


def test_a_key_given_twice_is_refused_naming_the_key(pbx_data):
    pbx_data.cli("extension", "add", "102", "--name", "Bob")
    assert ivr(pbx_data, "700", "--prompt", "dir-welcome").returncode == 0

    error = error_of(
        ivr(
            pbx_data,
            "701",
            "--prompt",
            "dir-welcome",
            "--choice",
            "1=ivr:700",
            "--choice",
            "1=extension:102",
        )
    )

    assert error["field"] == "--choice"
    assert "given twice" in error["message"]
    assert [m["number"] for m in pbx_data.cli("ivr", "list", "--json").json()] == [
        "700"
    ]


def test_menus_that_lead_back_to_themselves_are_refused(pbx_data):
    assert ivr(pbx_data, "601", "--prompt", "dir-welcome").returncode == 0
    assert (
        ivr(
            pbx_data, "600", "--prompt", "dir-welcome", "--choice", "2=ivr:601"
        ).returncode
        == 0
    )

    error = error_of(
        ivr(pbx_data, "601", "--prompt", "dir-welcome", "--choice", "9=ivr:600")
    )
    assert error["field"] == "--choice"
    assert "601 → 600 → 601" in error["message"]
    error = error_of(
        ivr(pbx_data, "600", "--prompt", "dir-welcome", "--fallback", "ivr:600")
    )
    assert error["field"] == "--fallback"
    # The refused change changed nothing.
    assert pbx_data.cli("ivr", "show", "601", "--json").json()["choices"] == {}


def test_a_menu_still_used_by_another_cannot_be_removed(pbx_data):
    assert ivr(pbx_data, "601", "--prompt", "dir-welcome").returncode == 0
    assert (
        ivr(
            pbx_data, "600", "--prompt", "dir-welcome", "--choice", "2=ivr:601"
        ).returncode
        == 0
    )
    error = error_of(pbx_data.cli("ivr", "remove", "601", "--json"))
    assert "600" in error["message"]


@pytest.fixture
def two_level_ivr(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    # 600 (main) --2--> 601 (sales) --1--> extension 101
    assert (
        ivr(
            pbx,
            "601",
            "--prompt",
            "dir-welcome",
            "--choice",
            "1=extension:101",
            "--no-dial-by-extension",
        ).returncode
        == 0
    )
    assert (
        ivr(pbx, "600", "--prompt", "dir-welcome", "--choice", "2=ivr:601").returncode
        == 0
    )
    return passwords


@pytest.mark.parametrize("dtmf", ["rfc4733", "info"])
def test_a_caller_walks_two_menus_by_dtmf_to_an_extension(pbx, two_level_ivr, dtmf):
    with (
        phone(pbx, "101", two_level_ivr["101"], TONE_101) as ann,
        phone(pbx, "102", two_level_ivr["102"], TONE_102) as caller,
    ):
        assert (ann.register(), caller.register()) == (200, 200)
        call = caller.call("600")
        call.wait_confirmed()
        time.sleep(0.5)
        call.send_dtmf("2", method=dtmf)
        time.sleep(1.0)
        call.send_dtmf("1", method=dtmf)

        incoming = ann.wait_incoming(timeout=10)
        incoming.wait_confirmed()
        # The caller's phone followed the transfer with a call of its own.
        transferred = next(c for c in caller.calls if c is not call)
        transferred.wait_confirmed()
        assert transferred.heard_tone(TONE_101), "caller hears the extension"
        assert incoming.heard_tone(TONE_102), "extension hears the caller"
        call.wait_disconnected(timeout=10)  # the IVR leg is gone
        transferred.hangup()


def test_a_caller_dials_an_extension_number_from_the_menu(pbx, two_level_ivr):
    with (
        phone(pbx, "101", two_level_ivr["101"], TONE_101) as ann,
        phone(pbx, "102", two_level_ivr["102"], TONE_102) as caller,
    ):
        assert (ann.register(), caller.register()) == (200, 200)
        call = caller.call("600")
        call.wait_confirmed()
        time.sleep(0.5)
        call.send_dtmf("101")
        incoming = ann.wait_incoming(timeout=10)
        incoming.wait_confirmed()
        assert incoming.heard_tone(TONE_102)


def test_a_silent_caller_is_led_to_the_fallback(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    assert (
        ivr(
            pbx,
            "600",
            "--prompt",
            "beep",
            "--timeout",
            "1",
            "--retries",
            "2",
            "--fallback",
            "extension:101",
        ).returncode
        == 0
    )
    with (
        phone(pbx, "101", passwords["101"], TONE_101) as ann,
        phone(pbx, "102", passwords["102"], TONE_102) as caller,
    ):
        assert (ann.register(), caller.register()) == (200, 200)
        call = caller.call("600")
        call.wait_confirmed()
        # Nothing pressed: two tries of about a second each, then 101 rings.
        incoming = ann.wait_incoming(timeout=15)
        incoming.wait_confirmed()


def test_an_ivr_number_is_not_given_to_an_extension_or_the_other_way(pbx_data):
    assert ivr(pbx_data, "600", "--prompt", "dir-welcome").returncode == 0
    taken = pbx_data.cli("extension", "add", "600", "--name", "X", "--json")
    assert taken.returncode == 2
    assert taken.json()["error"]["field"] == "extension"
    assert "IVR menu" in taken.json()["error"]["message"]

    pbx_data.cli("extension", "add", "101", "--name", "A")
    error = error_of(ivr(pbx_data, "101", "--prompt", "dir-welcome"))
    assert error["field"] == "number"
