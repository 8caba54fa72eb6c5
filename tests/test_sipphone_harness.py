"""The test phones themselves, without a PBX: phones call each other by IP.

These tests prove the harness that the PBX tests rely on: if two phones
dialling each other directly hear each other's tone, and a busy phone
answers 486, then a failure through the PBX is the PBX's.
"""

from __future__ import annotations

import array
import math
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sipphone import (
    CallFailed,
    Phone,
    PhoneError,
    PhoneHost,
    PhoneSettings,
    WorkerDied,
    tone_share,
)

# DTMF row and column tones: the usual way to give each phone its own.
ALICE_HZ = 697
BOB_HZ = 1209
CAROL_HZ = 1477
# A frequency no phone sends: hearing it would mean the detector is fooled.
NOBODY_HZ = 1633
# How long to let audio flow before judging silence (more than the window
# heard_tone() looks at).
SETTLE_S = 0.7
# What the fake registrar grants; shorter than what the phones ask for.
GRANTED_EXPIRES_S = 60


@pytest.fixture
def alice() -> Iterator[Phone]:
    with Phone("alice", tone_hz=ALICE_HZ) as phone:
        yield phone


@pytest.fixture
def bob() -> Iterator[Phone]:
    with Phone("bob", tone_hz=BOB_HZ) as phone:
        yield phone


def test_two_phones_dialling_each_other_hear_each_others_tone(alice, bob):
    call = alice.call(bob.uri)
    call.wait_confirmed()
    incoming = bob.wait_incoming()

    assert call.heard_tone(BOB_HZ)
    assert incoming.heard_tone(ALICE_HZ)
    assert not call.heard_tone(ALICE_HZ, timeout=0)
    assert not call.heard_tone(NOBODY_HZ, timeout=0)
    assert not incoming.heard_tone(BOB_HZ, timeout=0)
    assert not incoming.heard_tone(NOBODY_HZ, timeout=0)
    assert call.sip_call_id and call.sip_call_id == incoming.sip_call_id

    call.hangup()
    assert call.wait_disconnected() == 200
    assert incoming.wait_disconnected() == 200
    assert bob.invites_received == 1
    assert alice.ringing_received == 1


@pytest.mark.parametrize(("policy", "code"), [("busy", 486), ("decline", 603)])
def test_a_phone_that_refuses_gives_the_caller_the_status(alice, bob, policy, code):
    bob.answer_incoming = policy

    call = alice.call(bob.uri)
    with pytest.raises(CallFailed) as failure:
        call.wait_confirmed()

    assert failure.value.status_code == code
    assert call.last_status_code == code
    bob.wait_invites(1)
    assert bob.incoming_calls[0].wait_disconnected() == code
    assert bob.invites_received == 1


def test_a_ringing_phone_can_be_answered_by_hand(alice, bob):
    bob.answer_incoming = "ring"

    call = alice.call(bob.uri)
    call.wait_ringing()
    incoming = bob.wait_incoming()
    assert call.state == "early" and call.last_status_code == 180
    incoming.answer()

    call.wait_confirmed()
    assert call.heard_tone(BOB_HZ)
    assert call.ringing_received == 1


def test_the_caller_giving_up_cancels_the_ringing_phone(alice, bob):
    bob.answer_incoming = "ring"
    call = alice.call(bob.uri)
    incoming = bob.wait_incoming()
    call.wait_ringing()

    call.hangup()

    assert call.wait_disconnected() == 487
    assert incoming.wait_disconnected() == 487


def test_a_phone_answering_late_rings_first(alice, bob):
    bob.answer_after = 0.5

    call = alice.call(bob.uri)
    call.wait_ringing()
    assert call.state == "early"

    call.wait_confirmed(timeout=3)


def test_hold_and_unhold_are_reinvites_that_stop_and_resume_audio(alice, bob):
    call = alice.call(bob.uri)
    call.wait_confirmed()
    incoming = bob.wait_incoming()
    assert call.heard_tone(BOB_HZ)

    assert call.hold() == 200
    assert call.media_status == "local_hold"
    assert incoming.media_status == "remote_hold"
    time.sleep(SETTLE_S)
    assert not call.heard_tone(BOB_HZ, timeout=0)
    assert incoming.heard_tone(ALICE_HZ, timeout=0)  # the holder still sends

    assert call.unhold() == 200
    assert call.media_status == incoming.media_status == "active"
    assert call.heard_tone(BOB_HZ)

    assert incoming.reinvite() == 200
    assert incoming.reinvites_received == 2
    assert call.reinvites_received == 1


def test_dtmf_digits_reach_the_other_phone(alice, bob):
    call = alice.call(bob.uri)
    call.wait_confirmed()
    incoming = bob.wait_incoming()

    call.send_dtmf("159#")

    assert incoming.wait_dtmf("159#") == "159#"


def test_phones_over_tcp_sharing_one_worker_are_separate_phones():
    with PhoneHost() as host:
        first = host.phone("101", transport="tcp", tone_hz=ALICE_HZ)
        second = host.phone("101", transport="tcp", tone_hz=BOB_HZ)
        caller = host.phone("carol", transport="tcp", tone_hz=CAROL_HZ)
        assert first.local_port != second.local_port

        for phone in (first, second):
            call = caller.call(phone.uri)
            call.wait_confirmed()
            assert call.heard_tone(phone.tone_hz)
            assert phone.wait_incoming().heard_tone(CAROL_HZ)
            call.hangup()
            call.wait_disconnected()

        assert first.invites_received == second.invites_received == 1


