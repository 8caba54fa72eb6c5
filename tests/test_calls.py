"""Calls between extensions through the PBX, with real phones and real audio.

Every phone is a pjsua2 user agent (tests.sipphone) playing a tone of its
own frequency; a call only counts as connected when each side hears the
other's tone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator

import pytest

from tests.sipphone import Call, CallFailed, Phone
from tests.webclient import signed_in

# Distinct tones, well apart inside the telephone band.
TONE_101 = 697
TONE_102 = 1209
TONE_102_SECOND_PHONE = 1633
#: How long the call a stop cuts has been going on, at least.
CUT_CALL_HELD_S = 2.0


def phone(pbx, user, password, tone_hz, transport="udp", **kw) -> Phone:
    return Phone(
        user,
        password,
        server="127.0.0.1",
        port=pbx.sip_port,
        transport=transport,
        tone_hz=tone_hz,
        **kw,
    )


@pytest.fixture
def extensions(pbx):
    return {number: pbx.add_extension(number) for number in ("101", "102")}


@contextlib.contextmanager
def answered_call(
    pbx,
    extensions,
    caller_transport: str = "udp",
    callee_transport: str = "udp",
    callee_options: dict | None = None,
    **caller_options,
) -> Iterator[tuple[Call, Call]]:
    """101 calls 102, 102 answers: yields the call as each side sees it."""
    with (
        phone(
            pbx, "101", extensions["101"], TONE_101, caller_transport, **caller_options
        ) as alice,
        phone(
            pbx,
            "102",
            extensions["102"],
            TONE_102,
            callee_transport,
            **(callee_options or {}),
        ) as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("102")
        call.wait_confirmed()
        incoming = bob.wait_incoming()
        # Bob has the ACK: a re-INVITE racing it would rightly get 491.
        incoming.wait_confirmed()
        yield call, incoming


def assert_two_way_audio(call, incoming, caller_tone: int, callee_tone: int) -> None:
    assert call.heard_tone(callee_tone), "caller does not hear the callee"
    assert incoming.heard_tone(caller_tone), "callee does not hear the caller"
    assert not call.heard_tone(caller_tone, timeout=0)


@pytest.mark.parametrize(
    ("caller_transport", "callee_transport"),
    [("udp", "udp"), ("tcp", "udp"), ("udp", "tcp")],
)
def test_two_phones_call_each_other_with_audio_both_ways(
    pbx, extensions, caller_transport, callee_transport
):
    with answered_call(pbx, extensions, caller_transport, callee_transport) as (
        call,
        incoming,
    ):
        assert_two_way_audio(call, incoming, TONE_101, TONE_102)
        call.hangup()
        assert incoming.wait_disconnected() is not None
        assert call.state == incoming.state == "disconnected"


def test_one_extension_on_two_phones_rings_both_and_the_answering_one_talks(
    pbx, extensions
):
    with (
        phone(pbx, "101", extensions["101"], TONE_101) as alice,
        phone(pbx, "102", extensions["102"], TONE_102, answer_incoming="ring") as desk,
        phone(
            pbx, "102", extensions["102"], TONE_102_SECOND_PHONE, answer_incoming="ring"
        ) as softphone,
    ):
        assert {alice.register(), desk.register(), softphone.register()} == {200}
        shown = pbx.cli("extension", "show", "102", "--json").json()
        assert len(shown["registrations"]) == 2

        call = alice.call("102")
        on_desk = desk.wait_incoming()
        on_softphone = softphone.wait_incoming()
        on_softphone.answer()
        call.wait_confirmed()

        assert call.heard_tone(TONE_102_SECOND_PHONE)
        assert not call.heard_tone(TONE_102, timeout=0)
        assert on_desk.wait_disconnected() == 487  # the other phone stops ringing
        call.hangup()


@pytest.mark.parametrize("callee_does", ["busy", "decline"])
def test_a_busy_or_declining_callee_without_a_mailbox_gives_the_caller_busy(
    pbx, extensions, callee_does
):
    # A phone's Reject key sends 603 Decline: busy, as far as the caller and
    # the call record are concerned.
    with (
        phone(pbx, "101", extensions["101"], TONE_101) as alice,
        phone(
            pbx, "102", extensions["102"], TONE_102, answer_incoming=callee_does
        ) as b,
    ):
        alice.register(), b.register()
        assert failed_call_status(alice, "102") == 486
    deadline = time.monotonic() + 5
    while pbx.cli("cdr", "list", "--json").json() == [] and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert the_call_record(pbx)["disposition"] == "busy"


@pytest.mark.parametrize(
    ("number", "caller_gets"),
    [("102", 480), ("555", 404)],
    ids=["extension-with-no-phone", "no-such-number"],
)
def test_unreachable_and_unknown_numbers_get_480_and_404(
    pbx, extensions, number, caller_gets
):
    with phone(pbx, "101", extensions["101"], TONE_101) as alice:
        alice.register()
        assert failed_call_status(alice, number) == caller_gets


def failed_call_status(caller: Phone, number: str) -> int:
    with pytest.raises(CallFailed) as failed:
        caller.call(number).wait_confirmed()
    return failed.value.status_code


def test_wrong_password_is_refused(pbx, extensions):
    with phone(pbx, "101", "Not-The-Password-1", TONE_101) as intruder:
        assert intruder.register() in (401, 403)
        assert not intruder.registration.is_registered
    assert pbx.cli("extension", "show", "101", "--json").json()["registrations"] == []


def test_caller_hanging_up_while_it_rings_stops_the_ringing(pbx, extensions):
    with (
        phone(pbx, "101", extensions["101"], TONE_101) as alice,
        phone(pbx, "102", extensions["102"], TONE_102, answer_incoming="ring") as bob,
    ):
        alice.register(), bob.register()
        call = alice.call("102")
        incoming = bob.wait_incoming()
        call.wait_ringing()
        call.hangup()
        assert incoming.wait_disconnected() == 487
        assert call.wait_disconnected() == 487


def test_hold_and_resume_go_through_the_pbx(pbx, extensions):
    with answered_call(pbx, extensions) as (call, incoming):
        assert call.hold() == 200
        assert incoming.media_status == "remote_hold"
        assert call.unhold() == 200
        assert call.heard_tone(TONE_102)
        assert incoming.heard_tone(TONE_101)
        assert incoming.reinvites_received == 2
        call.hangup()


def test_callee_hanging_up_ends_the_call_for_the_caller(pbx, extensions):
    with answered_call(pbx, extensions) as (call, incoming):
        incoming.hangup()
        call.wait_disconnected()
        assert call.state == "disconnected"


def test_adding_an_extension_during_a_call_does_not_drop_it(pbx, extensions):
    with answered_call(pbx, extensions) as (call, incoming):
        password = pbx.add_extension("103")
        with phone(pbx, "103", password, 1477) as carol:
            assert carol.register() == 200

        assert call.state == incoming.state == "confirmed"
        assert call.heard_tone(TONE_102) and incoming.heard_tone(TONE_101)
        call.hangup()
        assert incoming.wait_disconnected() is not None


def the_call_record(pbx) -> dict:
    (record,) = pbx.cli("cdr", "list", "--json").json()
    return record


def bind_free(sock: socket.socket) -> int:
    """Bind sock to a free port of the loopback; the port."""
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]


def wait_gone(pid: int, timeout: float = 10.0) -> None:
    """Wait until no process has pid (a daemon dying with its agent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise TimeoutError(f"process {pid} still runs after {timeout} s")


@pytest.mark.parametrize("misnamed", ["caller", "callee"])
def test_a_phone_whose_contact_names_a_port_it_does_not_send_from_gets_its_bye(
    pbx, extensions, misnamed
):
    # A phone behind a NAT that learnt its public address but not the port
    # the NAT gave it: its Contact names the address it sends from and a
    # port nobody answers (held here, so no one else takes it).
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unanswered:
        port = bind_free(unanswered)
        options = (
            {"contact": f"<sip:101@127.0.0.1:{port}>"}
            if misnamed == "caller"
            else {"callee_options": {"contact": f"<sip:102@127.0.0.1:{port}>"}}
        )
        with answered_call(pbx, extensions, **options) as (call, incoming):
            assert call.heard_tone(TONE_102) and incoming.heard_tone(TONE_101)
            hanging_up, other = (
                (incoming, call) if misnamed == "caller" else (call, incoming)
            )

            hanging_up.hangup()

            # The BYE reaches the phone where it sends from, not the port
            # its Contact names: the call ends on both phones.
            assert other.wait_disconnected(timeout=5) is not None
            assert hanging_up.wait_disconnected(timeout=5) == 200


def test_a_stop_ends_the_calls_in_progress_for_both_phones_and_records_the_cut(
    pbx, extensions
):
    # The caller as behind a NAT: its Contact names an address it does not
    # send from, where nothing answers (held here, so no one else takes it).
    # The callee over TCP: its BYE is relayed over its own connection.
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as private,
        answered_call(
            pbx,
            extensions,
            callee_transport="tcp",
            contact=f"<sip:101@127.0.0.1:{bind_free(private)}>",
        ) as (call, incoming),
    ):
        held_from = time.monotonic()
        assert call.heard_tone(TONE_102) and incoming.heard_tone(TONE_101)
        shown = pbx.cli("monitor", "--json").json()["calls"]
        assert [c["state"] for c in shown] == ["answered"]
        # A call that has been going on a while (on a quiet machine the
        # tones are heard within half a second): its record must say so.
        time.sleep(max(0.0, CUT_CALL_HELD_S - (time.monotonic() - held_from)))

        pbx.stop()

        # Each phone got its BYE before the PBX went down: nothing else
        # would end a call here (no session timer, no RTP timeout).
        ended = [c.wait_disconnected(timeout=5) for c in (call, incoming)]
        assert ended == [200, 200]
        # Started again while the phones are still up: they go on as usual.
        pbx.start()
        record = the_call_record(pbx)
        assert (record["src"], record["dst"], record["disposition"]) == (
            "101",
            "102",
            "answered",
        )
        assert record["end_reason"] == "cut: the PBX stopped"
        assert record["end"] is not None
        assert record["duration"] >= CUT_CALL_HELD_S - 1  # whole seconds
        assert "cut: the PBX stopped" in pbx.cli("cdr", "list").stdout
        assert pbx.cli("monitor", "--json").json()["calls"] == []


