"""Conference rooms with real phones: everyone hears everyone else; with a
moderator PIN, members may wait with music until the moderator comes, and
the room may end when the moderator leaves."""

from __future__ import annotations

import subprocess
import time

from agent.media.pool import CALLS_PER_WORKER
from tests.sipphone import Phone, PhoneHost

TONES = {"101": 697, "102": 1209, "103": 1633}
# Six members, more than the four calls the PyPI build of pjsua2 held; the
# tones stay clear of the 697 Hz join beep.
ROOM_TONES = {"101": 770, "102": 852, "103": 941, "104": 1209, "105": 1336, "106": 1633}
# The music on hold: a steady tone no phone sends.
MUSIC_HZ = 523
# Five equal tones in one mix score about 0.2 each (tests/sipphone.py's
# tone_share), under heard_tone's 0.25; anything not sent scores near 0.
SHARE_OF_ONE_OF_FIVE = 0.1
# Tones apart from the beep's 697 Hz, which members hear when someone joins.
WAITING_TONES = {"101": 941, "102": 1209, "103": 1633}


def phone(pbx, user, password, tones=TONES) -> Phone:
    return Phone(
        user, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=tones[user]
    )


def hears_all(call, tones: list[int], timeout: float) -> dict[int, float]:
    """Each tone's share of the received audio, once all reach
    SHARE_OF_ONE_OF_FIVE or the timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        shares = {hz: call.tone_share(hz) for hz in tones}
        if min(shares.values()) >= SHARE_OF_ONE_OF_FIVE:
            return shares
        if time.monotonic() >= deadline:
            return shares
        time.sleep(0.2)


def never_hears(call, hz: int, seconds: float = 2.0) -> bool:
    """True if the tone hz is absent from the received audio all along."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if call.heard_tone(hz, timeout=0):
            return False
        time.sleep(0.1)
    return True


def test_six_phones_in_a_room_each_hear_the_five_others(pbx):
    passwords = {n: pbx.add_extension(n) for n in ROOM_TONES}
    # No PIN: the members join on answer, with no digits to time under load.
    created = pbx.cli("conference", "set", "800", "--name", "Weekly")
    assert created.returncode == 0, created.stderr
    # One test process holds the six phones, so one media worker and one
    # test Endpoint each carry six calls at once.
    with PhoneHost() as host:
        phones = [
            Phone(
                user,
                passwords[user],
                server="127.0.0.1",
                port=pbx.sip_port,
                tone_hz=hz,
                host=host,
            )
            for user, hz in ROOM_TONES.items()
        ]
        calls = {}
        for p in phones:
            assert p.register() == 200
            call = p.call("800")
            call.wait_confirmed()
            calls[p.user] = call

        # The last one hears the count and the tone first: up to 3 s of the
        # wait below. Each member hears the five others mixed, and not itself.
        for user, call in calls.items():
            others = [hz for other, hz in ROOM_TONES.items() if other != user]
            shares = hears_all(call, others, timeout=11)
            assert min(shares.values()) >= SHARE_OF_ONE_OF_FIVE, (user, shares)
            assert call.tone_share(ROOM_TONES[user]) < SHARE_OF_ONE_OF_FIVE / 2


def upload_music(pbx, tmp_path) -> None:
    path = tmp_path / "tone.wav"
    tone = ["synth", "3", "sine", str(MUSIC_HZ), "vol", "0.5"]
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), *tone],
        check=True,
    )
    result = pbx.cli("music", "upload", "hold-tone", str(path))
    assert result.returncode == 0, result.stderr


def join(p: Phone, pin: str):
    assert p.register() == 200
    call = p.call("800")
    call.wait_confirmed()
    time.sleep(0.5)
    call.send_dtmf(pin + "#")
    return call


def test_members_wait_with_music_until_the_moderator_and_leave_with_the_moderator(
    pbx, tmp_path
):
    passwords = {n: pbx.add_extension(n) for n in TONES}
    upload_music(pbx, tmp_path)
    created = pbx.cli(
        "conference", "set", "800", "--name", "Board", "--pin", "1111",
        "--moderator-pin", "9999", "--wait-for-moderator", "--end-with-moderator",
        "--json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    room = created.json()
    assert room["has_moderator_pin"] and room["wait_for_moderator"]
    assert room["end_with_moderator"]
    with (
        phone(pbx, "101", passwords["101"], WAITING_TONES) as a,
        phone(pbx, "102", passwords["102"], WAITING_TONES) as b,
        phone(pbx, "103", passwords["103"], WAITING_TONES) as boss,
    ):
        members = {"101": join(a, "1111"), "102": join(b, "1111")}
        for user, call in members.items():
            assert call.heard_tone(MUSIC_HZ, timeout=10), f"{user} hears no music"
        for user, call in members.items():
            other = "102" if user == "101" else "101"
            assert never_hears(call, WAITING_TONES[other]), (
                f"{user} hears {other} before the moderator"
            )

        moderator = join(boss, "9999")
        # The count and the tone first: up to 2 s of the wait below.
        calls = {**members, "103": moderator}
        for user, call in calls.items():
            for other, hz in WAITING_TONES.items():
                if other != user:
                    assert call.heard_tone(hz, timeout=10), f"{user} hears {other}"

        moderator.hangup()
        for call in members.values():
            call.wait_disconnected(timeout=15)


def test_a_wrong_room_pin_keeps_the_caller_out(pbx):
    password = pbx.add_extension("101")
    created = pbx.cli(
        "conference", "set", "800", "--name", "W", "--pin", "7777",
        "--moderator-pin", "9999",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
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
        "conference",
        "set",
        "800",
        "--name",
        "X",
        "--max-members",
        str(CALLS_PER_WORKER + 1),
        "--json",
    )
    assert result.json()["error"]["field"] == "--max-members"
    result = pbx_data.cli(
        "conference", "set", "800", "--name", "X", "--wait-for-moderator", "--json"
    )
    assert result.json()["error"]["field"] == "--wait-for-moderator"
    result = pbx_data.cli(
        "conference", "set", "800", "--name", "X", "--pin", "1234",
        "--moderator-pin", "1234", "--json",
    )  # fmt: skip
    assert result.json()["error"]["field"] == "--moderator-pin"
    assert pbx_data.cli("conference", "list", "--json").json() == []