class FakeRegistrar:
    """Answers every REGISTER on a UDP port with one status, and records it.

    Just enough of RFC 3261 section 10.3 for the phone: the reply copies Via,
    From, Call-ID and CSeq, tags To, and on 200 grants GRANTED_EXPIRES_S to
    each Contact (0 when the phone asked to remove it).
    """

    def __init__(self, status: str) -> None:
        self.status = status
        self.contacts: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while self.running:
            try:
                data, source = self.sock.recvfrom(65536)
            except TimeoutError:
                continue
            self.sock.sendto(self.reply(data.decode()), source)

    def reply(self, request: str) -> bytes:
        headers = request.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
        copied = [h for h in headers if re.match(r"(Via|From|Call-ID|CSeq):", h)]
        to = next(h for h in headers if h.startswith("To:"))
        contact = next(h for h in headers if h.startswith("Contact:"))
        self.contacts.append(contact)
        removing = "expires=0" in contact or "Expires: 0" in headers
        lines = [f"SIP/2.0 {self.status}", *copied, f"{to};tag=fake"]
        if self.status.startswith("200") and not removing:
            lines.append(f"{contact};expires={GRANTED_EXPIRES_S}")
        lines += ["Content-Length: 0", "", ""]
        return "\r\n".join(lines).encode()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def registrar() -> Iterator[FakeRegistrar]:
    server = FakeRegistrar("200 OK")
    yield server
    server.close()


def test_register_reports_the_code_and_the_granted_expiry(registrar):
    with Phone("101", "secret", server="127.0.0.1", port=registrar.port) as phone:
        assert not phone.registration.is_registered

        assert phone.register() == 200
        assert phone.registration.expires == GRANTED_EXPIRES_S
        assert phone.registration.is_registered

        assert phone.unregister() == 200
        assert phone.registration.expires == 0


def test_two_phones_of_one_extension_register_distinct_contacts(registrar):
    with PhoneHost() as host:
        for _ in range(2):
            phone = host.phone("101", "s", server="127.0.0.1", port=registrar.port)
            assert phone.register() == 200

    first, second = registrar.contacts[:2]
    assert "101@127.0.0.1" in first and "101@127.0.0.1" in second
    assert first != second


def test_a_refused_register_reports_the_refusal():
    registrar = FakeRegistrar("403 Forbidden")
    try:
        with Phone("101", "wrong", server="127.0.0.1", port=registrar.port) as phone:
            assert phone.register() == 403
            assert phone.registration.reason == "Forbidden"
            assert not phone.registration.is_registered
    finally:
        registrar.close()


def test_a_phone_without_a_server_cannot_register_or_dial_a_number(alice):
    with pytest.raises(PhoneError, match="no server"):
        alice.register()
    with pytest.raises(PhoneError, match="no server"):
        alice.call("102")


def test_a_crashed_worker_fails_the_test_and_is_reaped(alice):
    os.kill(alice.host.pid, signal.SIGKILL)

    with pytest.raises(WorkerDied):
        alice.call("sip:bob@127.0.0.1:9")
    alice.close()

    assert not alice.host.is_alive
    assert not Path(f"/proc/{alice.host.pid}").exists()


def test_closing_a_phone_stops_its_worker_and_removes_its_files(alice, bob):
    call = alice.call(bob.uri)
    call.wait_confirmed()
    incoming = bob.wait_incoming()
    workdir = alice.host.workdir

    alice.close()

    assert not Path(f"/proc/{alice.host.pid}").exists()
    assert not workdir.exists()
    assert incoming.wait_disconnected() == 200


def test_phone_settings_cross_the_pipe_unchanged():
    settings = PhoneSettings(
        user="101",
        password="pw",
        server="127.0.0.1",
        port=5070,
        transport="tcp",
        tone_hz=BOB_HZ,
        display_name="Front desk",
        answer_incoming="ring",
        answer_after=1.5,
    )

    assert PhoneSettings.from_wire(settings.to_wire()) == settings


@pytest.mark.parametrize(
    ("field", "value"),
    [("transport", "sctp"), ("tone_hz", 50), ("answer_incoming", "maybe")],
)
def test_impossible_phone_settings_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        PhoneSettings(user="101", **{field: value})


def sine(hz: float, rate: int, seconds: float, amplitude: float) -> list[float]:
    count = int(rate * seconds)
    return [amplitude * math.sin(2 * math.pi * hz * n / rate) for n in range(count)]


def test_the_tone_detector_tells_tones_apart_and_ignores_silence():
    rate = 8000
    both = [
        a + b
        for a, b in zip(
            sine(ALICE_HZ, rate, 0.5, 8000), sine(BOB_HZ, rate, 0.5, 8000), strict=True
        )
    ]
    samples = array.array("h", (int(x) for x in both))
    silence = array.array("h", [3, -2] * 2000)

    assert tone_share(samples, rate, ALICE_HZ) == pytest.approx(0.5, abs=0.05)
    assert tone_share(samples, rate, BOB_HZ) == pytest.approx(0.5, abs=0.05)
    assert tone_share(samples, rate, NOBODY_HZ) < 0.01
    assert tone_share(silence, rate, ALICE_HZ) == 0.0
