"""Music on hold: a held party hears the site's music until the resume.

Real pjsua2 phones, a real Kamailio and rtpengine. The site's music is a
tone of its own frequency uploaded as the owner would, so the held phone's
recording tells the music apart from the holding phone's tone and from
silence.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from agent.rtpengine.ng import NgClient
from agent.sip.hold import HELD, HOLD_RELAY_FLAGS, holds
from tests.carrier import Carrier
from tests.fake_ksr import FakeKsr
from tests.pbx import RunningPbx
from tests.sipphone import TONE_MIN_SHARE, TONE_POLL_S, Call
from tests.test_calls import TONE_101, TONE_102, answered_call
from tests.test_trunks import (
    ACCOUNT,
    ACCOUNT_PASSWORD,
    CARRIER_PHONE,
    CARRIER_PHONE_PASSWORD,
    TONE_CARRIER_PHONE,
    TONE_EXTENSION,
    add_register_trunk,
    carrier_phone,
    extension_phone,
    wait_trunk_state,
)

# The uploaded music: a tone no phone of these tests sends.
MUSIC_HZ = 523
MUSIC_S = 3


def _tone(path, hz: int, seconds: int) -> None:
    tone = ["synth", str(seconds), "sine", str(hz), "vol", "0.5"]
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), *tone],
        check=True,
    )


def _soxi(path, option: str) -> str:
    """One property of an audio file, as sox reads it."""
    result = subprocess.run(
        ["soxi", option, str(path)], check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def no_longer_hears(call: Call, hz: int, timeout: float = 5.0) -> bool:
    """True once the latest received audio no longer holds the tone hz."""
    deadline = time.monotonic() + timeout
    while call.tone_share(hz) >= TONE_MIN_SHARE:
        if time.monotonic() >= deadline:
            return False
        time.sleep(TONE_POLL_S)
    return True


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    """One appliance for the call tests: each leaves the music as it found it."""
    running = RunningPbx(tmp_path_factory.mktemp("hold") / "var").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def extensions(pbx):
    return {number: pbx.add_extension(number) for number in ("101", "102")}


@pytest.fixture
def carrier():
    """A carrier with the trunk's account and a phone of its own."""
    accounts = {ACCOUNT: ACCOUNT_PASSWORD, CARRIER_PHONE: CARRIER_PHONE_PASSWORD}
    with Carrier(accounts=accounts) as running:
        yield running


