"""Call queues with real phones: a caller waits with music, agents are rung
as the strategy says, the one who answers talks with the caller, and a
caller nobody takes goes to the queue's failover.

Every phone is a pjsua2 user agent (tests.sipphone) playing a tone of its
own; the queue runs in the appliance's own media workers.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.sipphone import Phone

TONES = {"101": 697, "102": 1209, "103": 1633}
# The queue's music: a steady tone no phone sends.
MUSIC_HZ = 523
PIN = "4713"


def phone(pbx, user, password, **kw) -> Phone:
    return Phone(
        user, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=TONES[user], **kw
    )


@pytest.fixture
def extensions(pbx):
    return {number: pbx.add_extension(number) for number in TONES}


@pytest.fixture
def music(pbx, tmp_path):
    """Uploaded music named hold-tone: a MUSIC_HZ tone."""
    path = tmp_path / "tone.wav"
    tone = ["synth", "3", "sine", str(MUSIC_HZ), "vol", "0.5"]
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), *tone],
        check=True,
    )
    result = pbx.cli("music", "upload", "hold-tone", str(path))
    assert result.returncode == 0, result.stderr
    return "hold-tone"


def no_longer_hears(call, hz: int, timeout: float = 5.0) -> bool:
    """True once the latest received audio no longer holds the tone hz."""
    deadline = time.monotonic() + timeout
    while call.heard_tone(hz, timeout=0):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def logged(pbx, line: str, timeout: float = 5.0) -> bool:
    """True once the appliance's logs hold line."""
    deadline = time.monotonic() + timeout
    while line not in pbx.log():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def add_queue(pbx, *args: str) -> dict:
    result = pbx.cli("queue", "add", "600", "--name", "Sales", *args, "--json")
    assert result.returncode == 0, result.stderr
    return result.json()


def test_ring_all_rings_every_agent_and_the_one_who_answers_talks_with_the_caller(
    pbx, extensions, music
):
    # The caller is an agent too: a queue never rings the one calling it.
    add_queue(
        pbx, "--strategy", "ring-all", "--agents", "101,102,103", "--music", music
    )
    with (
        phone(pbx, "101", extensions["101"]) as caller,
        phone(pbx, "102", extensions["102"], answer_incoming="ring") as agent,
        phone(pbx, "103", extensions["103"], answer_incoming="ring") as other,
    ):
        assert (caller.register(), agent.register(), other.register()) == (200,) * 3
        call = caller.call("600")
        call.wait_confirmed()
        assert call.heard_tone(MUSIC_HZ), "the waiting caller hears no music"

        ringing = agent.wait_incoming(timeout=5)
        not_taken = other.wait_incoming(timeout=5)
        status = pbx.cli("queue", "status", "600", "--json").json()
        assert [w["caller"] for w in status["waiting"]] == ["101"]
        assert {a["extension"]: a["state"] for a in status["agents"]} == {
            "101": "idle",
            "102": "ringing",
            "103": "ringing",
        }
        assert caller.invites_received == 0, "the calling agent was rung"

        ringing.answer()
        assert call.heard_tone(TONES["102"], timeout=8), "the caller hears no agent"
        assert ringing.heard_tone(TONES["101"], timeout=8), "the agent hears no caller"
        assert no_longer_hears(call, MUSIC_HZ), "the music goes on"
        not_taken.wait_disconnected(timeout=5)
        status = pbx.cli("queue", "status", "600", "--json").json()
        assert status["waiting"] == []
        assert {a["extension"]: a["state"] for a in status["agents"]} == {
            "101": "idle",
            "102": "talking",
            "103": "idle",
        }

        call.hangup()
        ringing.wait_disconnected(timeout=5)
    assert logged(pbx, "queue 600: 101 hung up on 102"), "the log names not the caller"


