"""Prompts and greetings uploaded as WAV or MP3 become the media format, and
what is not audio changes nothing."""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import wave

import pytest


def tone_wav(path, rate=16000, channels=2, seconds=1.0, hz=440):
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
            * channels
            for i in range(int(rate * seconds))
        )
        wav.writeframes(frames)
    return path


def media_format(path) -> tuple[int, int, int]:
    with wave.open(str(path)) as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth()


def test_a_wav_of_another_format_is_converted_and_usable_in_a_menu(pbx_data, tmp_path):
    source = tone_wav(tmp_path / "hello.wav")
    result = pbx_data.cli("prompt", "upload", "hello", str(source), "--json")
    assert result.returncode == 0, result.stderr
    assert result.json()["duration_s"] == pytest.approx(1.0, abs=0.1)
    stored = pbx_data.data_dir / "prompts" / "hello.wav"
    assert media_format(stored) == (8000, 1, 2)
    menu = pbx_data.cli("ivr", "set", "600", "--name", "M", "--prompt", "hello")
    assert menu.returncode == 0, menu.stderr
    in_use = pbx_data.cli("prompt", "remove", "hello", "--json")
    assert in_use.returncode == 2 and in_use.json()["error"]["field"] == "name"


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox comes with make deps")
def test_an_mp3_greeting_becomes_the_mailbox_greeting(pbx_data, tmp_path):
    pbx_data.cli("extension", "add", "101", "--name", "A")
    pbx_data.cli("voicemail", "set", "101", "--pin", "4713")
    mp3 = tmp_path / "greeting.mp3"
    subprocess.run(
        ["sox", str(tone_wav(tmp_path / "g.wav", 44100, 2)), str(mp3)], check=True
    )
    result = pbx_data.cli("greeting", "set", "101", "busy", str(mp3), "--json")
    assert result.returncode == 0, result.stderr
    assert result.json()["greetings"] == ["busy"]
    greeting = pbx_data.data_dir / "voicemail" / "101" / "greeting-busy.wav"
    assert media_format(greeting) == (8000, 1, 2)


def test_a_file_that_is_not_audio_is_refused_and_changes_nothing(pbx_data, tmp_path):
    good = tone_wav(tmp_path / "good.wav")
    assert pbx_data.cli("prompt", "upload", "hello", str(good)).returncode == 0
    before = (pbx_data.data_dir / "prompts" / "hello.wav").read_bytes()
    bad = tmp_path / "notes.wav"
    bad.write_text("this is a shopping list, not a recording\n")

    result = pbx_data.cli("prompt", "upload", "hello", str(bad), "--json")

    assert result.returncode == 2
    assert result.json()["error"]["field"] == "file"
    assert "not audio" in result.json()["error"]["message"]
    assert (pbx_data.data_dir / "prompts" / "hello.wav").read_bytes() == before
    leftovers = list((pbx_data.data_dir / "prompts").rglob("*.wav"))
    assert [p.name for p in leftovers] == ["hello.wav"]


def test_a_removed_extension_s_greetings_and_messages_go_with_it(pbx_data, tmp_path):
    pbx_data.cli("extension", "add", "101", "--name", "Before")
    pbx_data.cli("voicemail", "set", "101", "--pin", "4713")
    greeting = tone_wav(tmp_path / "g.wav")
    set_ = pbx_data.cli("greeting", "set", "101", "busy", str(greeting), "--json")
    assert set_.json()["greetings"] == ["busy"]
    box = pbx_data.data_dir / "voicemail" / "101"
    (box / "msg-1.wav").write_bytes(b"")  # as a message left there would be

    removed = pbx_data.cli("extension", "remove", "101")
    assert removed.returncode == 0, removed.stderr
    assert not box.exists()

    # The next person given the number hears no one else's greeting.
    pbx_data.cli("extension", "add", "101", "--name", "After")
    shown = pbx_data.cli("voicemail", "set", "101", "--pin", "5824", "--json")
    assert shown.returncode == 0, shown.stderr
    assert shown.json()["greetings"] == []
