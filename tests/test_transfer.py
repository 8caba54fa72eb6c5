"""Call transfer through a real Kamailio, with real pjsua2 phones and audio.

101 calls 102; 102 transfers 101 to 103, blind (REFER, RFC 3515) or
attended (102 holds 101, calls 103, then REFER with Replaces, RFC 3891).
Each phone sends its own tone, so hearing a tone proves who talks to whom.
"""

from __future__ import annotations

import time

import pytest

from agent.rtpengine.ng import NgClient
from tests.carrier import Carrier
from tests.pbx import RunningPbx
from tests.sipphone import TONE_MIN_SHARE, Phone
from tests.sipraw import DialogWatcher, SipClient
from tests.webclient import signed_in

TONE = {"101": 697, "102": 1209, "103": 1477}
TONE_OUTSIDE = 941
# The ringback a worker-held caller hears: 425 Hz, 1 s on and 4 s off.
RINGBACK_HZ = 425
RINGBACK_CYCLE_S = 5.0
ACCOUNT, ACCOUNT_PASSWORD = "acme", "trunk-Secret-7"
OUTSIDE, OUTSIDE_PASSWORD = "15551230", "phone-Secret-9"
DID = "15550100"
REGISTERED_TIMEOUT_S = 15.0


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("transfer") / "var").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def passwords(pbx):
    return {number: pbx.add_extension(number, "Ext " + number) for number in TONE}


def phone(pbx, passwords, user: str, answer: str = "answer") -> Phone:
    return Phone(
        user,
        passwords[user],
        server="127.0.0.1",
        port=pbx.sip_port,
        tone_hz=TONE[user],
        answer_incoming=answer,
        display_name="Ext " + user,
    )