def test_an_agent_transfers_a_queue_call_and_the_caller_talks_with_the_target(
    pbx, extensions
):
    add_queue(pbx, "--strategy", "linear", "--agents", "102")
    with (
        phone(pbx, "101", extensions["101"], display_name="Ann Lee") as caller,
        phone(pbx, "102", extensions["102"], answer_incoming="answer") as agent,
        phone(pbx, "103", extensions["103"], answer_incoming="ring") as target,
    ):
        assert (caller.register(), agent.register(), target.register()) == (200,) * 3
        call = caller.call("600")
        call.wait_confirmed()
        answered = agent.wait_incoming(timeout=8)
        assert answered.remote_uri == '"Ann Lee" <sip:101@127.0.0.1>'
        assert call.heard_tone(TONES["102"], timeout=8), "the caller hears no agent"
        monitor = pbx.cli("monitor", "--json").json()
        states = {e["number"]: e["state"] for e in monitor["extensions"]}
        assert (states["101"], states["102"]) == ("in use", "in use")

        answered.transfer("103")
        ringing = target.wait_incoming(timeout=5)
        # The target sees who really calls, as for 101's own call, and who
        # handed the call on.
        assert ringing.remote_uri == '"Ann Lee" <sip:101@127.0.0.1>'
        assert ringing.referred_by == "<sip:102@127.0.0.1>"
        ringing.answer()
        assert answered.wait_transfer_result() == 200
        assert answered.wait_disconnected(timeout=5) is not None  # 102 left
        assert call.heard_tone(TONES["103"], timeout=8), "the caller hears no target"
        assert ringing.heard_tone(TONES["101"], timeout=8), "the target hears no one"
        assert call.heard_tone(TONES["103"], timeout=0)  # the caller stays

        call.hangup()
        ringing.wait_disconnected(timeout=5)

    assert logged(pbx, "queue 600: 101 hung up on the transfer target")
    assert "queue 600: 102 hung up on 101" not in pbx.log()
    rows = ended_records(pbx, 2)
    assert [
        (r["src"], r["caller_name"], r["dst"], r["agent"], r["transferred_by"])
        for r in rows
    ] == [
        ("101", "Ann Lee", "600", "102", ""),
        ("101", "Ann Lee", "103", "", "102"),
    ]
    assert [r["disposition"] for r in rows] == ["answered", "answered"]
    assert rows[0]["billsec"] >= 1
    today = pbx.cli("queue", "status", "600", "--json").json()["today"]
    counts = {k: today[k] for k in ("offered", "answered", "abandoned", "timed_out")}
    assert counts == {"offered": 1, "answered": 1, "abandoned": 0, "timed_out": 0}


def test_linear_rings_the_agents_in_order_each_for_the_ring_time(pbx, extensions):
    add_queue(pbx, "--strategy", "linear", "--agents", "102,103", "--ring-time", "5")
    with (
        phone(pbx, "101", extensions["101"]) as caller,
        phone(pbx, "102", extensions["102"], answer_incoming="ring") as first,
        phone(pbx, "103", extensions["103"], answer_incoming="answer") as second,
    ):
        assert (caller.register(), first.register(), second.register()) == (200,) * 3
        call = caller.call("600")
        call.wait_confirmed()

        unanswered = first.wait_incoming(timeout=5)
        time.sleep(2)
        assert second.invites_received == 0, "the second agent rang with the first"
        unanswered.wait_disconnected(timeout=8)
        answered = second.wait_incoming(timeout=5)
        assert call.heard_tone(TONES["103"], timeout=8)
        assert answered.heard_tone(TONES["101"], timeout=8)
        call.hangup()


