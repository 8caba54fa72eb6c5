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
from tests.sipphone import TONE_MIN_SHARE, TONE_POLL_S, Call
from tests.test_calls import TONE_101, TONE_102, answered_call

# The uploaded music: a tone no phone of these tests sends.
MUSIC_HZ = 523
MUSIC_S = 3


def no_longer_hears(call: Call, hz: int, timeout: float = 5.0) -> bool:
    """True once the latest received audio no longer holds the tone hz."""
    deadline = time.monotonic() + timeout
    while call.tone_share(hz) >= TONE_MIN_SHARE:
        if time.monotonic() >= deadline:
            return False
        time.sleep(TONE_POLL_S)
    return True


@pytest.fixture
def extensions(pbx):
    return {number: pbx.add_extension(number) for number in ("101", "102")}


@pytest.fixture
def music(pbx, tmp_path):
    """The site's music on hold is a steady MUSIC_HZ tone, uploaded."""
    path = tmp_path / "tone.wav"
    tone = ["synth", str(MUSIC_S), "sine", str(MUSIC_HZ), "vol", "0.5"]
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), *tone],
        check=True,
    )
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
