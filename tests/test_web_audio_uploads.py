"""Prompts and music on hold uploaded from the IVR page over real HTTPS: a
WAV becomes the media format and is listed; junk and oversized files are
refused beside their field and change nothing."""

from __future__ import annotations

import re
import wave

from agent.media.uploads import MAX_UPLOAD_BYTES
from tests.test_prompts import tone_wav
from tests.webclient import api_client, signed_in

PAGE = "/ivr"


def field_error(body: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', body)
    assert found, f"no error shown at {field}"
    return found.group(1)


def test_a_prompt_uploaded_from_the_ivr_page_is_converted_and_listed(pbx, tmp_path):
    admin = signed_in(pbx)
    source = tone_wav(tmp_path / "welcome.wav", rate=44100, channels=2, seconds=2.0)

    sent = admin.post_file(
        "/ivr/prompts", {"name": "welcome"}, "welcome.wav", source.read_bytes(), PAGE
    )
    shown = admin.get(sent.headers["location"])
    menu = pbx.cli("ivr", "set", "600", "--name", "Main", "--prompt", "welcome")

    assert sent.status == 303 and "notice=prompt-saved" in sent.headers["location"]
    assert "The prompt is saved" in shown.body
    assert re.search(r"<li>welcome \(2\.0 s\)</li>", shown.body)
    with wave.open(str(pbx.data_dir / "prompts" / "welcome.wav")) as stored:
        assert (stored.getframerate(), stored.getnchannels()) == (8000, 1)
    assert menu.returncode == 0, menu.stderr
    audit = admin.get("/audit").body
    assert '<td data-label="What">create</td><td data-label="Object">prompt' in audit


def test_music_on_hold_uploaded_from_the_ivr_page_replaces_the_system_music(
    pbx, tmp_path
):
    admin = signed_in(pbx)
    source = tone_wav(tmp_path / "jingle.wav", seconds=3.0)

    sent = admin.post_file(
        "/ivr/music", {"name": "jingle"}, "jingle.wav", source.read_bytes(), PAGE
    )
    listed = pbx.cli("music", "list", "--json")

    assert sent.status == 303 and "notice=music-saved" in sent.headers["location"]
    assert "The music is saved" in admin.get(sent.headers["location"]).body
    assert listed.json() == [{"name": "jingle", "duration_s": 3.0}]
    from agent.media.prompts import music_on_hold

    assert music_on_hold(pbx.data_dir) == [
        pbx.data_dir / "prompts" / "music" / "jingle.wav"
    ]


def test_junk_is_refused_beside_the_file_field_and_changes_nothing(pbx, tmp_path):
    admin = signed_in(pbx)
    good = tone_wav(tmp_path / "welcome.wav").read_bytes()
    assert admin.post_file("/ivr/prompts", {"name": "welcome"}, "w.wav", good, PAGE)
    before = (pbx.data_dir / "prompts" / "welcome.wav").read_bytes()
    junk = b"this is a shopping list, not a recording\n" * 100

    prompt = admin.post_file("/ivr/prompts", {"name": "welcome"}, "w.wav", junk, PAGE)
    music = admin.post_file("/ivr/music", {"name": "jingle"}, "j.mp3", junk, PAGE)
    bad_name = admin.post_file("/ivr/prompts", {"name": "a b"}, "w.wav", good, PAGE)

    assert prompt.status == 422
    assert "not audio" in field_error(prompt.body, "prompt_file")
    assert music.status == 422
    assert "not audio" in field_error(music.body, "music_file")
    assert bad_name.status == 422
    assert "letters, digits" in field_error(bad_name.body, "prompt_name")
    assert (pbx.data_dir / "prompts" / "welcome.wav").read_bytes() == before
    assert pbx.cli("music", "list", "--json").json() == []
    leftovers = sorted(p.name for p in (pbx.data_dir / "prompts").rglob("*.wav"))
    assert leftovers == ["welcome.wav"]


def test_a_file_over_the_limit_is_refused_and_changes_nothing(pbx):
    admin = signed_in(pbx)
    huge = b"RIFF" + b"\0" * (MAX_UPLOAD_BYTES + 1024)

    sent = admin.post_file("/ivr/prompts", {"name": "huge"}, "huge.wav", huge, PAGE)

    assert sent.status == 422
    assert "at most 10 MB" in field_error(sent.body, "prompt_file")
    assert not list((pbx.data_dir / "prompts").rglob("*.wav"))


def test_a_body_past_the_route_limit_is_answered_beside_the_file(pbx):
    admin = signed_in(pbx)
    huge = b"RIFF" + b"\0" * (2 * MAX_UPLOAD_BYTES)

    sent = admin.post_file("/ivr/music", {"name": "long"}, "long.wav", huge, PAGE)

    assert sent.status == 413
    assert "at most 10 MB; nothing was changed" in field_error(sent.body, "music_file")
    assert pbx.cli("music", "list", "--json").json() == []


def test_an_administrator_sets_a_mailbox_greeting_from_the_voicemail_page(
    pbx, tmp_path
):
    pbx.add_extension("101", "Reception")
    pbx.add_extension("102", "Office")
    assert pbx.cli("voicemail", "set", "101", "--pin", "2580").returncode == 0
    admin = signed_in(pbx)
    good = tone_wav(tmp_path / "busy.wav", rate=16000).read_bytes()
    page = "/voicemail"

    junk = admin.post_file(
        f"{page}/greeting", {"extension": "101", "reason": "busy"}, "b.wav", b"x", page
    )
    no_box = admin.post_file(
        f"{page}/greeting", {"extension": "102", "reason": "busy"}, "b.wav", good, page
    )
    before = pbx.cli("voicemail", "show", "101", "--json").json()["greetings"]
    saved = admin.post_file(
        f"{page}/greeting", {"extension": "101", "reason": "busy"}, "b.wav", good, page
    )
    shown = admin.get(saved.headers["location"]).body

    assert junk.status == 422 and "not audio" in field_error(junk.body, "greeting_file")
    assert 'id="greeting_extension"' in junk.body
    assert no_box.status == 422
    assert "no mailbox" in field_error(no_box.body, "greeting_extension")
    assert before == []
    assert saved.status == 303
    assert "The greeting is saved" in shown
    assert pbx.cli("voicemail", "show", "101", "--json").json()["greetings"] == ["busy"]
    with wave.open(str(pbx.data_dir / "voicemail" / "101" / "greeting-busy.wav")) as w:
        assert w.getframerate() == 8000


def test_the_api_takes_a_prompt_as_the_raw_body_and_refuses_junk(pbx, tmp_path):
    api = api_client(pbx, "administrator")
    good = tone_wav(tmp_path / "hello.wav").read_bytes()

    def put(path: str, body: bytes, media_type: str = "audio/wav"):
        return api.request("PUT", path, body=body, headers={"Content-Type": media_type})

    added = put("/api/v1/prompts/hello", good)
    replaced = put("/api/v1/prompts/hello", good)
    junk = put("/api/v1/prompts/hello", b"not audio at all")
    as_json = put("/api/v1/music/jingle", good, "application/json")
    music = put("/api/v1/music/jingle", good)
    listed = api.get("/api/v1/music")
    removed = api.request("DELETE", "/api/v1/music/jingle")

    assert added.status == 201 and added.json()["name"] == "hello"
    assert replaced.status == 200
    assert junk.status == 422 and junk.json()["field"] == "file"
    assert as_json.status == 415
    assert music.status == 201
    assert listed.json() == [{"name": "jingle", "duration_s": 1.0}]
    assert removed.status == 204
    assert api.get("/api/v1/music").json() == []