def test_a_caller_nobody_takes_goes_to_the_failover_after_the_longest_wait(
    pbx, extensions
):
    assert pbx.cli("voicemail", "set", "102", "--pin", PIN).returncode == 0
    # 103 has no phone registered: nobody can take the call.
    add_queue(pbx, "--agents", "103", "--max-wait", "10", "--failover", "voicemail:102")
    with phone(pbx, "101", extensions["101"]) as caller:
        assert caller.register() == 200
        call = caller.call("600")
        call.wait_confirmed()
        time.sleep(8)
        assert pbx.cli("voicemail", "messages", "102", "--json").json() == []
        time.sleep(4)  # past the longest wait: the mailbox's greeting
        call.send_dtmf("1")  # skips the greeting to the tone
        time.sleep(3.5)
        call.hangup()
        call.wait_disconnected()

    deadline = time.monotonic() + 5
    found = []
    while time.monotonic() < deadline and not found:
        found = pbx.cli("voicemail", "messages", "102", "--json").json()
        time.sleep(0.2)
    assert [m["caller"] for m in found] == ["101"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--name", "Q", "--strategy", "loudest"), "--strategy"),
        (("--name", "Q", "--agents", "102,109"), "--agents"),
        (("--name", "Q", "--agents", "102,102"), "--agents"),
        (("--name", "Q", "--ring-time", "2"), "--ring-time"),
        (("--name", "Q", "--max-wait", "99999"), "--max-wait"),
        (("--name", "Q", "--failover", "extension:109"), "--failover"),
        (("--name", "Q", "--failover", "fax:102"), "--failover"),
        (("--name", "Q", "--failover", "queue:600"), "--failover"),
        (("--name", "Q", "--music", "no-such-music"), "--music"),
        (("--name", "", "--agents", "102"), "--name"),
        (("--name", "Front\ndesk", "--agents", "102"), "--name"),
        (("--name", 'The "A" team', "--agents", "102"), "--name"),
    ],
)
def test_a_queue_with_a_bad_field_is_refused_naming_it_and_nothing_is_saved(
    pbx_data, args, field
):
    pbx_data.cli("extension", "add", "102", "--name", "B")
    result = pbx_data.cli("queue", "add", "600", *args, "--json")
    assert result.returncode == 2, result.stdout
    assert result.json()["error"]["field"] == field
    assert result.json()["error"]["message"].startswith(field)
    assert pbx_data.cli("queue", "list", "--json").json() == []


def test_a_queue_number_shares_the_number_space_and_changes_keep_the_rest(pbx_data):
    pbx_data.cli("extension", "add", "102", "--name", "B")
    taken = pbx_data.cli("queue", "add", "102", "--name", "Q", "--json")
    assert taken.json()["error"]["field"] == "number"
    assert "extension" in taken.json()["error"]["message"]

    made = pbx_data.cli(
        "queue", "add", "600", "--name", "Q", "--agents", "102", "--json"
    )
    assert made.returncode == 0, made.stderr
    changed = pbx_data.cli("queue", "set", "600", "--strategy", "linear", "--json")
    assert changed.json()["agents"] == ["102"]
    assert changed.json()["strategy"] == "linear"
    room = pbx_data.cli("conference", "set", "600", "--name", "R", "--json")
    assert room.json()["error"]["field"] == "number"


