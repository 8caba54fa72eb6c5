"""Do-not-disturb and call forwarding, with real phones through the PBX.

Each test runs a whole appliance (tests.pbx.RunningPbx) and pjsua2 phones;
forwards to outside numbers go to a real local carrier (tests.carrier)
through a peer trunk and an outbound route.
"""

from __future__ import annotations

import time

import pytest

from tests.carrier import Carrier
from tests.sipphone import CallFailed, Phone

TONE = {"101": 697, "102": 1209, "103": 1633}
# A second phone of 102.
TONE_SECOND_102 = 1477
CARRIER_PHONE = "15551230"
CARRIER_PHONE_PASSWORD = "phone-Secret-9"
TONE_CARRIER = 941
# A second subscriber of the carrier, where an inbound call is forwarded.
OTHER_CARRIER_PHONE = "15551231"
OTHER_CARRIER_PHONE_PASSWORD = "phone-Secret-8"
TONE_OTHER_CARRIER = 852
PIN = "4713"
RING_S = 5


def phone(pbx, number: str, password: str, **kw) -> Phone:
    return Phone(
        number,
        password,
        server="127.0.0.1",
        port=pbx.sip_port,
        tone_hz=TONE[number],
        **kw,
    )


def features(pbx, *args: str) -> dict:
    result = pbx.cli("extension", *args, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.json()


def failed_status(call) -> tuple[int, str]:
    with pytest.raises(CallFailed) as failed:
        call.wait_confirmed()
    return failed.value.status_code, call.last_reason


@pytest.fixture
def extensions(pbx):
    return {n: pbx.add_extension(n) for n in ("101", "102", "103")}


def test_do_not_disturb_gives_the_caller_busy_and_the_phone_never_rings(
    pbx, extensions
):
    features(pbx, "dnd", "102", "on")
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"]) as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        code, _ = failed_status(alice.call("102"))
        assert code == 486
        assert bob.invites_received == 0

        features(pbx, "dnd", "102", "off")
        call = alice.call("102")
        call.wait_confirmed()
        assert bob.invites_received == 1
        call.hangup()


def test_feature_codes_turn_the_caller_s_own_do_not_disturb_on_and_off(pbx, extensions):
    shown = {}
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"]) as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        for code, state in (("*78", "on"), ("*79", "off")):
            call = bob.call(code)
            call.wait_confirmed()  # the media service answers, says, hangs up
            call.wait_disconnected(timeout=15)
            shown[state] = features(pbx, "features", "102")["dnd"]
            if state == "on":
                refused = failed_status(alice.call("102"))
    assert shown == {"on": True, "off": False}
    assert refused[0] == 486
    assert features(pbx, "features", "101")["dnd"] is False


def test_do_not_disturb_sends_the_caller_to_voicemail_when_the_box_is_on(
    pbx, extensions
):
    assert pbx.cli("voicemail", "set", "102", "--pin", PIN).returncode == 0
    features(pbx, "dnd", "102", "on")
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"]) as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("102")
        call.wait_confirmed()  # the mailbox answers
        assert bob.invites_received == 0
        call.hangup()


def test_forward_always_rings_the_target_and_not_the_original(pbx, extensions):
    shown = features(pbx, "forward", "102", "--always", "103")
    assert shown["forward_always"] == "103"
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"]) as bob,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert {alice.register(), bob.register(), carol.register()} == {200}
        call = alice.call("102")
        call.wait_confirmed()
        incoming = carol.wait_incoming()
        incoming.wait_confirmed()
        assert call.heard_tone(TONE["103"]), "the caller does not hear the target"
        assert bob.invites_received == 0
        call.hangup()


def test_forward_on_no_answer_rings_the_target_after_the_ring_time(pbx, extensions):
    features(
        pbx, "forward", "102", "--no-answer", "103", "--no-answer-seconds", str(RING_S)
    )
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="ring") as bob,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert {alice.register(), bob.register(), carol.register()} == {200}
        started = time.monotonic()
        call = alice.call("102")
        bob.wait_incoming()
        call.wait_confirmed(timeout=RING_S + 10)
        waited = time.monotonic() - started
        assert carol.invites_received == 1
        assert RING_S - 0.5 <= waited < RING_S + 5, waited
        assert call.heard_tone(TONE["103"])
        call.hangup()


