"""Call park with real phones: an extension transfers its caller to a park
slot, the caller waits with music, anyone who dials the slot talks with
them, a call nobody takes rings its parker again, and a phone watching the
slot sees its lamp lit while a call is parked there.

Phones are pjsua2 user agents (tests.sipphone), each sending a tone of its
own; the lamp watcher is hand-made SIP (tests.sipraw.DialogWatcher).
"""

from __future__ import annotations

import re
import time

import pytest

from agent.park import lamp
from agent.settings import Settings
from tests.pbx import RunningPbx
from tests.sipphone import Phone
from tests.sipraw import DialogWatcher

TONES = {"101": 697, "102": 1209, "103": 1633}
SLOT = "7001"


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("park") / "var").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def passwords(pbx):
    return {number: pbx.add_extension(number) for number in TONES}


def phone(pbx, passwords, user, **kw) -> Phone:
    return Phone(
        user,
        passwords[user],
        server="127.0.0.1",
        port=pbx.sip_port,
        tone_hz=TONES[user],
        **kw,
    )


def wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("waited in vain")


def park_lamp_refusals(pbx) -> list[str]:
    """presence's log lines refusing a park lamp's PUBLISH for its entity
    tag (RFC 3903 section 4.4: 412): the lamp named a publication presence
    no longer keeps."""
    text = (pbx.data_dir / "logs" / "kamailio.log").read_text(errors="replace")
    return [
        line
        for line in text.splitlines()
        if "No E_Tag match" in line and " PUBLISH park-" in line
    ]


def parked_by_transfer(pbx, caller: Phone, parker: Phone, target: str):
    """caller calls parker, who transfers the caller to target and hangs up;
    the caller's new call, confirmed."""
    first = caller.call("102")
    first.wait_confirmed()
    parker.wait_incoming().wait_confirmed()
    parker.calls[-1].xfer(f"sip:{target}@127.0.0.1:{pbx.sip_port}")
    parked = wait_for(lambda: len(caller.calls) > 1 and caller.calls[-1])
    parked.wait_confirmed()
    parker.calls[-1].hangup()
    first.wait_disconnected()
    return parked


def test_a_parked_caller_talks_with_whoever_dials_the_slot_and_the_lamp_follows(
    pbx, passwords
):
    with (
        DialogWatcher("127.0.0.1", pbx.sip_port) as lamp,
        phone(pbx, passwords, "101") as caller,
        phone(pbx, passwords, "102", answer_incoming="answer") as parker,
        phone(pbx, passwords, "103") as taker,
    ):
        assert (caller.register(), parker.register(), taker.register()) == (200,) * 3
        assert lamp.subscribe("103", passwords["103"], SLOT).status in (200, 202)
        assert lamp.next_state() in ("idle", "terminated")

        parked = parked_by_transfer(pbx, caller, parker, SLOT)
        assert lamp.wait_state("confirmed")[-1] == "confirmed"
        listed = pbx.cli("park", "list", "--json").json()
        assert [(p["slot"], p["caller"], p["parked_by"]) for p in listed] == [
            (SLOT, "101", "102")
        ]
        monitor = pbx.cli("monitor", "--json").json()
        assert [p["slot"] for p in monitor["parked"]] == [SLOT]

        taking = taker.call(SLOT)
        taking.wait_confirmed()
        assert taking.heard_tone(TONES["101"]), "the taker does not hear the caller"
        assert parked.heard_tone(TONES["103"]), "the caller does not hear the taker"
        assert lamp.wait_state("terminated")[-1] == "terminated"
        assert pbx.cli("park", "list", "--json").json() == []

        taking.hangup()
        parked.wait_disconnected()
    assert park_lamp_refusals(pbx) == []


def test_a_queue_agent_parks_the_caller_and_whoever_dials_the_slot_talks_with_them(
    pbx, passwords
):
    """The queue's worker holds the caller and follows the agent's REFER to
    the slot: the slot shows the caller, not the worker, parked by the agent."""
    slot = "7003"
    added = pbx.cli("queue", "add", "600", "--name", "Sales", "--agents", "102")
    assert added.returncode == 0, added.stderr
    with (
        phone(pbx, passwords, "101") as caller,
        phone(pbx, passwords, "102", answer_incoming="answer") as agent,
        phone(pbx, passwords, "103") as taker,
    ):
        assert (caller.register(), agent.register(), taker.register()) == (200,) * 3
        call = caller.call("600")
        call.wait_confirmed()
        answered = agent.wait_incoming(timeout=8)
        assert call.heard_tone(TONES["102"], timeout=8), "the caller hears no agent"

        answered.transfer(slot)
        assert answered.wait_transfer_result() == 200
        assert answered.wait_disconnected(timeout=5) is not None  # 102 left
        listed = wait_for(lambda: pbx.cli("park", "list", "--json").json())
        assert [(p["slot"], p["caller"], p["parked_by"]) for p in listed] == [
            (slot, "101", "102")
        ]

        taking = taker.call(slot)
        taking.wait_confirmed()
        assert taking.heard_tone(TONES["101"]), "the taker does not hear the caller"
        assert call.heard_tone(TONES["103"]), "the caller does not hear the taker"
        assert pbx.cli("park", "list", "--json").json() == []
        taking.hangup()
        call.wait_disconnected()