def test_a_queue_another_fails_over_to_is_not_removed(pbx_data):
    pbx_data.cli("extension", "add", "102", "--name", "B")
    for number, failover in (("600", "hangup"), ("601", "queue:600")):
        made = pbx_data.cli(
            "queue", "add", number, "--name", "Q", "--agents", "102",
            "--failover", failover,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr

    refused = pbx_data.cli("queue", "remove", "600", "--json")

    assert refused.returncode == 2
    assert refused.json()["error"]["field"] == "number"
    assert "queue 601 (failover)" in refused.json()["error"]["message"]
    listed = pbx_data.cli("queue", "list", "--json").json()
    assert [q["number"] for q in listed] == ["600", "601"]


def test_an_agent_logs_in_with_star_45_takes_a_call_and_logs_out_with_star_46(
    pbx, extensions
):
    add_queue(pbx, "--strategy", "round-robin")
    with (
        phone(pbx, "101", extensions["101"]) as caller,
        phone(pbx, "102", extensions["102"], answer_incoming="answer") as agent,
    ):
        assert (caller.register(), agent.register()) == (200, 200)
        login = agent.call("*45600")
        login.wait_confirmed()
        login.wait_disconnected(timeout=10)  # "agent logged in", goodbye
        agents = pbx.cli("queue", "agents", "600", "--json").json()
        assert agents == {"static": [], "logged_in": ["102"]}

        call = caller.call("600")
        call.wait_confirmed()
        answered = agent.wait_incoming(timeout=8)
        assert call.heard_tone(TONES["102"], timeout=8)
        assert answered.heard_tone(TONES["101"], timeout=8)
        call.hangup()
        answered.wait_disconnected(timeout=5)

        logout = agent.call("*46600")
        logout.wait_confirmed()
        logout.wait_disconnected(timeout=10)
        agents = pbx.cli("queue", "agents", "600", "--json").json()
        assert agents == {"static": [], "logged_in": []}


def test_an_agent_in_a_queue_call_is_not_rung_for_the_next_caller(pbx, extensions):
    password = pbx.add_extension("104")
    add_queue(pbx, "--strategy", "linear", "--agents", "102,103")
    with (
        phone(pbx, "101", extensions["101"]) as first_caller,
        Phone(
            "104", password, server="127.0.0.1", port=pbx.sip_port, tone_hz=941
        ) as second_caller,
        phone(pbx, "102", extensions["102"], answer_incoming="answer") as busy,
        phone(pbx, "103", extensions["103"], answer_incoming="answer") as free,
    ):
        for p in (first_caller, second_caller, busy, free):
            assert p.register() == 200
        first = first_caller.call("600")
        first.wait_confirmed()
        assert first.heard_tone(TONES["102"], timeout=8)

        second = second_caller.call("600")
        second.wait_confirmed()
        assert second.heard_tone(TONES["103"], timeout=8)
        assert busy.invites_received == 1, "the agent in a call was rung again"
        assert first.heard_tone(TONES["102"], timeout=0)
        first.hangup()
        second.hangup()


def test_an_ivr_key_sends_the_caller_to_a_queue(pbx, extensions):
    add_queue(pbx, "--agents", "102")
    menu = pbx.cli(
        "ivr", "set", "700", "--name", "Main", "--prompt", "dir-welcome",
        "--choice", "1=queue:600", "--json",
    )  # fmt: skip
    assert menu.returncode == 0, menu.stderr
    with (
        phone(pbx, "101", extensions["101"]) as caller,
        phone(pbx, "102", extensions["102"], answer_incoming="answer") as agent,
    ):
        assert (caller.register(), agent.register()) == (200, 200)
        call = caller.call("700")
        call.wait_confirmed()
        time.sleep(0.5)
        call.send_dtmf("1")
        answered = agent.wait_incoming(timeout=8)
        assert call.heard_tone(TONES["102"], timeout=8)
        assert answered.heard_tone(TONES["101"], timeout=8)
        call.hangup()


def test_a_waiting_caller_hears_the_position_announced_between_the_music(
    pbx, extensions, music
):
    add_queue(
        pbx, "--music", music, "--announce-position", "on", "--announce-every", "20"
    )  # no agent: the caller waits
    with phone(pbx, "101", extensions["101"]) as caller:
        assert caller.register() == 200
        call = caller.call("600")
        call.wait_confirmed()
        assert call.heard_tone(MUSIC_HZ), "the waiting caller hears no music"
        started = time.monotonic()
        assert no_longer_hears(call, MUSIC_HZ, timeout=25), "no announcement"
        assert time.monotonic() - started >= 12, "announced before its time"
        assert call.heard_tone(MUSIC_HZ, timeout=10), "the music does not come back"
        status = pbx.cli("queue", "status", "600", "--json").json()
        assert [w["caller"] for w in status["waiting"]] == ["101"]
        assert status["waiting"][0]["wait_s"] >= 20
        call.hangup()


def ended_records(pbx, count: int, timeout: float = 8.0) -> list[dict]:
    """The newest call records once count of them have ended, oldest first."""
    deadline = time.monotonic() + timeout
    while True:
        found = pbx.cli("cdr", "list", "--json").json()
        if sum(1 for r in found if r["end"]) >= count or time.monotonic() > deadline:
            return list(reversed(found))
        time.sleep(0.2)


def test_the_record_names_the_agent_who_answered_and_a_caller_who_gave_up_is_no_answer(
    pbx, extensions
):
    add_queue(pbx, "--strategy", "linear", "--agents", "102")
    with (
        phone(pbx, "101", extensions["101"]) as caller,
        phone(pbx, "102", extensions["102"], answer_incoming="ring") as agent,
    ):
        assert (caller.register(), agent.register()) == (200, 200)
        call = caller.call("600")
        call.wait_confirmed()
        ringing = agent.wait_incoming(timeout=8)
        time.sleep(3)  # the caller waits: the worker's answer is no agent's
        ringing.answer()
        assert call.heard_tone(TONES["102"], timeout=8)
        call.hangup()
        ringing.wait_disconnected(timeout=5)

        given_up = caller.call("600")
        given_up.wait_confirmed()
        unanswered = agent.wait_incoming(timeout=8)
        time.sleep(2)
        given_up.hangup()  # while the agent rings: nobody took it
        unanswered.wait_disconnected(timeout=5)

    answered, abandoned = ended_records(pbx, 2)
    assert (answered["dst"], answered["agent"]) == ("600", "102")
    assert answered["disposition"] == "answered"
    assert answered["wait_s"] >= 3
    assert (abandoned["disposition"], abandoned["queue_outcome"]) == (
        "no answer",
        "abandoned",
    )
    assert (abandoned["agent"], abandoned["answer"], abandoned["billsec"]) == (
        "",
        None,
        0,
    )
    today = pbx.cli("queue", "status", "600", "--json").json()["today"]
    counts = {k: today[k] for k in ("offered", "answered", "abandoned", "timed_out")}
    assert counts == {"offered": 2, "answered": 1, "abandoned": 1, "timed_out": 0}
    assert [(a["extension"], a["answered"]) for a in today["agents"]] == [("102", 1)]


def test_a_static_agent_s_login_codes_change_nothing_and_say_so(pbx, extensions):
    add_queue(pbx, "--agents", "102")
    with phone(pbx, "102", extensions["102"]) as agent:
        assert agent.register() == 200
        for code in ("*46600", "*45600"):
            call = agent.call(code)
            call.wait_confirmed()
            call.wait_disconnected(timeout=10)
            agents = pbx.cli("queue", "agents", "600", "--json").json()
            assert agents == {"static": ["102"], "logged_in": []}, code

    for extension in ("102", "999"):
        refused = pbx.cli("queue", "agents", "600", "--logout", extension, "--json")
        assert refused.returncode == 2, refused.stdout
        assert refused.json()["error"]["field"] == "--logout"
    login = pbx.cli("queue", "agents", "600", "--login", "102")
    assert login.returncode == 2, login.stdout
    assert "a static agent of queue 600, always logged in" in login.stderr


def test_music_a_queue_plays_is_not_removed_and_names_the_queue(pbx_data, tmp_path):
    path = tmp_path / "tone.wav"
    tone = ["synth", "1", "sine", str(MUSIC_HZ)]
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), *tone],
        check=True,
    )
    assert pbx_data.cli("music", "upload", "jazz", str(path)).returncode == 0
    pbx_data.cli("extension", "add", "101", "--name", "A")
    made = pbx_data.cli(
        "queue", "add", "651", "--name", "Q", "--agents", "101", "--music", "jazz"
    )
    assert made.returncode == 0, made.stderr

    refused = pbx_data.cli("music", "remove", "jazz", "--json")

    assert refused.returncode == 2
    assert refused.json()["error"]["field"] == "name"
    assert "still the music of queue 651" in refused.json()["error"]["message"]
    listed = pbx_data.cli("music", "list", "--json").json()
    assert [m["name"] for m in listed] == ["jazz"]
    resaved = pbx_data.cli("queue", "set", "651", "--music", "jazz")
    assert resaved.returncode == 0, resaved.stderr
