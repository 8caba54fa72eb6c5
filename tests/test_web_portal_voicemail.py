"""The portal's voicemail with a real appliance: a caller leaves a message
through the media service, its owner plays it in the portal (the phone's
message waiting light goes out), downloads and deletes it, and sets a PIN
and a greeting; nobody else reaches it."""

from __future__ import annotations

import io
import math
import struct
import wave

import pytest

from agent.media.uploads import MAX_UPLOAD_BYTES
from tests import browser_driver
from tests.sipphone import Phone, read_wav_tail, tone_share
from tests.test_media import leave_message, wait_messages
from tests.webclient import api_client, field_error, portal_user, signed_in
from webadmin.bodies import MAX_BODY_BYTES
from webadmin.pages_portal_voicemail import FORM_OVERHEAD_BYTES

TONE_101 = 697
TONE_102 = 1209
PIN = "4713"


def phone(pbx, user, password, tone_hz) -> Phone:
    return Phone(user, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=tone_hz)


def tone_wav(seconds: float = 1.0, hz: int = 440, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
                for i in range(int(seconds * rate))
            )
        )
    return out.getvalue()


@pytest.fixture
def office(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    assert pbx.cli("voicemail", "set", "101", "--pin", PIN).returncode == 0
    return passwords


def test_the_owner_plays_downloads_and_deletes_a_message(pbx, office, tmp_path):
    with phone(pbx, "102", office["102"], TONE_102) as caller:
        assert caller.register() == 200
        leave_message(caller, "101")  # 101 has no phone yet: unavailable
    [left] = wait_messages(pbx, "101", 1)
    admin = signed_in(pbx)
    owner = portal_user(pbx, admin, "101")
    stranger = portal_user(pbx, admin, "102")

    with phone(pbx, "101", office["101"], TONE_101) as desk:
        assert desk.register() == 200
        desk.wait_message_summary("Voice-Message: 1/0")
        listed = owner.get("/portal/voicemail")
        played = owner.get(f"/portal/voicemail/{left['id']}/audio")
        desk.wait_message_summary("Voice-Message: 0/1")
    saved = owner.get(f"/portal/voicemail/{left['id']}/audio?save=1")
    theirs = stranger.get(f"/portal/voicemail/{left['id']}/audio")
    stranger_delete = stranger.post_form(
        f"/portal/voicemail/{left['id']}/delete", {}, csrf_from="/portal/voicemail"
    )
    kept = wait_messages(pbx, "101", 1)
    deleted = owner.post_form(
        f"/portal/voicemail/{left['id']}/delete", {}, csrf_from="/portal/voicemail"
    )
    after = owner.get(deleted.headers["location"])

    assert listed.status == 200
    assert f'src="/portal/voicemail/{left["id"]}/audio"' in listed.body
    assert "102 (new)" in listed.body
    assert played.status == 200 and played.content_type == "audio/wav"
    recording = tmp_path / "played.wav"
    recording.write_bytes(played.body_bytes)
    rate, samples = read_wav_tail(str(recording), 1.0)
    assert tone_share(samples, rate, TONE_102) > 0.5, "the caller's voice is in it"
    assert kept[0]["heard"], "playing it in the portal marks it heard"
    assert "attachment" in saved.headers["content-disposition"]
    assert theirs.status == 404 and stranger_delete.status == 404
    assert deleted.status == 303
    assert "The message is deleted." in after.body and 'id="no-messages"' in after.body
    assert pbx.cli("voicemail", "messages", "101", "--json").json() == []


def test_the_owner_sets_a_pin_and_a_greeting_and_bad_ones_change_nothing(pbx, office):
    admin = signed_in(pbx)
    owner = portal_user(pbx, admin, "101")
    page = "/portal/voicemail"

    letters = owner.post_form(f"{page}/pin", {"pin": "12ab", "pin_again": "12ab"})
    differ = owner.post_form(f"{page}/pin", {"pin": "2468", "pin_again": "2469"})
    same = owner.post_form(f"{page}/pin", {"pin": "5555", "pin_again": "5555"})
    changed = owner.post_form(f"{page}/pin", {"pin": "2468", "pin_again": "2468"})
    not_audio = owner.post_file(
        f"{page}/greeting", {"reason": "busy"}, "hello.wav", b"not audio", page
    )
    greeting = owner.post_file(
        f"{page}/greeting", {"reason": "busy"}, "hello.wav", tone_wav(), page
    )
    shown = pbx.cli("voicemail", "show", "101", "--json").json()
    audit = admin.get("/audit").body

    assert letters.status == 422 and "digits only" in field_error(letters.body, "pin")
    assert differ.status == 422
    assert field_error(differ.body, "pin_again") == (
        "The same PIN again: differs from the new PIN"
    )
    assert field_error(letters.body, "pin") == "New PIN: digits only"
    assert same.status == 422
    assert "one digit repeated" in field_error(same.body, "pin")
    assert changed.status == 303
    assert audit.count("pin=changed") == 2, "the box's first PIN, then the owner's"
    assert '<td data-label="Who">ext101</td>' in audit
    assert not_audio.status == 422 and field_error(not_audio.body, "file")
    assert greeting.status == 303
    assert shown["greetings"] == ["busy"]


def test_the_owner_plays_a_message_in_chromium_and_it_shows_as_heard(
    pbx, office, browser_ready
):
    with phone(pbx, "102", office["102"], TONE_102) as caller:
        assert caller.register() == 200
        leave_message(caller, "101")
    [left] = wait_messages(pbx, "101", 1)
    admin = signed_in(pbx)
    owner = portal_user(pbx, admin, "101")

    seen = browser_driver.run(
        "portal_voicemail.mjs",
        pbx,
        session=owner.cookies["__Host-edgepbx_session"],
        message=str(left["id"]),
    )
    [kept] = wait_messages(pbx, "101", 1)

    assert "102 (new)" in seen["before"]["text"]
    assert seen["before"]["className"] == "new"
    assert seen["played"]["error"] is None
    assert seen["played"]["currentTime"] >= 1.0, seen["played"]
    assert seen["played"]["duration"] == pytest.approx(left["duration_s"], abs=0.5)
    assert seen["after"]["className"] == "old"
    assert "(new)" not in seen["after"]["text"]
    assert kept["heard"]
    assert seen["consoleErrors"] == []


def test_a_greeting_over_the_limit_is_refused_beside_the_file_and_changes_nothing(
    pbx, office
):
    admin = signed_in(pbx)
    owner = portal_user(pbx, admin, "101")
    page = "/portal/voicemail"
    too_big = b"\0" * (MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES + 1)

    refused = owner.post_file(
        f"{page}/greeting", {"reason": "busy"}, "long.wav", too_big, page
    )
    after = owner.post_file(
        f"{page}/greeting", {"reason": "busy"}, "hello.wav", tone_wav(), page
    )

    assert refused.status == 413
    assert field_error(refused.body, "file") == (
        "Recording: at most 10 MB; nothing was changed"
    )
    assert after.status == 303, "the same user, signed in, uploads again"
    assert pbx.cli("voicemail", "show", "101", "--json").json()["greetings"] == ["busy"]


def test_an_api_body_over_the_limit_gets_a_problem_naming_the_limit(pbx):
    api = api_client(pbx, "administrator")
    padded = b'{"number": "555", "display_name": "' + b" " * MAX_BODY_BYTES + b'"}'

    refused = api.request(
        "POST",
        "/api/v1/extensions",
        body=padded,
        headers={"Content-Type": "application/json"},
    )

    assert refused.status == 413
    assert refused.json()["field"] == "body"
    assert refused.json()["detail"] == f"body: at most 64 KB ({MAX_BODY_BYTES} bytes)"
    assert api.get("/api/v1/extensions/555").status == 404
