"""Uploads show their progress in a real headless Chromium: the shared script
(webadmin/static/upload.js) sends a multipart form itself, fills a progress
bar, then follows the server's answer as the plain form would."""

from __future__ import annotations

import array
import math
import wave

from tests import browser_driver
from tests.webclient import signed_in

RATE = 8000
# 8 kHz 16-bit mono is 16 000 bytes a second: 200 s is 3.2 MB, several
# megabytes and still a prompt the converter takes (10 minutes at most).
SECONDS = 200


def long_wav(path) -> int:
    samples = array.array(
        "h",
        (int(8000 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(RATE)),
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes() * SECONDS)
    return path.stat().st_size


def test_a_large_upload_fills_its_progress_bar_then_shows_the_notice(
    pbx, browser_ready, tmp_path
):
    size = long_wav(tmp_path / "welcome.wav")
    junk = tmp_path / "notes.wav"
    junk.write_text("a shopping list, not a recording\n" * 1000)
    admin = signed_in(pbx)

    seen = browser_driver.run(
        "upload_progress.mjs",
        pbx,
        session=admin.cookies["__Host-edgepbx_session"],
        audio=str(tmp_path / "welcome.wav"),
        junk=str(junk),
    )

    saved, refused = seen["saved"], seen["refused"]
    assert size > 3 * 2**20
    assert max(p["value"] for p in saved["progress"]) == 100
    assert any(p["text"].startswith("100 %") for p in saved["progress"])
    assert any("3.1 MB of 3.1 MB" in p["text"] for p in saved["progress"])
    assert all(p["disabled"] for p in saved["progress"]), "no second send meanwhile"
    assert saved["url"].split("#")[0].endswith("/ivr?notice=prompt-saved")
    assert "The prompt is saved" in saved["notice"]
    assert f"welcome ({SECONDS}.0 s)" in saved["listed"]
    assert max(p["value"] for p in refused["progress"]) == 100
    assert "not audio" in refused["error"]
    assert refused["title"].startswith("IVR menus")
    assert f"welcome ({SECONDS}.0 s)" in refused["listed"], "the old one stays"
    # Chromium reports the refusal's status; anything else is a script error.
    refusal = "the server responded with a status of 422"
    assert [e for e in seen["consoleErrors"] if refusal not in e] == []