# Past a minute: a ringing phone repeats its 180 every 60 s (RFC 3261
# section 13.3.1.1), which must not start the ring time again.
LONG_RING_S = 62


def test_forward_on_no_answer_after_more_than_a_minute_rings_the_target(
    pbx, extensions
):
    features(
        pbx,
        "forward",
        "102",
        "--no-answer",
        "103",
        "--no-answer-seconds",
        str(LONG_RING_S),
    )
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="ring") as bob,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert {alice.register(), bob.register(), carol.register()} == {200}
        started = time.monotonic()
        call = alice.call("102")
        bob.wait_incoming()
        call.wait_confirmed(timeout=LONG_RING_S + 10)
        waited = time.monotonic() - started
        assert carol.invites_received == 1
        assert LONG_RING_S - 0.5 <= waited < LONG_RING_S + 5, waited
        call.hangup()


@pytest.mark.parametrize("callee_does", ["busy", "decline"])
def test_forward_on_busy_rings_the_target(pbx, extensions, callee_does):
    features(pbx, "forward", "102", "--busy", "103")
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming=callee_does) as bob,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert {alice.register(), bob.register(), carol.register()} == {200}
        call = alice.call("102")
        call.wait_confirmed()
        assert bob.invites_received == 1
        assert call.heard_tone(TONE["103"])
        call.hangup()


def declined(desk: Phone) -> bool:
    """True once the phone's one call ended (its 603 was acknowledged)."""
    calls = desk.incoming_calls
    return len(calls) == 1 and calls[0].state == "disconnected"


def test_one_phone_declining_leaves_the_extension_s_other_phone_ringing(
    pbx, extensions
):
    features(pbx, "forward", "102", "--busy", "103")
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="decline") as desk,
        Phone(
            "102", extensions["102"], server="127.0.0.1", port=pbx.sip_port,
            tone_hz=TONE_SECOND_102, answer_incoming="ring",
        ) as softphone,
        phone(pbx, "103", extensions["103"]) as carol,
    ):  # fmt: skip
        assert {r.register() for r in (alice, desk, softphone, carol)} == {200}
        call = alice.call("102")
        ringing = softphone.wait_incoming()
        deadline = time.monotonic() + 5
        while not declined(desk) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert declined(desk), "the desk phone got no call to decline"
        assert ringing.state == "early", "the other phone stopped ringing"
        ringing.answer()
        call.wait_confirmed()
        assert call.heard_tone(TONE_SECOND_102)
        assert carol.invites_received == 0
        call.hangup()


def test_forward_when_unreachable_rings_the_target(pbx, extensions):
    features(pbx, "forward", "102", "--unreachable", "103")
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert (alice.register(), carol.register()) == (200, 200)
        call = alice.call("102")  # 102 has no phone registered
        call.wait_confirmed()
        assert carol.invites_received == 1
        call.hangup()


def test_forward_always_to_a_conference_room_joins_the_room(pbx, extensions):
    assert pbx.cli("conference", "set", "800", "--name", "Weekly").returncode == 0
    features(pbx, "forward", "102", "--always", "800")
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"]) as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("102")
        call.wait_confirmed()  # the media service answers for the room
        assert bob.invites_received == 0
        call.hangup()


def test_a_forwarding_loop_ends_at_an_extension_already_reached(pbx, extensions):
    """102 busy -> 103, 103 always -> 102: 102 was reached, so 103 rings."""
    features(pbx, "forward", "102", "--busy", "103")
    features(pbx, "forward", "103", "--always", "102")
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="busy") as bob,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert {alice.register(), bob.register(), carol.register()} == {200}
        call = alice.call("102")
        call.wait_confirmed()
        assert (bob.invites_received, carol.invites_received) == (1, 1)
        call.hangup()


# -- outside numbers ----------------------------------------------------------


@pytest.fixture
def carrier():
    with Carrier(accounts={CARRIER_PHONE: CARRIER_PHONE_PASSWORD}) as running:
        yield running


