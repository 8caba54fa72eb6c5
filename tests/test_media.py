"""The media service with real phones: voicemail, message waiting, IVR, and
calls between extensions that survive the media service's death.

Every phone is a pjsua2 user agent (tests.sipphone) playing a tone of its
own; the media service is the appliance's own pool of pjsua2 workers,
started and supervised by the agent.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import time

import pytest

from tests.sipphone import Phone, read_wav_tail, tone_share
from tests.sipraw import SipClient, SipReply

TONE_101 = 697
TONE_102 = 1209
PIN = "4713"
# A message long enough to measure, short enough for a quick test.
MESSAGE_S = 3.0


def phone(pbx, user, password, tone_hz, **kw) -> Phone:
    return Phone(
        user, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=tone_hz, **kw
    )


@pytest.fixture
def extensions(pbx):
    return {number: pbx.add_extension(number) for number in ("101", "102")}


def media_pids(pbx) -> list[int]:
    """The media workers' pids, from the agent's state file."""
    import json

    state = json.loads((pbx.data_dir / "run" / "agent.json").read_text())
    return [
        d["pid"]
        for name, d in state["daemons"].items()
        if name.startswith("media-") and d["pid"]
    ]


def leave_message(caller: Phone, number: str) -> None:
    """Call a number that goes to voicemail, skip the greeting, speak, hang up."""
    call = caller.call(number)
    call.wait_confirmed()
    time.sleep(0.5)
    call.send_dtmf("1")  # any key skips the greeting to the tone
    time.sleep(MESSAGE_S)
    call.hangup()
    call.wait_disconnected()


def assert_no_worker_died(pbx) -> None:
    died = [line for line in pbx.log().splitlines() if "killed by" in line]
    assert not died, died


def wait_logged(pbx, line: str, timeout: float = 10.0) -> bool:
    """True once the appliance's logs hold line."""
    deadline = time.monotonic() + timeout
    while line not in pbx.log():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def messages(pbx, number: str) -> list[dict]:
    result = pbx.cli("voicemail", "messages", number, "--json")
    assert result.returncode == 0, result.stderr
    return result.json()


def wait_messages(pbx, number: str, count: int, timeout: float = 5.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = messages(pbx, number)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"mailbox {number}: no {count} messages after {timeout} s")


def test_a_busy_extension_s_caller_leaves_a_message_the_phones_are_told(
    pbx, extensions
):
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    with (
        phone(pbx, "101", extensions["101"], TONE_101, answer_incoming="busy") as a,
        phone(pbx, "102", extensions["102"], TONE_102) as b,
    ):
        assert (a.register(), b.register()) == (200, 200)
        leave_message(b, "101")

        [message] = wait_messages(pbx, "101", 1)
        assert message["caller"] == "102"
        assert message["reason"] == "busy"
        assert not message["heard"]
        assert MESSAGE_S - 1.5 <= message["duration_s"] <= MESSAGE_S + 1.5
        rate, samples = read_wav_tail(message["path"], 1.0)
        assert tone_share(samples, rate, TONE_102) > 0.5, "the caller's voice is in it"

        summary = a.wait_message_summary("Voice-Message: 1/0")
        assert "Messages-Waiting: yes" in summary
    assert_no_worker_died(pbx)


# Long enough for a NOTIFY that was going to come after a REGISTER.
NO_NOTIFY_WAIT_S = 3.0


def test_a_phone_is_told_the_count_when_it_starts_registering_not_on_refreshes(
    pbx, extensions
):
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    with phone(pbx, "101", extensions["101"], TONE_101) as desk:
        assert desk.register() == 200
        desk.wait_message_summary("Voice-Message: 0/0")
        for _ in range(3):  # refreshes: the same Call-ID (RFC 3261 10.2.4)
            assert desk.register() == 200
        time.sleep(NO_NOTIFY_WAIT_S)
        assert len(desk.message_summaries) == 1

        # Another phone of 101 (or this one after a reboot: a new Call-ID)
        # is told on its first REGISTER.
        with phone(pbx, "101", extensions["101"], TONE_101) as rebooted:
            assert rebooted.register() == 200
            rebooted.wait_message_summary("Voice-Message: 0/0")