def test_a_slot_s_lamp_lit_again_after_another_worker_used_it_names_no_stale_tag(
    pbx,
):
    """Worker A parks in a slot and the call is taken back; worker B then
    parks there, and its publication of the slot's dialog replaces A's;
    A parks there once more. Each parking is a publication of its own, so
    presence refuses nothing (a reused tag would be refused with 412)."""
    settings = Settings(
        data_dir=pbx.data_dir,
        bind="127.0.0.1",
        sip_port=pbx.sip_port,
        http_port=pbx.http_port,
        https_port=pbx.https_port,
        tftp_port=pbx.tftp_port,
    )
    slot = "7002"
    lamp._publish(settings, slot, True)  # worker A
    lamp._publish(settings, slot, False)
    worker_a = dict(lamp._etags)
    lamp._etags.clear()
    lamp._publish(settings, slot, True)  # worker B
    lamp._publish(settings, slot, False)
    lamp._etags.clear()
    lamp._etags.update(worker_a)
    lamp._publish(settings, slot, True)  # worker A again
    lamp._publish(settings, slot, False)

    assert park_lamp_refusals(pbx) == []


def test_a_call_parked_by_the_code_and_left_there_rings_its_parker_again(
    pbx, passwords
):
    assert pbx.cli("park", "settings", "--timeout", "10").returncode == 0
    with (
        phone(pbx, passwords, "101") as caller,
        phone(pbx, passwords, "102", answer_incoming="answer") as parker,
    ):
        assert (caller.register(), parker.register()) == (200, 200)
        parked_by_transfer(pbx, caller, parker, "*85")
        listed = wait_for(lambda: pbx.cli("park", "list", "--json").json())
        assert [(p["slot"], p["parked_by"]) for p in listed] == [(SLOT, "102")]

        back = parker.wait_incoming(timeout=20)
        back.wait_confirmed()
        assert back.heard_tone(TONES["101"]), "the parker does not hear the caller"
        assert pbx.cli("park", "list", "--json").json() == []
        back.hangup()


def test_dialling_an_empty_slot_says_so_and_ends_the_call(pbx, passwords):
    with phone(pbx, passwords, "103") as taker:
        assert taker.register() == 200
        call = taker.call("7002")
        call.wait_confirmed()
        call.wait_disconnected(timeout=15)


def test_slots_on_a_number_already_taken_are_refused_and_nothing_changes(
    pbx, passwords
):
    before = pbx.cli("park", "settings", "--json").json()
    refused = pbx.cli("park", "settings", "--first", "101", "--count", "3")
    assert refused.returncode != 0
    assert "first" in refused.stderr and "101" in refused.stderr
    assert "extension" in refused.stderr
    assert pbx.cli("park", "settings", "--json").json() == before
    taken = pbx.cli("extension", "add", SLOT, "--name", "Slot")
    assert taken.returncode != 0 and "park slot" in taken.stderr
    hiding = pbx.cli("feature-codes", "set", "intercom", "70")
    assert hiding.returncode != 0 and "park slot" in hiding.stderr


def test_the_api_shows_and_changes_the_slots_and_refuses_a_bad_field(pbx, passwords):
    from tests.webclient import api_client

    api = api_client(pbx, "administrator")
    changed = api.request(
        "PUT", "/api/v1/park/settings", json_body={"first": "7101", "count": 2}
    )
    refused = api.request("PUT", "/api/v1/park/settings", json_body={"count": 0})
    shown = api.get("/api/v1/park/settings")
    parked = api.get("/api/v1/park")

    assert changed.status == 200, changed.json()
    assert changed.json()["slots"] == ["7101", "7102"]
    assert refused.status == 422 and refused.json()["field"] == "count"
    assert shown.json()["slots"] == ["7101", "7102"]
    assert parked.json() == []


def test_the_call_rules_page_changes_the_slots_and_refuses_a_leading_zero(
    pbx, passwords
):
    from tests.webclient import field_error, signed_in

    admin = signed_in(pbx, "administrator")
    shown = admin.get("/call-rules").body
    form = {"park_first": "07001", "park_count": "8", "park_timeout": "120"}
    refused = admin.post_form("/call-rules/park", form, csrf_from="/call-rules")
    by_cli = pbx.cli("park", "settings", "--first", "07001")
    form = {"park_first": "7201", "park_count": "3", "park_timeout": "60"}
    saved = admin.post_form("/call-rules/park", form, csrf_from="/call-rules")
    page = admin.get("/call-rules").body

    assert refused.status == 422
    assert field_error(refused.body, "park_first").startswith("First slot")
    assert "may not start with 0" in field_error(refused.body, "park_first")
    assert 'value="07001"' in refused.body  # the form keeps what was typed
    assert by_cli.returncode != 0 and "first" in by_cli.stderr
    assert "may not start with 0" in by_cli.stderr
    current = re.search(r"Park slots [^<]*", shown).group(0)
    assert current in refused.body  # nothing changed
    assert saved.status == 303
    assert "Park slots 7201 to 7203 (3)" in page and 'value="7201"' in page