@pytest.fixture
def outbound(pbx, carrier, extensions):
    """Every number of 5 digits or more goes out through a peer trunk."""
    result = pbx.cli(
        "trunk",
        "add",
        "carrier",
        "--kind",
        "peer",
        "--host",
        "127.0.0.1",
        "--port",
        str(carrier.port),
    )
    assert result.returncode == 0, result.stderr
    result = pbx.cli("route", "add", "all", "--pattern", "XXXXX.", "--trunk", "carrier")
    assert result.returncode == 0, result.stderr
    return carrier


def carrier_phone(carrier: Carrier) -> Phone:
    return Phone(
        CARRIER_PHONE,
        CARRIER_PHONE_PASSWORD,
        server="127.0.0.1",
        port=carrier.port,
        tone_hz=TONE_CARRIER,
    )


def test_forward_to_an_outside_number_goes_out_through_the_route(
    pbx, extensions, outbound
):
    features(pbx, "forward", "102", "--busy", CARRIER_PHONE)
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="busy") as bob,
        carrier_phone(outbound) as outsider,
    ):
        assert (alice.register(), bob.register(), outsider.register()) == (200,) * 3
        call = alice.call("102")
        call.wait_confirmed()
        assert call.heard_tone(TONE_CARRIER), "the caller does not hear the outsider"
        invite = outbound.requests("INVITE")[-1]
        assert invite.ruri.startswith(f"sip:{CARRIER_PHONE}@")
        call.hangup()

    # The call record is 102's outbound call, as if 102 had dialled it.
    record = wait_call_record(pbx, "answered")
    assert (record["direction"], record["src"], record["dst"]) == (
        "out",
        "102",
        CARRIER_PHONE,
    )


def test_a_forward_out_whose_route_was_removed_falls_back_to_voicemail(
    pbx, extensions, outbound
):
    assert pbx.cli("voicemail", "set", "102", "--pin", PIN).returncode == 0
    features(pbx, "forward", "102", "--busy", CARRIER_PHONE, "--always", "103")
    features(pbx, "forward", "102", "--clear", "always")
    removed = pbx.cli("route", "remove", "all")
    removed_json = pbx.cli(
        "route", "add", "all", "--pattern", "XXXXX.", "--trunk", "carrier"
    )
    assert removed_json.returncode == 0
    removed_json = pbx.cli("route", "remove", "all", "--json")

    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="busy") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("102")
        call.wait_confirmed()  # 102's mailbox answers instead of a 404
        assert bob.invites_received == 1
        assert outbound.requests("INVITE") == []
        call.hangup()

    assert removed.returncode == 0, removed.stderr
    warning = (
        "warning: extension 102's forward on busy to "
        f"{CARRIER_PHONE}: no outbound route carries it now"
    )
    assert warning in removed.stdout
    [said] = removed_json.json()["warnings"]
    assert said.startswith(f"extension 102's forward on busy to {CARRIER_PHONE}")


@pytest.mark.parametrize("kind", ["always", "busy"])
def test_a_forward_out_is_refused_by_the_guard_like_a_direct_call(
    pbx, extensions, outbound, kind
):
    features(pbx, "forward", "102", f"--{kind}", "00449001234567")
    result = pbx.cli("guard", "set", "--allowed-countries", "1")
    assert result.returncode == 0, result.stderr
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="busy") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        direct = failed_status(alice.call("00449001234567"))
        forwarded = failed_status(alice.call("102"))
    assert direct == forwarded == (403, "Country Not Allowed")
    assert outbound.requests("INVITE") == []
    # Both attempts are outbound call records: the forward is 102's.
    deadline = time.monotonic() + 5
    while True:
        refused = [r for r in call_records(pbx) if r["last_code"] == 403]
        if len(refused) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert sorted((r["direction"], r["src"]) for r in refused) == [
        ("out", "101"),
        ("out", "102"),
    ]


def call_records(pbx) -> list[dict]:
    result = pbx.cli("cdr", "list", "--json")
    assert result.returncode == 0, result.stderr
    return result.json()


