"""Call recording: rtpengine captures a recorded call, the agent makes it a
WAV file under recordings/ and names it in the call's record.

Real Kamailio, rtpengine and pjsua2 phones, each phone sending a tone of its
own frequency: the recording must carry both tones, each on its side's
channel.
"""

from __future__ import annotations

import array
import time
from pathlib import Path
from urllib.parse import quote

from agent.recordings.capture import read_wav
from tests.sipphone import Phone, tone_share
from tests.webclient import (
    CHOSEN_PASSWORD,
    api_client,
    client,
    portal_account,
    portal_user,
    signed_in,
)

TONE_101 = 697
TONE_102 = 1209
# A lone tone scores about 1 in tone_share; the other side's tone, codec
# noise and silence far below this.
TONE_PRESENT = 0.5
TONE_ABSENT = 0.1
RECORD_WAIT_S = 20.0


def phone(pbx, user, password, tone_hz) -> Phone:
    return Phone(user, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=tone_hz)


def call_records(pbx) -> list[dict]:
    result = pbx.cli("cdr", "list", "--json")
    assert result.returncode == 0, result.stderr
    return result.json()


def talk(pbx, passwords, seconds: float = 2.0) -> None:
    """101 calls 102, both hear each other, they talk a while, 101 hangs up."""
    with (
        phone(pbx, "101", passwords["101"], TONE_101) as alice,
        phone(pbx, "102", passwords["102"], TONE_102) as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("102")
        call.wait_confirmed()
        incoming = bob.wait_incoming()
        incoming.wait_confirmed()
        assert call.heard_tone(TONE_102) and incoming.heard_tone(TONE_101)
        time.sleep(seconds)
        call.hangup()
        incoming.wait_disconnected()


def wait_ended_record(pbx, linked: bool) -> dict:
    deadline = time.monotonic() + RECORD_WAIT_S
    rows: list[dict] = []
    while time.monotonic() < deadline:
        rows = call_records(pbx)
        if rows and rows[0]["end"] and (rows[0]["recording"] or not linked):
            return rows[0]
        time.sleep(0.3)
    raise AssertionError(f"no ended call record with a recording: {rows}")


def middle(channel: list[int], seconds: float = 1.0) -> list[int]:
    half = int(seconds * 8000) // 2
    centre = len(channel) // 2
    return channel[centre - half : centre + half]


def test_a_recorded_call_between_extensions_leaves_a_wav_with_both_tones(pbx, tmp_path):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    chosen = pbx.cli("extension", "recording", "101", "outbound", "--json")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.json() == {"extension": "101", "recording": "outbound"}

    talk(pbx, passwords)

    record = wait_ended_record(pbx, linked=True)
    assert (record["src"], record["dst"], record["disposition"]) == (
        "101",
        "102",
        "answered",
    )
    audio = pbx.data_dir / "recordings" / record["recording"]
    rate, (caller, callee) = read_wav(audio)
    assert rate == 8000
    assert len(caller) / rate >= 2.0
    left = array.array("h", middle(caller))
    right = array.array("h", middle(callee))
    assert tone_share(left, rate, TONE_101) > TONE_PRESENT
    assert tone_share(right, rate, TONE_102) > TONE_PRESENT
    assert tone_share(left, rate, TONE_102) < TONE_ABSENT
    assert tone_share(right, rate, TONE_101) < TONE_ABSENT
    # The raw capture is gone once the audio file is made.
    capture = pbx.data_dir / "capture"
    assert not list(capture.glob("pcaps/*")) and not list(capture.glob("metadata/*"))

    listed = pbx.cli("recording", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = listed.json()
    assert (entry["call_id"], entry["file"], entry["present"]) == (
        record["call_id"],
        record["recording"],
        True,
    )
    copy = tmp_path / "copy.wav"
    exported = pbx.cli("recording", "export", record["call_id"], "-o", str(copy))
    assert exported.returncode == 0, exported.stderr
    assert copy.read_bytes() == audio.read_bytes()
    master = pbx.cli("cdr", "list", "--csv")
    assert master.stdout.rstrip("\n").split(",")[-1] == record["recording"]

    check_the_pages_show_it(pbx, record)
    check_the_api_serves_it(pbx, record, audio)
    # Removed: the page says so instead of offering a player.
    calls = signed_in(pbx, "administrator").get("/calls").body
    assert '<span class="removed">removed</span>' in calls
    assert "<audio" not in calls


def check_the_pages_show_it(pbx, record: dict) -> None:
    """The Calls page plays and offers the recording to whoever may listen;
    a portal user whose role grants recordings hears their own calls'."""
    audio_url = f"/api/v1/recordings/{quote(record['call_id'], safe='')}/audio"
    admin = signed_in(pbx, "administrator")
    calls = admin.get("/calls").body
    assert f'<audio controls preload="none" src="{audio_url}"' in calls
    assert f'href="{audio_url}?download=1"' in calls
    assert admin.get(audio_url).status == 200  # the page's session may fetch it

    operator = signed_in(pbx, "operator")
    calls = operator.get("/calls").body
    assert "101" in calls and "<audio" not in calls and "Recording" not in calls
    assert operator.get(audio_url).status == 403

    made = pbx.cli("role", "add", "listener", "--module", "recordings=view")
    assert made.returncode == 0, made.stderr
    password = portal_account(admin, "101")
    accounts = pbx.cli("account", "list", "--json").json()
    [username] = [a["username"] for a in accounts if a["extension"] == "101"]
    moved = pbx.cli("account", "set-role", username, "--role", "listener")
    assert moved.returncode == 0, moved.stderr
    user = client(pbx)
    user.sign_in("101", password)
    assert user.change_password(password, CHOSEN_PASSWORD).status == 303
    mine = user.get("/portal/calls").body
    assert f'<audio controls preload="none" src="{audio_url}"' in mine
    assert user.get(audio_url).status == 200

    bob = portal_user(pbx, admin, "102")  # a user's role: no recordings
    assert "<audio" not in bob.get("/portal/calls").body
    assert bob.get(audio_url).status == 403

    # The extension's page sets what is recorded, and refuses what is not a choice.
    page = admin.get("/extensions/102").body
    assert '<option value="off" selected>' in page
    form = {"display_name": "102", "email": "", "enabled": "on", "recording": "both"}
    saved = admin.post_form("/extensions/102", form, csrf_from="/extensions/102")
    assert saved.status == 303
    shown = pbx.cli("extension", "show", "102", "--json").json()
    assert shown["recording"] == "both"
    form["recording"] = "sometimes"
    refused = admin.post_form("/extensions/102", form, csrf_from="/extensions/102")
    assert refused.status == 422
    assert 'id="recording-error"' in refused.body
    assert pbx.cli("extension", "show", "102", "--json").json()["recording"] == "both"
    undo = admin.post_form(
        "/extensions/102", form | {"recording": "off"}, csrf_from="/extensions/102"
    )
    assert undo.status == 303


def check_the_api_serves_it(pbx, record: dict, audio: Path) -> None:
    """The API lists the recording, serves its audio with Range to whoever
    may listen, refuses everyone else, and says so once the file is gone."""
    admin = api_client(pbx, "administrator")
    audio_url = f"/api/v1/recordings/{quote(record['call_id'], safe='')}/audio"
    [listed] = admin.get("/api/v1/recordings").json()
    assert (listed["file"], listed["present"]) == (record["recording"], True)
    [row] = admin.get("/api/v1/cdr").json()
    assert row["recording"] == record["recording"]

    whole = admin.get(audio_url)
    assert (whole.status, whole.content_type) == (200, "audio/wav")
    assert whole.body_bytes == audio.read_bytes()
    part = admin.get(audio_url, headers={"Range": "bytes=100-199"})
    assert part.status == 206
    assert part.body_bytes == audio.read_bytes()[100:200]
    assert part.headers["content-range"].startswith("bytes 100-199/")
    saved = admin.get(audio_url + "?download=1")
    assert "attachment" in saved.headers["content-disposition"]
    assert record["recording"] in saved.headers["content-disposition"]

    operator = api_client(pbx, "operator")
    refused = operator.get(audio_url)
    assert refused.status == 403
    assert "play and download call recordings" in refused.json()["detail"]
    assert operator.get("/api/v1/recordings").status == 403

    bad = admin.request(
        "PUT", "/api/v1/extensions/102/recording", json_body={"recording": "always"}
    )
    assert bad.status == 422
    assert bad.json()["detail"].startswith('recording "always": one of off')
    assert pbx.cli("extension", "show", "102", "--json").json()["recording"] == "off"

    audio.unlink()  # as the clean-up of old recordings does
    [listed] = admin.get("/api/v1/recordings").json()
    assert listed["present"] is False
    gone = admin.get(audio_url)
    assert gone.status == 404
    assert "was removed" in gone.json()["detail"]


def test_a_call_nobody_records_leaves_no_recording(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}

    talk(pbx, passwords, seconds=0.5)

    record = wait_ended_record(pbx, linked=False)
    assert record["recording"] == ""
    time.sleep(2)  # what a recording would take to be made
    recordings = pbx.data_dir / "recordings"
    assert not recordings.exists() or not list(recordings.iterdir())
    assert pbx.cli("recording", "list", "--json").json() == []


def test_a_recording_setting_outside_the_choices_is_refused(pbx_data):
    pbx_data.add_extension("101")
    refused = pbx_data.cli("extension", "recording", "101", "sometimes")
    assert refused.returncode != 0
    assert 'mode "sometimes": one of off, inbound, outbound, both' in (refused.stderr)
    shown = pbx_data.cli("extension", "show", "101", "--json")
    assert shown.json().get("recording", "off") == "off"