def test_an_extension_with_no_phone_or_no_mailbox_is_told_apart(pbx, extensions):
    """No phone registered: voicemail if there is a box, else 480."""
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    with phone(pbx, "102", extensions["102"], TONE_102) as b:
        assert b.register() == 200
        leave_message(b, "101")
        assert wait_messages(pbx, "101", 1)[0]["reason"] == "unavailable"

        from tests.sipphone import CallFailed

        call = b.call("999")
        with pytest.raises(CallFailed) as failed:
            call.wait_confirmed()
        assert failed.value.status_code == 404


def test_the_owner_hears_the_message_with_the_pin_and_the_light_goes_off(
    pbx, extensions
):
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    with (
        phone(pbx, "101", extensions["101"], TONE_101, answer_incoming="busy") as a,
        phone(pbx, "102", extensions["102"], TONE_102) as b,
    ):
        assert (a.register(), b.register()) == (200, 200)
        leave_message(b, "101")
        a.wait_message_summary("Voice-Message: 1/0")

        call = a.call("*97")
        call.wait_confirmed()
        time.sleep(0.5)
        call.send_dtmf(PIN + "#")
        time.sleep(1.0)
        call.send_dtmf("1")  # listen
        # The message plays: 101 hears 102's tone from the recording.
        assert call.heard_tone(TONE_102, timeout=10)
        call.send_dtmf("9")  # save
        a.wait_message_summary("Voice-Message: 0/1")
        call.hangup()
        [message] = messages(pbx, "101")
        assert message["heard"]


def test_a_wrong_pin_opens_nothing(pbx, extensions):
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    with phone(pbx, "101", extensions["101"], TONE_101) as a:
        assert a.register() == 200
        call = a.call("*97")
        call.wait_confirmed()
        for _ in range(3):
            time.sleep(0.5)
            call.send_dtmf("0000#")
            time.sleep(2.5)
        # Three wrong PINs: the service says goodbye and hangs up.
        call.wait_disconnected(timeout=10)


def test_killing_the_media_service_leaves_a_call_between_extensions_up(pbx, extensions):
    with (
        phone(pbx, "101", extensions["101"], TONE_101) as a,
        phone(pbx, "102", extensions["102"], TONE_102) as b,
    ):
        assert (a.register(), b.register()) == (200, 200)
        call = a.call("102")
        call.wait_confirmed()
        incoming = b.wait_incoming()
        assert call.heard_tone(TONE_102)

        pids = media_pids(pbx)
        assert pids
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        time.sleep(2)

        assert call.state == incoming.state == "confirmed"
        assert call.heard_tone(TONE_102), "the caller still hears the callee"
        assert incoming.heard_tone(TONE_101), "the callee still hears the caller"
        call.hangup()
        assert incoming.wait_disconnected() is not None


def test_a_pin_that_is_not_digits_is_refused_naming_the_field(pbx_data):
    pbx_data.cli("extension", "add", "101", "--name", "A")
    result = pbx_data.cli("voicemail", "set", "101", "--pin", "12a4", "--json")
    assert result.returncode == 2
    assert result.json()["error"]["field"] == "--pin"
    assert "digits only" in result.json()["error"]["message"]
    assert pbx_data.cli("voicemail", "list", "--json").json() == []


def test_a_mailbox_for_a_missing_extension_is_refused_as_every_command_says_it(
    pbx_data,
):
    mailbox = pbx_data.cli("voicemail", "set", "999", "--pin", "2580")
    extension = pbx_data.cli("extension", "show", "999")

    assert mailbox.returncode == 2
    assert 'extension "999": no such extension' in mailbox.stderr
    assert mailbox.stderr.splitlines()[-1] == extension.stderr.splitlines()[-1]


def test_a_message_is_e_mailed_with_the_wav_attached(pbx):
    from tests.mailserver import MailServer

    smtp = MailServer().start()
    try:
        assert (
            pbx.cli(
                "mail",
                "set",
                "--host=127.0.0.1",
                f"--port={smtp.port}",
                "--security=none",
                "--sender=pbx@example.com",
            ).returncode
            == 0
        )
        added = pbx.cli(
            "extension", "add", "101", "--name", "Ann", "--email", "ann@example.com"
        )
        assert added.returncode == 0, added.stderr
        password_102 = pbx.add_extension("102")
        result = pbx.cli("voicemail", "set", "101", "--pin", PIN, "--email", "on")
        assert result.returncode == 0, result.stderr
        with phone(pbx, "102", password_102, TONE_102) as b:
            assert b.register() == 200
            leave_message(b, "101")

        (received,) = smtp.wait_for(1, timeout=10)
        assert received.recipients == ["ann@example.com"]
        assert "102" in received.message["Subject"]
        [attachment] = list(received.message.iter_attachments())
        assert attachment.get_content_type() == "audio/wav"
        [message] = messages(pbx, "101")
        with open(message["path"], "rb") as f:
            assert attachment.get_content() == f.read()
        assert_no_worker_died(pbx)
    finally:
        smtp.stop()


