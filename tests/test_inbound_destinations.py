"""DIDs to every destination: an IVR menu, a queue, a mailbox, a time
condition whose night target is a mailbox, and input that is refused.

One appliance, one carrier (tests.carrier) with a DID per destination, and
the carrier's pjsua2 phone placing the calls; the media service is the
appliance's own pool of workers, as for an extension's call.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.carrier import Carrier
from tests.pbx import RunningPbx
from tests.sipphone import Call, Phone, read_wav_tail, tone_share
from tests.test_trunks import (
    ACCOUNT,
    ACCOUNT_PASSWORD,
    CARRIER_PHONE,
    CARRIER_PHONE_PASSWORD,
    add_register_trunk,
    call_records,
    wait_trunk_state,
)

TONE_101 = 697
TONE_102 = 1209
TONE_OUTSIDER = 1633
# The IVR menu's prompt: a steady tone no phone sends.
PROMPT_HZ = 523
# The ringback a worker-held caller hears: 425 Hz, 1 s on and 4 s off.
RINGBACK_HZ = 425
RINGBACK_CYCLE_S = 5.0
PIN = "4713"
MESSAGE_S = 3.0
DID_IVR = "15550101"
DID_QUEUE = "15550102"
DID_MAILBOX = "15550103"
DID_NIGHT = "15550104"
DID_GROUP = "15550105"
# The number the trunk presents as the PBX's own, not one of its DIDs.
MAIN_NUMBER = "+15550199"
# An outside number nobody answers at the carrier: where a transfer goes out.
OUTSIDE_NUMBER = "16660199"
DIDS = (DID_IVR, DID_QUEUE, DID_MAILBOX, DID_NIGHT, DID_GROUP)


def ok(result) -> dict | list:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.json() if result.stdout.lstrip().startswith(("{", "[")) else {}


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """Extensions 101 and 102 (101 with a mailbox), IVR menu 500 (key 1:
    101), queue 700 (agent 102), the trunk with the DIDs registered."""
    root = tmp_path_factory.mktemp("office")
    accounts = {ACCOUNT: ACCOUNT_PASSWORD, CARRIER_PHONE: CARRIER_PHONE_PASSWORD}
    with Carrier(accounts=accounts, dids=dict.fromkeys(DIDS, ACCOUNT)) as carrier:
        pbx = RunningPbx(root / "var").start()
        try:
            passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
            ok(pbx.cli("voicemail", "set", "101", "--pin", PIN))
            prompt = root / "menu.wav"
            tone = ["synth", "4", "sine", str(PROMPT_HZ), "vol", "0.5"]
            subprocess.run(
                ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(prompt), *tone],
                check=True,
            )
            ok(pbx.cli("prompt", "upload", "main-menu", str(prompt)))
            ok(
                pbx.cli(
                    "ivr", "set", "500", "--name", "Main", "--prompt", "main-menu",
                    "--choice", "1=extension:101", "--no-dial-by-extension", "--json",
                )
            )  # fmt: skip
            ok(
                pbx.cli(
                    "queue", "add", "700", "--name", "Sales", "--agents", "102",
                    "--json",
                )
            )  # fmt: skip
            add_register_trunk(pbx, carrier)
            ok(pbx.cli("trunk", "did", "acme", *DIDS))
            assert wait_trunk_state(pbx, "acme", "registered") == "registered"
            yield pbx, carrier, passwords
        finally:
            pbx.stop()


def outsider(carrier: Carrier) -> Phone:
    return Phone(
        CARRIER_PHONE,
        CARRIER_PHONE_PASSWORD,
        server="127.0.0.1",
        port=carrier.port,
        tone_hz=TONE_OUTSIDER,
    )


def extension(pbx, number: str, password: str, tone_hz: int) -> Phone:
    return Phone(
        number, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=tone_hz
    )


def route_the_ivr_did(pbx) -> None:
    """DID_IVR to IVR 500, unless a test before added that route."""
    routes = ok(pbx.cli("inbound", "list", "--json"))
    if not any(r["did"] == DID_IVR for r in routes):
        ok(pbx.cli("inbound", "add", DID_IVR, "--to", "ivr:500", "--json"))


def through_the_ivr_to_101(caller: Phone, alice: Phone) -> tuple[Call, Call]:
    """The outside caller dials the IVR's DID and presses 1, and 101
    answers: the caller's call and 101's, both confirmed."""
    call = caller.call(DID_IVR)
    call.wait_confirmed()
    call.send_dtmf("1")
    answered = alice.wait_incoming(timeout=10)
    answered.wait_confirmed()
    return call, answered


def record_of(pbx, did: str, timeout: float = 8.0) -> dict:
    """The newest call record of did, once its call has ended."""
    deadline = time.monotonic() + timeout
    rows: list[dict] = []
    while time.monotonic() < deadline:
        rows = call_records(pbx, "--number", did)
        if rows and rows[0].get("end"):
            return rows[0]
        time.sleep(0.2)
    raise AssertionError(f"no ended call record for {did}: {rows}")


def messages(pbx, number: str) -> list[dict]:
    return ok(pbx.cli("voicemail", "messages", number, "--json"))


def wait_messages(pbx, number: str, count: int, timeout: float = 8.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = messages(pbx, number)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"mailbox {number}: fewer than {count} messages")


def leave_message(caller: Phone, did: str) -> None:
    call = caller.call(did)
    call.wait_confirmed()
    time.sleep(0.5)
    call.send_dtmf("1")  # any key skips the greeting to the tone
    time.sleep(MESSAGE_S)
    call.hangup()
    call.wait_disconnected()


def test_a_did_to_an_ivr_hears_the_menu_and_reaches_an_extension_by_its_key(
    office,
):
    pbx, carrier, passwords = office
    ok(pbx.cli("inbound", "add", DID_IVR, "--to", "ivr:500", "--json"))

    with (
        extension(pbx, "101", passwords["101"], TONE_101) as alice,
        outsider(carrier) as caller,
    ):
        assert (alice.register(), caller.register()) == (200, 200)
        call = caller.call(DID_IVR)
        call.wait_confirmed()
        assert call.heard_tone(PROMPT_HZ), "the caller does not hear the menu"
        call.send_dtmf("1")
        incoming = alice.wait_incoming(timeout=10)
        incoming.wait_confirmed()
        assert call.heard_tone(TONE_101), "the caller does not hear 101"
        assert incoming.heard_tone(TONE_OUTSIDER), "101 does not hear the caller"
        call.hangup()
        incoming.wait_disconnected()

    row = record_of(pbx, DID_IVR)
    assert (row["direction"], row["src"], row["dst"], row["trunk"]) == (
        "in",
        CARRIER_PHONE,
        "500",
        "acme",
    )
    assert row["disposition"] == "answered"


@pytest.mark.parametrize(
    ("attended", "leaves_first"),
    [(False, False), (True, False), (False, True)],
    ids=["blind", "attended", "blind-transferer-leaves-while-it-rings"],
)
def test_the_extension_an_ivr_handed_a_trunk_caller_to_transfers_them_on(
    office, attended, leaves_first
):
    pbx, carrier, passwords = office
    route_the_ivr_did(pbx)

    with (
        extension(pbx, "101", passwords["101"], TONE_101) as alice,
        extension(pbx, "102", passwords["102"], TONE_102) as bob,
        outsider(carrier) as caller,
    ):
        assert (alice.register(), bob.register(), caller.register()) == (200,) * 3
        call, answered = through_the_ivr_to_101(caller, alice)
        assert answered.heard_tone(TONE_OUTSIDER), "101 does not hear the caller"

        if attended:
            assert answered.hold() == 200
            consulting = alice.call("102")
            consulting.wait_confirmed()
            consulted = bob.wait_incoming()
            assert consulting.heard_tone(TONE_102), "101 does not hear 102"
            answered.transfer_to_call(consulting)
        elif leaves_first:
            consulted = None
            bob.answer_incoming = "ring"
            answered.transfer("102")
            taken = bob.wait_incoming(timeout=5)
            answered.hangup()  # as a desk phone may, once the REFER is accepted
            # Alone with the ringing target, the caller hears ringback.
            assert call.heard_tone(RINGBACK_HZ, timeout=RINGBACK_CYCLE_S + 1), (
                "the caller hears no ringback while 102 rings"
            )
            taken.answer()
        else:
            consulted = None
            answered.transfer("102")
        if not leaves_first:
            assert answered.wait_transfer_result() == 200
        taken = bob.incoming_calls[-1]
        assert taken is not consulted
        taken.wait_confirmed()
        if not attended:
            # 102 sees the caller, not the IVR, and who handed them on.
            assert CARRIER_PHONE in taken.remote_uri
            assert taken.referred_by == "<sip:101@127.0.0.1>"
        assert answered.wait_disconnected(timeout=5) is not None  # 101 left
        if consulted is not None:
            consulted.wait_disconnected()  # replaced by the caller's call
        assert call.heard_tone(TONE_102, timeout=8), "the caller does not hear 102"
        assert taken.heard_tone(TONE_OUTSIDER, timeout=8), "102 does not hear them"
        call.hangup()
        taken.wait_disconnected()


def test_a_did_to_a_queue_reaches_its_agent(office):
    pbx, carrier, passwords = office
    ok(pbx.cli("inbound", "add", DID_QUEUE, "--to", "queue:700", "--json"))

    with (
        extension(pbx, "102", passwords["102"], TONE_102) as agent,
        outsider(carrier) as caller,
    ):
        assert (agent.register(), caller.register()) == (200, 200)
        call = caller.call(DID_QUEUE)
        call.wait_confirmed()
        incoming = agent.wait_incoming(timeout=15)
        incoming.wait_confirmed()
        assert call.heard_tone(TONE_102), "the caller does not hear the agent"
        assert incoming.heard_tone(TONE_OUTSIDER), "the agent does not hear the caller"
        call.hangup()
        incoming.wait_disconnected()

    row = record_of(pbx, DID_QUEUE)
    assert (row["dst"], row["trunk"], row["disposition"]) == ("700", "acme", "answered")


def test_a_did_to_a_mailbox_leaves_a_message_in_it(office):
    pbx, carrier, _ = office
    ok(pbx.cli("inbound", "add", DID_MAILBOX, "--to", "voicemail:101", "--json"))
    before = len(messages(pbx, "101"))

    with outsider(carrier) as caller:
        assert caller.register() == 200
        leave_message(caller, DID_MAILBOX)

    newest = wait_messages(pbx, "101", before + 1)[0]
    assert newest["caller"] == CARRIER_PHONE
    rate, samples = read_wav_tail(newest["path"], 1.0)
    assert tone_share(samples, rate, TONE_OUTSIDER) > 0.5, "the caller is in it"
    row = record_of(pbx, DID_MAILBOX)
    assert (row["dst"], row["trunk"], row["disposition"]) == (
        "101",
        "acme",
        "voicemail",
    )


def test_a_time_condition_sends_night_calls_to_a_mailbox(office):
    pbx, carrier, passwords = office
    ok(
        pbx.cli(
            "timecondition", "add", "office", "--timezone", "UTC",
            "--hours", "mon-sun=00:00-24:00", "--open", "102",
            "--closed", "voicemail:101", "--json",
        )
    )  # fmt: skip
    ok(pbx.cli("timecondition", "set", "office", "--mode", "closed", "--json"))
    ok(pbx.cli("inbound", "add", DID_NIGHT, "--to", "time_condition:office"))
    before = len(messages(pbx, "101"))

    with (
        extension(pbx, "102", passwords["102"], TONE_102) as day,
        outsider(carrier) as caller,
    ):
        assert (day.register(), caller.register()) == (200, 200)
        leave_message(caller, DID_NIGHT)
        assert day.invites_received == 0

    assert len(wait_messages(pbx, "101", before + 1)) == before + 1


@pytest.mark.parametrize(
    ("args", "field", "rule"),
    [
        (["--to", "ivr:599"], "--to", "no such IVR menu"),
        (["--to", "queue:799"], "--to", "no such queue"),
        (["--to", "conference:899"], "--to", "no such conference room"),
        (["--to", "voicemail:102"], "--to", "no mailbox"),
        (["--to", "fax:1"], "--to", "one of"),
        (["--to", "hangup:5"], "--to", "hangup takes no number"),
    ],
)
def test_a_destination_that_does_not_exist_is_refused_and_nothing_saved(
    office, args, field, rule
):
    pbx, _, _ = office
    before = ok(pbx.cli("inbound", "list", "--json"))
    result = pbx.cli("inbound", "add", "15550199", *args, "--json")
    assert result.returncode == 2, result.stdout + result.stderr
    error = result.json()["error"]
    assert error["field"] == field
    assert rule in error["message"]
    assert ok(pbx.cli("inbound", "list", "--json")) == before


def test_what_a_route_names_cannot_be_removed(office):
    pbx, _, _ = office
    ok(pbx.cli("inbound", "add", "15550198", "--to", "ivr:500", "--json"))
    ok(pbx.cli("conference", "set", "800", "--name", "Board", "--json"))
    ok(pbx.cli("inbound", "add", "15550197", "--to", "conference:800", "--json"))
    ok(pbx.cli("inbound", "add", "15550196", "--to", "voicemail:101", "--json"))

    for args, names in (
        (["ivr", "remove", "500"], "inbound route 15550198"),
        (["queue", "remove", "700"], "inbound route 15550102"),
        (["conference", "remove", "800"], "inbound route 15550197"),
        (["extension", "remove", "101"], "inbound route 15550103"),
        (["voicemail", "remove", "101"], "inbound route 15550196"),
    ):
        result = pbx.cli(*args, "--json")
        assert result.returncode != 0, args
        assert names in result.json()["error"]["message"], args
    assert ok(pbx.cli("ivr", "show", "500", "--json"))["number"] == "500"
    ok(pbx.cli("inbound", "remove", "15550198"))
    ok(pbx.cli("inbound", "remove", "15550197"))
    ok(pbx.cli("inbound", "remove", "15550196"))


def test_a_ring_group_fails_over_to_a_mailbox_and_loops_are_refused(office):
    pbx, carrier, _ = office
    # Nobody of the group is registered: the caller goes straight on.
    ok(
        pbx.cli(
            "ringgroup", "add", "650", "--name", "Desk", "--member", "102",
            "--failover", "voicemail:101", "--json",
        )
    )  # fmt: skip
    again = pbx.cli(
        "ringgroup", "add", "651", "--name", "Loop", "--member", "102",
        "--failover", "ring_group:651", "--json",
    )  # fmt: skip
    assert again.returncode == 2
    assert again.json()["error"]["field"] == "--failover"
    assert "leads back" in again.json()["error"]["message"]

    ok(pbx.cli("inbound", "add", DID_GROUP, "--to", "ring_group:650"))
    before = len(messages(pbx, "101"))
    with outsider(carrier) as caller:
        assert caller.register() == 200
        leave_message(caller, DID_GROUP)
    assert len(wait_messages(pbx, "101", before + 1)) == before + 1
    row = record_of(pbx, DID_GROUP)
    assert (row["dst"], row["disposition"]) == ("101", "voicemail")


@pytest.mark.parametrize(
    ("main_number", "presented"),
    [("", DID_IVR), (MAIN_NUMBER, MAIN_NUMBER)],
    ids=["first-did", "main-number"],
)
def test_a_trunk_caller_transferred_out_is_presented_with_the_pbx_s_number(
    office, main_number, presented
):
    pbx, carrier, passwords = office
    route_the_ivr_did(pbx)
    # A route with no caller ID of its own.
    ok(pbx.cli("route", "add", "out", "--pattern", "1666XXXX", "--trunk", "acme"))
    ok(pbx.cli("trunk", "set", "acme", "--main-number", main_number))
    try:
        with (
            extension(pbx, "101", passwords["101"], TONE_101) as alice,
            outsider(carrier) as caller,
        ):
            assert (alice.register(), caller.register()) == (200, 200)
            call, answered = through_the_ivr_to_101(caller, alice)
            assert answered.heard_tone(TONE_OUTSIDER), "101 does not hear the caller"

            before = len(carrier.requests("INVITE"))
            answered.transfer(OUTSIDE_NUMBER)

            deadline = time.monotonic() + 8
            out: list = []
            while not out and time.monotonic() < deadline:
                invites = carrier.requests("INVITE")[before:]
                out = [r for r in invites if OUTSIDE_NUMBER in r.ruri]
                time.sleep(0.1)
            call.hangup()
            call.wait_disconnected()
    finally:
        ok(pbx.cli("route", "remove", "out"))
        ok(pbx.cli("trunk", "set", "acme", "--main-number", ""))

    assert out, "the transfer never reached the carrier"
    # The trunk's main number (with none set, its first DID), not the
    # caller's own number, which the carrier would not let the PBX present.
    identities = out[0].from_uri + " " + out[0].pai + " " + out[0].rpid
    assert f"sip:{presented}@" in identities, out[0]
    assert CARRIER_PHONE not in identities, out[0]
    if main_number:
        assert f"sip:{DID_IVR}@" not in identities, out[0]


def test_a_stop_sends_the_carrier_its_bye_for_a_caller_in_an_ivr(office):
    # Last in this module: the appliance is stopped and started again.
    pbx, carrier, _ = office
    route_the_ivr_did(pbx)

    with outsider(carrier) as caller:
        assert caller.register() == 200
        call = caller.call(DID_IVR)
        call.wait_confirmed()
        assert call.heard_tone(PROMPT_HZ), "the caller does not hear the menu"
        log_from = pbx.log_path.stat().st_size

        pbx.stop()

        # The stop ends it as it ends a call between phones, before the media
        # service goes: the carrier gets its BYE and the log counts the call.
        assert call.wait_disconnected(timeout=5) == 200
        byes = carrier.requests("BYE")
        assert any(r.to_uri.startswith(f"sip:{CARRIER_PHONE}@") for r in byes), byes
        with open(pbx.log_path, "rb") as log:
            log.seek(log_from)
            stopped = log.read().decode("utf-8", "replace")
        assert "agent: 1 call in progress ended" in stopped
        assert "1 calls" not in stopped
    pbx.start()
    row = record_of(pbx, DID_IVR)
    assert (row["dst"], row["disposition"]) == ("500", "answered")
    assert row["end_reason"] == "cut: the PBX stopped"