@pytest.fixture(scope="module")
def carrier(pbx, passwords):
    """A carrier behind the trunk "acme": its DID rings 101, and numbers
    1555XXXX go out through it for 102 only."""
    with Carrier(
        accounts={ACCOUNT: ACCOUNT_PASSWORD, OUTSIDE: OUTSIDE_PASSWORD},
        dids={DID: ACCOUNT},
    ) as running:
        trunk = ["trunk", "add", ACCOUNT, "--kind", "register"]
        trunk += ["--host", "127.0.0.1", "--port", str(running.port)]
        trunk += ["--username", ACCOUNT, "--password-stdin"]
        route = ["route", "add", "local", "--pattern", "1555XXXX"]
        route += ["--trunk", ACCOUNT, "--extension", "102"]
        steps = [
            trunk,
            ["trunk", "did", ACCOUNT, DID],
            ["inbound", "add", DID, "--to", "101"],
            route,
        ]
        for args in steps:
            result = pbx.cli(*args, stdin=ACCOUNT_PASSWORD + "\n")
            assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + REGISTERED_TIMEOUT_S
        while (
            pbx.cli("trunk", "status", ACCOUNT, "--json").json()[0]["state"]
            != "registered"
            and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        yield running


def outside_phone(carrier: Carrier) -> Phone:
    """The carrier's customer: its requests go through the carrier."""
    return Phone(
        OUTSIDE,
        OUTSIDE_PASSWORD,
        server="127.0.0.1",
        port=carrier.port,
        tone_hz=TONE_OUTSIDE,
        proxy=f"127.0.0.1:{carrier.port}",
    )


def ended_records(pbx, count: int, timeout: float = 5.0) -> list[dict]:
    """The newest count call records, oldest first, once all have ended."""
    deadline = time.monotonic() + timeout
    while True:
        result = pbx.cli("cdr", "list", "--json")
        assert result.returncode == 0, result.stderr
        rows = result.json()[:count]
        done = len(rows) == count and all(r["disposition"] for r in rows)
        if done or time.monotonic() > deadline:
            return list(reversed(rows))
        time.sleep(0.2)


def test_a_blind_transfer_connects_the_caller_to_the_target(pbx, passwords):
    with (
        DialogWatcher("127.0.0.1", pbx.sip_port) as lamp,
        phone(pbx, passwords, "101") as alice,
        phone(pbx, passwords, "102") as bob,
        phone(pbx, passwords, "103", answer="ring") as carol,
    ):
        assert (alice.register(), bob.register(), carol.register()) == (200,) * 3
        assert lamp.subscribe("101", passwords["101"], "102").status in (200, 202)
        lamp.next_state()
        first = alice.call("102")
        first.wait_confirmed()
        answered = bob.wait_incoming()
        assert lamp.wait_state("confirmed")[-1] == "confirmed"

        answered.transfer("103")
        ringing = carol.wait_incoming()
        assert "101" in ringing.remote_uri, "103 does not see 101 calling"
        assert ringing.referred_by == "<sip:102@127.0.0.1>"
        ringing.answer()
        assert answered.wait_transfer_result() == 200
        second = next(c for c in alice.calls if c is not first)
        second.wait_confirmed()

        assert second.heard_tone(TONE["103"]), "101 does not hear 103"
        assert ringing.heard_tone(TONE["101"]), "103 does not hear 101"
        assert answered.wait_disconnected() is not None  # 102 left the call
        first.wait_disconnected()
        assert lamp.wait_state("terminated")[-1] == "terminated"  # 102 is free
        second.hangup()
        ringing.wait_disconnected()

    rows = ended_records(pbx, 2)
    assert [
        (r["src"], r["dst"], r["disposition"], r["transferred_by"]) for r in rows
    ] == [
        ("101", "102", "answered", ""),
        ("101", "103", "answered", "102"),
    ]
    # The call list says it too, on the console and on the calls page.
    listed = pbx.cli("cdr", "list", "--limit", "1").stdout
    assert "101 -> 103" in listed and "transferred by 102" in listed
    page = signed_in(pbx, "administrator").get("/calls").body
    assert '<small class="transferred">transferred by 102</small>' in page


def test_an_attended_transfer_replaces_the_consultation_call(pbx, passwords):
    with (
        phone(pbx, passwords, "101") as alice,
        phone(pbx, passwords, "102") as bob,
        phone(pbx, passwords, "103") as carol,
    ):
        assert (alice.register(), bob.register(), carol.register()) == (200,) * 3
        first = alice.call("102")
        first.wait_confirmed()
        held = bob.wait_incoming()
        held.wait_confirmed()  # the ACK reached 102's phone
        assert held.hold() == 200
        consulting = bob.call("103")
        consulting.wait_confirmed()
        consulted = carol.wait_incoming()
        assert consulting.heard_tone(TONE["103"])

        held.transfer_to_call(consulting)
        assert held.wait_transfer_result() == 200
        replaced = next(c for c in alice.calls if c is not first)
        replaced.wait_confirmed()
        joined = carol.incoming_calls[-1]
        assert joined is not consulted

        assert replaced.heard_tone(TONE["103"]), "101 does not hear 103"
        assert joined.heard_tone(TONE["101"]), "103 does not hear 101"
        consulted.wait_disconnected()  # 103's phone ended the call with 102
        first.wait_disconnected()
        assert held.wait_disconnected() is not None
        replaced.hangup()
        joined.wait_disconnected()

    rows = ended_records(pbx, 3)
    assert [
        (r["src"], r["dst"], r["disposition"], r["transferred_by"]) for r in rows
    ] == [
        ("101", "102", "answered", ""),
        ("102", "103", "answered", ""),
        ("101", "103", "answered", "102"),
    ]


def test_a_transfer_out_uses_the_transferer_s_rights_and_others_are_refused(
    pbx, passwords, carrier
):
    relay = NgClient("127.0.0.1", pbx.rtpengine_port)
    with (
        phone(pbx, passwords, "101") as alice,
        phone(pbx, passwords, "102") as bob,
        phone(pbx, passwords, "103") as carol,
        outside_phone(carrier) as outsider,
    ):
        registered = (alice.register(), bob.register(), carol.register())
        assert (*registered, outsider.register()) == (200,) * 4

        # 103 may not call out: its REFER is refused and the call goes on.
        first = alice.call("103")
        first.wait_confirmed()
        kept = carol.wait_incoming()
        kept.transfer(OUTSIDE)
        assert kept.wait_transfer_result() == 403
        assert first.heard_tone(TONE["103"]), "the refused transfer ended the call"
        first.hangup()

        # 102 may: 101 is sent out through the trunk on 102's authority,
        # although the route does not allow 101 itself.
        second = alice.call("102")
        second.wait_confirmed()
        answered = bob.wait_incoming()
        answered.transfer(OUTSIDE)
        incoming = outsider.wait_incoming()
        assert answered.wait_transfer_result() == 200
        out = alice.calls[-1]
        out.wait_confirmed()
        assert out.heard_tone(TONE_OUTSIDE), "101 does not hear the outside number"
        assert incoming.heard_tone(TONE["101"]), "the outside number does not hear 101"
        assert out.sip_call_id in relay.calls()
        assert outsider.invites_received == 1
        out.hangup()
        incoming.wait_disconnected()

        # The note served that one call: 101 calling the number again is
        # 101's own call, which no route allows.
        again = alice.call(OUTSIDE)
        assert again.wait_disconnected() == 404
        assert outsider.invites_received == 1

    rows = ended_records(pbx, 1)
    assert [
        (r["direction"], r["src"], r["dst"], r["trunk"], r["transferred_by"])
        for r in rows
    ] == [("out", "102", OUTSIDE, ACCOUNT, "102")]


def test_a_refer_from_the_carrier_is_refused(pbx, passwords, carrier):
    with (
        phone(pbx, passwords, "101") as alice,
        phone(pbx, passwords, "102") as bob,
        outside_phone(carrier) as outsider,
    ):
        assert (alice.register(), bob.register(), outsider.register()) == (200,) * 3
        call = outsider.call(DID)
        call.wait_confirmed()
        answered = alice.wait_incoming()

        call.transfer(f"sip:102@127.0.0.1:{pbx.sip_port}")
        assert call.wait_transfer_result() == 403
        assert call.heard_tone(TONE["101"]), "the refused REFER ended the call"
        assert bob.invites_received == 0
        call.hangup()
        answered.wait_disconnected()


@pytest.mark.parametrize("attended", [False, True], ids=["blind", "attended"])
def test_a_call_from_the_trunk_is_transferred_with_media_through_the_relay(
    pbx, passwords, carrier, attended
):
    relay = NgClient("127.0.0.1", pbx.rtpengine_port)
    with (
        phone(pbx, passwords, "101") as alice,
        phone(pbx, passwords, "102") as bob,
        outside_phone(carrier) as outsider,
    ):
        assert (alice.register(), bob.register(), outsider.register()) == (200,) * 3
        call = outsider.call(DID)
        call.wait_confirmed()
        answered = alice.wait_incoming()
        assert answered.heard_tone(TONE_OUTSIDE)

        if attended:
            answered.wait_confirmed()
            assert answered.hold() == 200
            consulting = alice.call("102")
            consulting.wait_confirmed()
            consulted = bob.wait_incoming()
            answered.transfer_to_call(consulting)
        else:
            answered.transfer("102")
            consulted = None
        assert answered.wait_transfer_result() == 200
        new = outsider.calls[-1]
        new.wait_confirmed()
        taken = bob.incoming_calls[-1]
        assert taken is not consulted
        if not attended:
            assert OUTSIDE in taken.remote_uri, "102 does not see who calls"
            assert taken.referred_by == "<sip:101@127.0.0.1>"

        assert new.heard_tone(TONE["102"]), "the outside caller does not hear 102"
        assert taken.heard_tone(TONE_OUTSIDE), "102 does not hear the outside caller"
        assert new.sip_call_id in relay.calls()
        call.wait_disconnected()  # 101 left the call
        new.hangup()
        taken.wait_disconnected()

    rows = ended_records(pbx, 1)
    assert [(r["direction"], r["src"], r["dst"], r["trunk"]) for r in rows] == [
        ("in", OUTSIDE, "102", ACCOUNT)
    ]


@pytest.fixture(scope="module")
def queue(pbx, passwords):
    """Queue 600 with agent 102, and ring group 650 of 103."""
    for args in (
        ["queue", "add", "600", "--name", "Sales", "--agents", "102"],
        ["ringgroup", "add", "650", "--name", "Support", "--member", "103"],
    ):
        result = pbx.cli(*args)
        assert result.returncode == 0, result.stderr
    return "600"


def test_an_attended_transfer_of_a_queue_call_replaces_the_consultation_call(
    pbx, passwords, queue
):
    with (
        phone(pbx, passwords, "101") as alice,
        phone(pbx, passwords, "102") as bob,
        phone(pbx, passwords, "103") as carol,
    ):
        assert (alice.register(), bob.register(), carol.register()) == (200,) * 3
        call = alice.call(queue)
        call.wait_confirmed()
        answered = bob.wait_incoming(timeout=8)
        answered.wait_confirmed()
        assert call.heard_tone(TONE["102"], timeout=8), "101 hears no agent"
        assert answered.hold() == 200
        consulting = bob.call("103")
        consulting.wait_confirmed()
        consulted = carol.wait_incoming()
        assert consulting.heard_tone(TONE["103"]), "102 does not hear 103"

        answered.transfer_to_call(consulting)
        assert answered.wait_transfer_result() == 200
        joined = carol.incoming_calls[-1]
        assert joined is not consulted
        # 103's phone shows who it now talks with: the queue's caller.
        assert joined.remote_uri == '"Ext 101" <sip:101@127.0.0.1>'
        consulted.wait_disconnected()  # 103's phone ended the call with 102
        assert answered.wait_disconnected(timeout=5) is not None
        assert call.heard_tone(TONE["103"], timeout=8), "101 does not hear 103"
        assert joined.heard_tone(TONE["101"], timeout=8), "103 does not hear 101"
        call.hangup()
        joined.wait_disconnected()

    rows = [r for r in ended_records(pbx, 3) if r["transferred_by"]]
    assert [
        (r["src"], r["caller_name"], r["dst"], r["transferred_by"]) for r in rows
    ] == [("101", "Ext 101", "103", "102")]


@pytest.mark.parametrize("target_answers", [False, True], ids=["fails", "answers"])
def test_a_queue_caller_whose_agent_left_a_ringing_transfer_hears_ringback(
    pbx, passwords, queue, target_answers
):
    with (
        phone(pbx, passwords, "101") as alice,
        phone(pbx, passwords, "102") as bob,
        phone(pbx, passwords, "103", answer="ring") as carol,
    ):
        assert (alice.register(), bob.register(), carol.register()) == (200,) * 3
        call = alice.call(queue)
        call.wait_confirmed()
        answered = bob.wait_incoming(timeout=8)
        assert call.heard_tone(TONE["102"], timeout=8), "101 hears no agent"

        answered.transfer("103")
        ringing = carol.wait_incoming(timeout=5)
        answered.hangup()  # as a desk phone may, once the REFER is accepted
        answered.wait_disconnected()
        # Alone with a ringing target, the caller hears ringback, not silence;
        # one cadence (on and off) is the longest wait for its next burst.
        assert call.heard_tone(RINGBACK_HZ, timeout=RINGBACK_CYCLE_S + 1), (
            "101 hears no ringback while 103 rings"
        )

        if not target_answers:
            ringing.reject(486)
            # The caller is told goodbye and the call ends, not left in silence.
            assert call.wait_disconnected(timeout=10) is not None
            return
        # Answered within the tone's burst: the tone stops as 103 is heard.
        ringing.answer()
        assert call.heard_tone(TONE["103"], timeout=8), "101 does not hear 103"
        assert call.tone_share(RINGBACK_HZ, window_s=0.2) < TONE_MIN_SHARE, (
            "101 still hears ringback after 103 answered"
        )
        assert ringing.heard_tone(TONE["101"], timeout=8), "103 does not hear 101"
        call.hangup()
        ringing.wait_disconnected()


def test_a_queue_call_transferred_to_a_ring_group_or_out_shows_and_names_the_caller(
    pbx, passwords, carrier, queue
):
    with (
        phone(pbx, passwords, "101") as alice,
        phone(pbx, passwords, "102") as bob,
        phone(pbx, passwords, "103") as carol,
        outside_phone(carrier) as outsider,
    ):
        registered = (alice.register(), bob.register(), carol.register())
        assert (*registered, outsider.register()) == (200,) * 4
        for target, target_phone, tone in (
            ("650", carol, TONE["103"]),
            (OUTSIDE, outsider, TONE_OUTSIDE),
        ):
            call = alice.call(queue)
            call.wait_confirmed()
            answered = bob.wait_incoming(timeout=8)
            assert call.heard_tone(TONE["102"], timeout=8), "101 hears no agent"

            answered.transfer(target)
            ringing = target_phone.wait_incoming(timeout=8)
            if target_phone is carol:
                # The group's phone sees who calls, not the queue's worker.
                assert ringing.remote_uri == '"Ext 101" <sip:101@127.0.0.1>'
            assert answered.wait_transfer_result() == 200
            assert answered.wait_disconnected(timeout=5) is not None  # 102 left
            assert call.heard_tone(tone, timeout=8), f"101 does not hear {target}"
            assert ringing.heard_tone(TONE["101"], timeout=8), f"{target}: no 101"
            call.hangup()
            ringing.wait_disconnected()

    # The carrier is shown the caller's caller ID, as for 101's own call:
    # with no outside caller ID of its own, the PBX's main number (the
    # trunk's DID), never the extension's number, which a carrier cannot use.
    out = [r for r in carrier.requests("INVITE") if OUTSIDE in r.ruri][-1]
    assert out.pai == f"sip:{DID}@127.0.0.1", out
    rows = [r for r in ended_records(pbx, 4) if r["transferred_by"]]
    assert [
        (r["direction"], r["src"], r["caller_name"], r["dst"], r["transferred_by"])
        for r in rows
    ] == [
        ("internal", "101", "Ext 101", "650", "102"),
        ("out", "101", "Ext 101", OUTSIDE, "102"),
    ]


def test_a_refer_outside_any_call_makes_no_phone_call(pbx, passwords):
    with (
        phone(pbx, passwords, "101") as alice,
        SipClient("127.0.0.1", pbx.sip_port) as client,
    ):
        assert alice.register() == 200
        reply = client.send_with_auth(
            "REFER",
            f"sip:101@127.0.0.1:{pbx.sip_port}",
            "102",
            passwords["102"],
            to_user="101",
            extra_headers=[f"Refer-To: <sip:103@127.0.0.1:{pbx.sip_port}>"],
        )
        assert (reply.status, reply.reason) == (403, "Transfer Only Within A Call")
        assert alice.calls == []