@pytest.fixture(scope="module")
def music(pbx, tmp_path_factory):
    """The site's music on hold is a steady MUSIC_HZ tone, uploaded."""
    path = tmp_path_factory.mktemp("music") / "tone.wav"
    _tone(path, MUSIC_HZ, MUSIC_S)
    result = pbx.cli("music", "upload", "hold-tone", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_held_party_hears_the_music_until_resumed(pbx, extensions, music):
    relay = NgClient("127.0.0.1", pbx.rtpengine_port)
    with answered_call(pbx, extensions) as (call, incoming):
        assert call.heard_tone(TONE_102) and incoming.heard_tone(TONE_101)
        assert call.sip_call_id not in relay.calls()  # phone to phone

        assert call.hold() == 200
        assert incoming.media_status == "remote_hold"
        assert incoming.heard_tone(MUSIC_HZ), "the held phone hears no music"
        time.sleep(MUSIC_S + 1)  # past the music's end: it loops
        assert incoming.heard_tone(MUSIC_HZ, timeout=0)
        # Only the music: the holding phone's microphone is not heard.
        assert no_longer_hears(incoming, TONE_101, timeout=0)

        assert call.unhold() == 200
        assert incoming.heard_tone(TONE_101), "callee does not hear the caller"
        assert call.heard_tone(TONE_102), "caller does not hear the callee"
        assert no_longer_hears(incoming, MUSIC_HZ), "the music goes on"
        assert call.sip_call_id not in relay.calls()
        call.hangup()


def test_with_music_on_hold_turned_off_a_held_party_hears_silence(
    pbx, extensions, music
):
    off = pbx.cli("music", "on-hold", "off", "--json")
    assert off.returncode == 0, off.stderr
    assert off.json() == {"enabled": False}
    relay = NgClient("127.0.0.1", pbx.rtpengine_port)
    try:
        with answered_call(pbx, extensions) as (call, incoming):
            assert call.hold() == 200
            assert no_longer_hears(incoming, TONE_101)
            assert not incoming.heard_tone(MUSIC_HZ, timeout=2)
            assert call.sip_call_id not in relay.calls()
            assert call.unhold() == 200
            assert incoming.heard_tone(TONE_101)

            # Turned on again, the next hold has music.
            assert pbx.cli("music", "on-hold", "on").returncode == 0
            assert call.hold() == 200
            assert incoming.heard_tone(MUSIC_HZ), "the held phone hears no music"
            call.hangup()
    finally:
        pbx.cli("music", "on-hold", "on")


def test_music_plays_to_either_side_of_a_call_over_a_trunk(
    pbx, extensions, carrier, music
):
    password = extensions["101"]
    add_register_trunk(pbx, carrier)
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"
    added = pbx.cli("route", "add", "national", "--pattern", "9|1XXXXXXX",
                    "--trunk", "acme")  # fmt: skip
    assert added.returncode == 0, added.stderr

    with (
        extension_phone(pbx, "101", password) as alice,
        carrier_phone(carrier) as outside,
    ):
        assert (alice.register(), outside.register()) == (200, 200)
        call = alice.call("9" + CARRIER_PHONE)
        call.wait_confirmed()
        incoming = outside.wait_incoming()
        incoming.wait_confirmed()
        assert incoming.heard_tone(TONE_EXTENSION)

        # The extension holds: the carrier's phone hears the music.
        assert call.hold() == 200
        assert incoming.heard_tone(MUSIC_HZ), "the outside party hears no music"
        assert no_longer_hears(incoming, TONE_EXTENSION)
        assert call.unhold() == 200
        assert no_longer_hears(incoming, MUSIC_HZ), "the music goes on"
        assert incoming.heard_tone(TONE_EXTENSION)

        # The outside party holds: the extension hears the music.
        assert incoming.hold() == 200
        assert call.heard_tone(MUSIC_HZ), "the extension hears no music"
        assert incoming.unhold() == 200
        assert no_longer_hears(call, MUSIC_HZ), "the music goes on"
        assert call.heard_tone(TONE_CARRIER_PHONE)
        assert incoming.heard_tone(TONE_EXTENSION)
        call.hangup()


def test_the_music_file_follows_the_uploads_and_the_switch(pbx_data, tmp_path):
    played = pbx_data.data_dir / "cache" / "music-on-hold.wav"
    _tone(tmp_path / "a.wav", 440, 2)
    _tone(tmp_path / "b.wav", 880, 3)
    assert pbx_data.cli("music", "upload", "a", str(tmp_path / "a.wav")).returncode == 0
    assert _soxi(played, "-s") == str(2 * 8000)
    assert (_soxi(played, "-r"), _soxi(played, "-c")) == ("8000", "1")
    assert _soxi(played, "-e") == "u-law"
    assert pbx_data.cli("music", "upload", "b", str(tmp_path / "b.wav")).returncode == 0
    assert _soxi(played, "-s") == str(5 * 8000)

    # An unchanged site keeps its file.
    built = played.stat().st_mtime_ns
    assert pbx_data.cli("music", "on-hold", "on").returncode == 0
    assert played.stat().st_mtime_ns == built

    assert pbx_data.cli("music", "on-hold", "off").returncode == 0
    assert not played.exists()
    assert pbx_data.cli("music", "on-hold", "--json").json() == {"enabled": False}
    assert pbx_data.cli("music", "on-hold", "on").returncode == 0
    assert played.exists()

    # No uploads left: Debian's music.
    for name in ("a", "b"):
        assert pbx_data.cli("music", "remove", name).returncode == 0
    assert int(_soxi(played, "-s")) > 60 * 8000


SDP_HEAD = "v=0\r\no=- 1 2 IN IP4 192.0.2.5\r\ns=-\r\nt=0 0\r\n"
AUDIO = "m=audio 4000 RTP/AVP 0\r\n"


@pytest.mark.parametrize(
    ("sdp", "on_hold"),
    [
        (SDP_HEAD + "c=IN IP4 192.0.2.5\r\n" + AUDIO + "a=sendrecv\r\n", False),
        (SDP_HEAD + "c=IN IP4 192.0.2.5\r\n" + AUDIO, False),
        (SDP_HEAD + "c=IN IP4 192.0.2.5\r\n" + AUDIO + "a=sendonly\r\n", True),
        (SDP_HEAD + "c=IN IP4 192.0.2.5\r\n" + AUDIO + "a=inactive\r\n", True),
        (SDP_HEAD + "c=IN IP4 192.0.2.5\r\n" + AUDIO + "a=recvonly\r\n", False),
        # Session-level direction, which a media-level one overrides.
        (SDP_HEAD + "c=IN IP4 192.0.2.5\r\na=sendonly\r\n" + AUDIO, True),
        (
            SDP_HEAD + "a=sendonly\r\nc=IN IP4 192.0.2.5\r\n" + AUDIO
            + "a=sendrecv\r\n",
            False,
        ),
        # RFC 2543's hold: the connection address 0.0.0.0.
        (SDP_HEAD + "c=IN IP4 0.0.0.0\r\n" + AUDIO, True),
        (SDP_HEAD + "c=IN IP4 192.0.2.5\r\n" + AUDIO + "c=IN IP4 0.0.0.0\r\n", True),
        # Video held but audio not; a refused audio stream; no audio.
        (
            SDP_HEAD + "c=IN IP4 192.0.2.5\r\n" + AUDIO
            + "m=video 4002 RTP/AVP 96\r\na=inactive\r\n",
            False,
        ),
        (SDP_HEAD + "c=IN IP4 0.0.0.0\r\nm=audio 0 RTP/AVP 0\r\n", False),
        (SDP_HEAD + "c=IN IP4 192.0.2.5\r\n", False),
    ],
)  # fmt: skip
def test_an_offer_holds_when_its_audio_is_sendonly_inactive_or_to_0_0_0_0(sdp, on_hold):
    assert holds(sdp) is on_hold


# -- the hold step's decisions, with a stand-in for Kamailio's KSR ----------

HOLD_OFFER = SDP_HEAD + "c=IN IP4 192.0.2.5\r\n" + AUDIO + "a=sendonly\r\n"
RESUME_OFFER = SDP_HEAD + "c=IN IP4 192.0.2.5\r\n" + AUDIO + "a=sendrecv\r\n"


@pytest.fixture
def dialog(monkeypatch, tmp_path):
    """A re-INVITE of a call between two phones (no relay, nothing held)."""
    from agent.sip import routing

    music_file = tmp_path / "music-on-hold.wav"
    music_file.write_bytes(b"RIFF")
    fake = FakeKsr(pv={"$ci": "call-1", "$ft": "holder", "$tt": "held"})
    fake.install(monkeypatch)
    flags: set[int] = set()
    fake.returns.update(
        {
            "textops.has_body_type": 1,
            "isflagset": lambda flag: flag in flags,
            "setflag": flags.add,
            "pv.sets": fake.values.__setitem__,
            "pv.unset": lambda name: fake.values.pop(name, None),
            "pv.is_null": lambda name: 1 if fake.values.get(name) is None else -1,
        }
    )
    route = routing.Routing(
        routing.RoutingSettings(realm="pbx.example", music_on_hold=str(music_file))
    )
    return fake, route, music_file


def test_a_hold_offer_puts_a_direct_call_through_the_relay_and_plays_on_200(dialog):
    ksr, route, music_file = dialog
    ksr.values["$rb"] = HOLD_OFFER
    route.hold_in_dialog("INVITE")
    assert ksr.called("rtpengine.rtpengine_offer") == [(HOLD_RELAY_FLAGS,)]
    assert ksr.called("tm.t_on_reply") == [("ksr_onreply_route_hold",)]

    ksr.values["$rs"] = "200"
    route.ksr_onreply_route_hold(None)
    assert ksr.called("rtpengine.rtpengine_answer") == [(HOLD_RELAY_FLAGS,)]
    assert ksr.called("rtpengine.block_media") == [("from-tag=holder",)]
    (flags,) = ksr.called("rtpengine.play_media")[0]
    assert f"from-tag=held file={music_file} " in flags
    assert ksr.values[HELD] == "held"


def test_the_resume_takes_a_direct_call_off_the_relay(dialog):
    ksr, route, _ = dialog
    ksr.values[HELD] = "held"
    ksr.values["$rb"] = RESUME_OFFER
    route.hold_in_dialog("INVITE")
    assert ksr.called("rtpengine.rtpengine_delete") == [("",)]
    assert not ksr.called("rtpengine.rtpengine_offer")
    assert HELD not in ksr.values


def test_without_a_music_file_a_hold_is_left_alone(dialog):
    ksr, route, music_file = dialog
    music_file.unlink()
    ksr.values["$rb"] = HOLD_OFFER
    route.hold_in_dialog("INVITE")
    assert not ksr.called("rtpengine.rtpengine_offer")
    assert not ksr.called("tm.t_on_reply")