def wait_call_record(pbx, disposition: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = call_records(pbx)
        if rows and rows[0]["disposition"] == disposition:
            return rows[0]
        time.sleep(0.2)
    raise AssertionError(f"no {disposition} call record: {call_records(pbx)}")


# -- calls from a trunk --------------------------------------------------------

ACCOUNT = "acme"
ACCOUNT_PASSWORD = "trunk-Secret-7"
DID = "15550100"
REGISTERED_TIMEOUT_S = 15.0


@pytest.fixture
def did_to_102(pbx, extensions):
    """A register trunk whose DID rings extension 102."""
    with Carrier(
        accounts={
            ACCOUNT: ACCOUNT_PASSWORD,
            CARRIER_PHONE: CARRIER_PHONE_PASSWORD,
            OTHER_CARRIER_PHONE: OTHER_CARRIER_PHONE_PASSWORD,
        },
        dids={DID: ACCOUNT},
    ) as carrier:
        result = pbx.cli(
            "trunk", "add", ACCOUNT, "--kind", "register",
            "--host", "127.0.0.1", "--port", str(carrier.port),
            "--username", ACCOUNT, "--password-stdin",
            stdin=ACCOUNT_PASSWORD + "\n",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert pbx.cli("trunk", "did", ACCOUNT, DID).returncode == 0
        assert pbx.cli("inbound", "add", DID, "--to", "102").returncode == 0
        deadline = time.monotonic() + REGISTERED_TIMEOUT_S
        state = ""
        while state != "registered" and time.monotonic() < deadline:
            time.sleep(0.3)
            shown = pbx.cli("trunk", "status", ACCOUNT, "--json").json()
            state = shown[0]["state"]
        assert state == "registered"
        yield carrier


def test_a_call_from_a_trunk_follows_the_extension_s_forward_and_dnd(
    pbx, extensions, did_to_102
):
    features(pbx, "forward", "102", "--always", "103")
    with (
        phone(pbx, "102", extensions["102"]) as bob,
        phone(pbx, "103", extensions["103"]) as carol,
        carrier_phone(did_to_102) as outsider,
    ):
        assert (bob.register(), carol.register(), outsider.register()) == (200,) * 3
        call = outsider.call(DID)
        call.wait_confirmed()
        incoming = carol.wait_incoming()
        incoming.wait_confirmed()
        assert call.heard_tone(TONE["103"]), "the outsider does not hear 103"
        assert incoming.heard_tone(TONE_CARRIER), "103 does not hear the outsider"
        assert bob.invites_received == 0
        call.hangup()

        features(pbx, "forward", "102", "--clear", "always")
        features(pbx, "dnd", "102", "on")
        code, _ = failed_status(outsider.call(DID))
        assert code == 486
        assert bob.invites_received == 0


def test_a_stop_ends_a_trunk_call_forwarded_out_to_a_trunk_on_both_sides(
    pbx, extensions, did_to_102
):
    # No extension is in this call: the carrier's caller reaches the
    # carrier's other subscriber through the PBX, trunk to trunk.
    result = pbx.cli("route", "add", "out", "--pattern", "XXXXX.", "--trunk", ACCOUNT)
    assert result.returncode == 0, result.stderr
    features(pbx, "forward", "102", "--always", OTHER_CARRIER_PHONE)
    with (
        carrier_phone(did_to_102) as outsider,
        Phone(
            OTHER_CARRIER_PHONE,
            OTHER_CARRIER_PHONE_PASSWORD,
            server="127.0.0.1",
            port=did_to_102.port,
            tone_hz=TONE_OTHER_CARRIER,
        ) as other,
    ):
        assert (outsider.register(), other.register()) == (200, 200)
        call = outsider.call(DID)
        call.wait_confirmed()
        incoming = other.wait_incoming()
        incoming.wait_confirmed()
        assert call.heard_tone(TONE_OTHER_CARRIER), "the caller hears nobody"
        assert incoming.heard_tone(TONE_CARRIER), "the forward's target hears nobody"

        pbx.stop()

        # Each side got its BYE through its carrier before the PBX went
        # down: nothing else would end a call here.
        call.wait_disconnected(timeout=5)
        incoming.wait_disconnected(timeout=5)
    assert [r["end_reason"] for r in call_records(pbx)] == ["cut: the PBX stopped"]


def test_call_waiting_off_gives_a_second_caller_busy_while_the_first_talks(
    pbx, extensions
):
    shown = features(pbx, "call-waiting", "102", "off")
    assert shown["call_waiting"] is False
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"]) as bob,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert {alice.register(), bob.register(), carol.register()} == {200}
        first = alice.call("102")
        first.wait_confirmed()
        code, _ = failed_status(carol.call("102"))
        assert code == 486
        assert bob.invites_received == 1

        first.hangup()
        first.wait_disconnected()
        second = carol.call("102")
        second.wait_confirmed()
        assert bob.invites_received == 2
        second.hangup()


def test_call_waiting_off_gives_busy_while_the_phone_still_rings(pbx, extensions):
    features(pbx, "call-waiting", "102", "off")
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"], answer_incoming="ring") as bob,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert {alice.register(), bob.register(), carol.register()} == {200}
        ringing = alice.call("102")
        bob.wait_incoming()
        code, _ = failed_status(carol.call("102"))
        assert code == 486
        assert bob.invites_received == 1
        ringing.hangup()


def test_call_waiting_on_rings_the_phone_for_a_second_caller(pbx, extensions):
    assert features(pbx, "features", "102")["call_waiting"] is True
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"]) as bob,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert {alice.register(), bob.register(), carol.register()} == {200}
        first = alice.call("102")
        first.wait_confirmed()
        second = carol.call("102")
        second.wait_confirmed()
        assert bob.invites_received == 2
        second.hangup()
        first.hangup()


def test_call_waiting_off_sends_a_second_caller_to_voicemail_on_busy(pbx, extensions):
    assert pbx.cli("voicemail", "set", "102", "--pin", PIN).returncode == 0
    features(pbx, "call-waiting", "102", "off")
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"]) as bob,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert {alice.register(), bob.register(), carol.register()} == {200}
        first = carol.call("102")
        first.wait_confirmed()
        to_mailbox = alice.call("102")
        to_mailbox.wait_confirmed()  # the mailbox answers
        assert bob.invites_received == 1
        to_mailbox.hangup()
        first.hangup()


def dial_code(caller: Phone, dialled: str) -> None:
    """Dial a feature code: the media service answers, says, hangs up."""
    call = caller.call(dialled)
    call.wait_confirmed()
    call.wait_disconnected(timeout=15)


def test_forward_codes_set_and_cancel_the_caller_s_own_forwards(pbx, extensions):
    with (
        phone(pbx, "101", extensions["101"]) as alice,
        phone(pbx, "102", extensions["102"]) as bob,
        phone(pbx, "103", extensions["103"]) as carol,
    ):
        assert {alice.register(), bob.register(), carol.register()} == {200}
        dial_code(bob, "*72103")
        assert features(pbx, "features", "102")["forward_always"] == "103"
        call = alice.call("102")
        call.wait_confirmed()
        assert carol.invites_received == 1
        assert bob.invites_received == 0
        call.hangup()

        dial_code(bob, "*73")
        for code in ("*90", "*52"):
            dial_code(bob, code + "103")
        dial_code(bob, "*71")
        shown = features(pbx, "features", "102")
        dial_code(bob, "*91")
        dial_code(bob, "*53")
        dial_code(bob, "*70")
        cleared = features(pbx, "features", "102")
    assert (shown["forward_always"], shown["call_waiting"]) == ("", False)
    assert (shown["forward_busy"], shown["forward_no_answer"]) == ("103", "103")
    assert (cleared["forward_busy"], cleared["forward_no_answer"]) == ("", "")
    assert cleared["call_waiting"] is True


def test_a_forward_code_to_a_number_the_extension_may_not_reach_changes_nothing(
    pbx, extensions
):
    with phone(pbx, "102", extensions["102"]) as bob:
        assert bob.register() == 200
        dial_code(bob, "*72999")  # no such extension, no route out
    assert features(pbx, "features", "102")["forward_always"] == ""


def test_a_changed_feature_code_works_and_the_old_one_no_longer_does(pbx, extensions):
    changed = pbx.cli("feature-codes", "set", "forward_always", "*74", "--json")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert changed.json()["code"] == "*74"
    with phone(pbx, "102", extensions["102"]) as bob:
        assert bob.register() == 200
        old = bob.call("*72103")
        with pytest.raises(CallFailed):
            old.wait_confirmed()
        assert features(pbx, "features", "102")["forward_always"] == ""
        dial_code(bob, "*74103")
    assert features(pbx, "features", "102")["forward_always"] == "103"