def wait_media_restarted(pbx, old: list[int], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = media_pids(pbx)
        restarted = len(pids) == len(old) and not set(pids) & set(old)
        if restarted and pbx.status().get("ready"):
            return
        time.sleep(0.2)
    raise TimeoutError("the agent did not restart the media workers")


def test_killed_media_workers_are_restarted_and_take_calls_again(pbx, extensions):
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    old = media_pids(pbx)
    os.kill(old[0], signal.SIGKILL)
    with phone(pbx, "102", extensions["102"], TONE_102) as b:
        assert b.register() == 200
        # One worker is dead: the call goes to another.
        leave_message(b, "101")
        assert len(wait_messages(pbx, "101", 1)) == 1

        for pid in media_pids(pbx):
            os.kill(pid, signal.SIGKILL)
        wait_media_restarted(pbx, media_pids(pbx) or old)
        leave_message(b, "101")
        assert len(wait_messages(pbx, "101", 2)) == 2


def test_an_unanswered_call_goes_to_voicemail_after_the_ring_time(tmp_path):
    from tests.pbx import RunningPbx

    pbx = RunningPbx(tmp_path / "var", extra_env={"EDGEPBX_RING_TIMEOUT_S": "3"})
    pbx.start()
    try:
        passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
        assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
        with (
            phone(pbx, "101", passwords["101"], TONE_101, answer_incoming="ring") as a,
            phone(pbx, "102", passwords["102"], TONE_102) as b,
        ):
            assert (a.register(), b.register()) == (200, 200)
            call = b.call("101")
            a.wait_incoming()  # it rings, nobody answers
            call.wait_confirmed(timeout=10)  # then voicemail answers
            time.sleep(0.5)
            call.send_dtmf("1")
            time.sleep(MESSAGE_S)
            call.hangup()
            [message] = wait_messages(pbx, "101", 1)
            assert message["reason"] == "unavailable"
    finally:
        pbx.stop()


# The system prompts' tone before recording (beep.wav) is 700 Hz.
BEEP_HZ = 700
# Commercial PBXs greet in about 4-6 s ("101 is unavailable, please leave
# a message after the tone"); the tone must follow within this.
GREETING_MAX_S = 7.0


def test_the_tone_comes_within_seconds_of_answer_and_a_short_message_is_kept(
    pbx, extensions
):
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    with phone(pbx, "102", extensions["102"], TONE_102) as b:
        assert b.register() == 200
        call = b.call("101")
        call.wait_confirmed()
        answered = time.monotonic()
        heard = call.heard_tone(BEEP_HZ, timeout=15)
        to_tone = time.monotonic() - answered
        time.sleep(2.0)  # a two-second message: "call me back, please"
        call.hangup()
        call.wait_disconnected()
    [message] = wait_messages(pbx, "101", 1)

    assert heard, "no tone before recording"
    assert to_tone < GREETING_MAX_S, f"{to_tone:.1f} s of greeting before the tone"
    assert 1.0 <= message["duration_s"] <= 3.5


def test_silence_ends_a_message_and_is_not_kept(pbx, extensions):
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    with phone(pbx, "102", extensions["102"], TONE_102) as b:
        assert b.register() == 200
        call = b.call("101")
        call.wait_confirmed()
        time.sleep(0.5)
        call.send_dtmf("1")
        time.sleep(MESSAGE_S)
        call.mute()  # the caller says nothing more
        # 5 s of silence: the service files the message and hangs up.
        call.wait_disconnected(timeout=15)
        [message] = wait_messages(pbx, "101", 1)
        assert message["duration_s"] <= MESSAGE_S + 1.5


def test_the_owner_changes_the_pin_from_the_phone(pbx, extensions):
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    with phone(pbx, "101", extensions["101"], TONE_101) as a:
        assert a.register() == 200
        call = a.call("*97")
        call.wait_confirmed()
        time.sleep(0.5)
        call.send_dtmf(PIN + "#")
        time.sleep(1.0)
        call.send_dtmf("0")  # mailbox options
        time.sleep(1.0)
        call.send_dtmf("5")  # change the PIN
        time.sleep(1.0)
        call.send_dtmf("97531#")
        time.sleep(1.0)
        call.send_dtmf("97531#")
        assert wait_logged(pbx, "voicemail 101: PIN changed from the phone")
        call.hangup()

    audit = pbx.cli("voicemail", "show", "101", "--json")
    assert audit.returncode == 0
    from agent.accounts.passwords import verify_password
    from agent.db import open_database
    from agent.db.models import Extension, Mailbox

    open_database(pbx.data_dir / "db" / "edgepbx.sqlite")
    box = Mailbox.select().join(Extension).where(Extension.number == "101").get()
    assert verify_password("97531", box.pin_hash)


def test_a_pin_anyone_would_guess_is_refused_on_the_phone(pbx, extensions):
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    with phone(pbx, "101", extensions["101"], TONE_101) as a:
        assert a.register() == 200
        call = a.call("*97")
        call.wait_confirmed()
        time.sleep(0.5)
        call.send_dtmf(PIN + "#")
        time.sleep(1.0)
        call.send_dtmf("0")  # mailbox options
        time.sleep(1.0)
        call.send_dtmf("5")  # change the PIN
        time.sleep(1.0)
        call.send_dtmf("1111#")
        time.sleep(1.0)
        call.send_dtmf("1111#")
        time.sleep(3.0)
        call.hangup()

    from agent.accounts.passwords import verify_password
    from agent.db import open_database
    from agent.db.models import Extension, Mailbox

    open_database(pbx.data_dir / "db" / "edgepbx.sqlite")
    box = Mailbox.select().join(Extension).where(Extension.number == "101").get()
    assert verify_password(PIN, box.pin_hash)
    assert not verify_password("1111", box.pin_hash)


def test_the_owner_records_a_greeting_and_deletes_a_message(pbx, extensions):
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    with (
        phone(pbx, "101", extensions["101"], TONE_101, answer_incoming="busy") as a,
        phone(pbx, "102", extensions["102"], TONE_102) as b,
    ):
        assert (a.register(), b.register()) == (200, 200)
        leave_message(b, "101")
        a.wait_message_summary("Voice-Message: 1/0")
        told = len(a.message_summaries)

        call = a.call("*97")
        call.wait_confirmed()
        time.sleep(0.5)
        call.send_dtmf(PIN + "#")
        time.sleep(1.0)
        call.send_dtmf("0")  # options
        time.sleep(1.0)
        call.send_dtmf("2")  # record the busy greeting after the prompt and tone
        time.sleep(5.5 + MESSAGE_S)
        call.send_dtmf("#")  # done
        time.sleep(2.0)
        call.send_dtmf("#")  # back to the main menu
        time.sleep(1.0)
        call.send_dtmf("1")  # listen
        time.sleep(2.0)
        call.send_dtmf("7")  # delete
        a.wait_message_summary("Voice-Message: 0/0", timeout=10, after=told)
        call.hangup()

    assert messages(pbx, "101") == []
    greeting = pbx.data_dir / "voicemail" / "101" / "greeting-busy.wav"
    rate, samples = read_wav_tail(greeting, 1.0)
    assert tone_share(samples, rate, TONE_101) > 0.5, "the owner's voice"
    assert pbx.cli("voicemail", "show", "101", "--json").json()["greetings"] == ["busy"]


def test_a_mailed_message_waits_for_its_recorder_to_close_the_file(tmp_path):
    """The recorder writes the WAV sizes after it is stopped; a mail sent at
    once must not carry the half-written file."""
    import threading
    import wave

    from agent.voicemail.email import complete_wav

    path = tmp_path / "msg.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * 8000)
    final = path.read_bytes()
    path.write_bytes(final[:4] + b"\x00\x00\x00\x00" + final[8:4000])  # still open
    threading.Timer(0.3, path.write_bytes, args=(final,)).start()

    assert complete_wav(path, wait_s=5.0) == final


def records_by_dst(pbx, count: int, timeout: float = 10.0) -> dict[str, dict]:
    """The ended call records, by destination, once count of them are in."""
    deadline = time.monotonic() + timeout
    while True:
        found = pbx.cli("cdr", "list", "--json").json()
        ended = {r["dst"]: r for r in found if r["end"]}
        if len(ended) >= count or time.monotonic() > deadline:
            return ended
        time.sleep(0.2)


def test_calls_to_voicemail_menus_and_rooms_each_leave_a_truthful_record(
    pbx, extensions
):
    pbx.add_extension("103")  # no phone: its calls go straight to voicemail
    pbx.add_extension("104")
    assert pbx.cli("extension", "dnd", "104", "on").returncode == 0
    for number in ("101", "102", "103", "104"):
        assert pbx.cli("voicemail", "set", number, "--pin", PIN).returncode == 0
    assert pbx.cli("ivr", "set", "700", "--name", "Main", "--prompt",
                   "dir-welcome").returncode == 0  # fmt: skip
    assert pbx.cli("conference", "set", "810", "--name", "Team").returncode == 0
    held_s = 2.0

    with (
        phone(pbx, "101", extensions["101"], TONE_101) as a,
        phone(pbx, "102", extensions["102"], TONE_102, answer_incoming="busy") as b,
    ):
        assert (a.register(), b.register()) == (200, 200)
        for number in ("102", "103", "104", "*97", "700", "810"):
            call = a.call(number)
            call.wait_confirmed()
            time.sleep(held_s)
            call.hangup()
            call.wait_disconnected()
    made = records_by_dst(pbx, 6)

    assert {dst: r["disposition"] for dst, r in made.items()} == {
        "102": "voicemail",
        "103": "voicemail",
        "104": "voicemail",
        "*97": "voicemail",
        "700": "answered",
        "810": "answered",
    }
    for record in made.values():
        assert record["src"] == "101" and record["direction"] == "internal"
        assert held_s - 1 <= record["billsec"] <= held_s + 2, record
        assert record["duration"] >= record["billsec"]


def test_a_video_phone_s_offer_is_answered_with_its_audio_and_the_video_refused(
    pbx, extensions
):
    """pjsua2 is built for four media lines a call (scripts/build-pjsua2):
    an offer of audio, video and a content video gets an answer with all
    three lines, the audio taken and both videos refused with port 0
    (RFC 3264 section 6)."""
    offer = "\r\n".join(
        [
            "v=0",
            "o=- 1 1 IN IP4 127.0.0.1",
            "s=-",
            "c=IN IP4 127.0.0.1",
            "t=0 0",
            "m=audio 40000 RTP/AVP 0",
            "a=sendrecv",
            "m=video 40002 RTP/AVP 96",
            "a=rtpmap:96 H264/90000",
            "m=video 40004 RTP/AVP 96",
            "a=rtpmap:96 H264/90000",
            "a=content:slides",
            "",
        ]
    )
    with SipClient("127.0.0.1", pbx.sip_port) as caller:
        host, port = caller.server
        uri = f"sip:*97@{host}:{port}"
        answer = caller.send_with_auth(
            "INVITE",
            uri,
            "101",
            extensions["101"],
            to_user="*97",
            extra_headers=["Content-Type: application/sdp"],
            body=offer,
        )
        assert answer.status == 200
        lines = answer.raw.split("\r\n\r\n", 1)[1].split("\r\n")
        media = [line.split()[:2] for line in lines if line.startswith("m=")]
        assert media[0][0] == "m=audio" and media[0][1] != "0"
        assert media[1:] == [["m=video", "0"], ["m=video", "0"]]
        hang_up(caller, answer, "101")
    assert_no_worker_died(pbx)


def hang_up(caller: SipClient, answer: SipReply, user: str) -> None:
    """ACK a 200 to an INVITE sent with send_with_auth (CSeq 2), then BYE."""
    contact = re.search(r"<([^>]+)>", answer.header("Contact") or "").group(1)
    routes = [v for k, v in answer.headers if k.lower() == "record-route"]
    dialog = [
        f"From: {answer.header('From')}",
        f"To: {answer.header('To')}",
        f"Call-ID: {answer.header('Call-ID')}",
        *(f"Route: {route}" for route in reversed(routes)),
    ]
    local = f"{caller.local_host}:{caller.local_port}"
    for method, cseq in (("ACK", 2), ("BYE", 3)):
        branch = "z9hG4bK" + secrets.token_hex(8)
        request = [
            f"{method} {contact} SIP/2.0",
            f"Via: SIP/2.0/UDP {local};branch={branch};rport",
            "Max-Forwards: 70",
            *dialog,
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{user}@{local}>",
            "Content-Length: 0",
            "",
            "",
        ]
        caller.send_raw("\r\n".join(request).encode())
    # The 200 to the INVITE may come again before the ACK reached the worker.
    reply = caller.receive()
    while reply.header("CSeq") != "3 BYE":
        reply = caller.receive()
    assert reply.status == 200