def test_a_stop_cancels_a_ringing_call_for_both_phones_and_records_the_cut(
    pbx, extensions
):
    with (
        phone(pbx, "101", extensions["101"], TONE_101) as alice,
        phone(pbx, "102", extensions["102"], TONE_102, answer_incoming="ring") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("102")
        rings = bob.wait_incoming()
        call.wait_ringing()
        shown = pbx.cli("monitor", "--json").json()["calls"]
        assert [c["state"] for c in shown] == ["ringing"]

        pbx.stop()

        # The phone that rang stops ringing (a CANCEL, RFC 3261 section 9),
        # and its caller hears the call end, not a silence until it gives up.
        assert rings.wait_disconnected(timeout=5) == 487
        assert call.wait_disconnected(timeout=5) == 487
        pbx.start()
        record = the_call_record(pbx)
        assert (record["src"], record["dst"], record["answer"]) == ("101", "102", None)
        assert record["disposition"] == "failed"
        assert record["end_reason"] == "cut: the PBX stopped"
        assert pbx.cli("monitor", "--json").json()["calls"] == []


def test_a_call_cut_by_a_crash_is_closed_without_the_downtime_and_shown_cut(
    pbx, extensions
):
    before_call = time.time()
    with answered_call(pbx, extensions) as (call, _):
        assert call.heard_tone(TONE_102)
        assert the_call_record(pbx)["end"] is None
        kamailio = pbx.kamailio_pid()

        os.killpg(pbx.process.pid, signal.SIGKILL)
        killed = time.time()
        pbx.process.wait()
        wait_gone(kamailio)
        pbx.start()

        record = the_call_record(pbx)
        assert record["end_reason"] == "cut: the PBX went down"
        assert record["disposition"] == "answered"
        # No phone ended the call: no SIP code of an end, no made-up one.
        assert record["last_code"] == 0
        # It ends when the agent was last alive, before the crash: its
        # duration is at most the time it lasted, not the restart's too.
        assert record["end"] is not None
        assert record["duration"] <= killed - before_call + 1
        assert pbx.cli("monitor", "--json").json()["calls"] == []
        calls_page = signed_in(pbx, "administrator").get("/calls").body
        assert '<small class="end-reason">cut: the PBX went down</small>' in (
            calls_page
        )
