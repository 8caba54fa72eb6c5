"""Voicemail transcription with real parts: a pjsua2 caller leaves a message,
the agent sends its WAV to a stand-in provider on loopback speaking the
protocol of docs/voicemail-transcription.md, and the text shows in the mail
(aiosmtpd on loopback) and in the owner's portal; a provider that fails
costs neither the message nor its mail (a second mail says no text will
come, when the first said it was on its way), and a slow one does not hold
the mail back."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.devicekey import DeviceKey
from agent.voicemail.email import TRANSCRIPT_PENDING
from agent.voicemail.transcription import (
    SEAL_PURPOSE,
    TRIES,
    TranscriptionFailed,
    TranscriptionSettings,
    transcribe,
)
from tests.mailserver import MailServer
from tests.test_media import PIN, TONE_102, leave_message, phone, wait_messages
from tests.webclient import portal_user, signed_in

PROVIDER_KEY = "tk-Provider-Secret-5521"
SPOKEN = "Hello Ann, please call me back about the order."
# The stand-in sleeps this long when asked to time out; the appliance's
# timeout is set to 1 s, so every try gives up well before it answers.
SLOW_REPLY_S = 3.0
# How long a test waits for something the appliance does in the background.
BACKGROUND_S = 15.0


class Provider:
    """A transcription provider on 127.0.0.1: answers ``mode`` to each POST
    ("late": the first one too slowly, the later ones at once)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                provider.requests.append(
                    {
                        "authorization": self.headers.get("Authorization"),
                        "type": self.headers.get("Content-Type"),
                        "riff": body[:4] == b"RIFF" and body[8:12] == b"WAVE",
                    }
                )
                late = provider.mode == "late" and len(provider.requests) == 1
                if provider.mode == "slow" or late:
                    time.sleep(SLOW_REPLY_S)
                if provider.mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if provider.mode == "500":
                    self.send_error(500, "provider broke")
                    return
                reply = json.dumps({"text": SPOKEN}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def do_GET(self) -> None:
                provider.requests.append(
                    {"followed": self.headers.get("Authorization")}
                )
                self.send_error(404)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/transcribe"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp():
    server = MailServer().start()
    yield server
    server.stop()


def set_up_office(
    pbx, smtp, provider: Provider, timeout_s: int = 10, via_page: bool = False
) -> str:
    """Mail, 101 with a mailbox that e-mails Ann, transcription on (through
    the System page or the CLI); 102's password."""
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
    boxed = pbx.cli("voicemail", "set", "101", "--pin", PIN, "--email", "on")
    assert boxed.returncode == 0, boxed.stderr
    if via_page:
        web = signed_in(pbx, "administrator")
        form = {"enabled": "yes", "url": provider.url, "timeout_s": str(timeout_s)}
        bad = web.post_form(
            "/system/transcription",
            form | {"url": "ftp://x", "key": PROVIDER_KEY},
            "/system",
        )
        saved = web.post_form(
            "/system/transcription", form | {"key": PROVIDER_KEY}, "/system"
        )
        assert bad.status == 422
        assert 'id="transcription-url-error"' in bad.body
        assert PROVIDER_KEY not in bad.body
        assert saved.status == 303, saved.body
        assert PROVIDER_KEY not in web.get("/system").body
    else:
        on = pbx.cli(
            "voicemail",
            "transcription",
            "set",
            "--enabled=on",
            f"--url={provider.url}",
            f"--timeout-s={timeout_s}",
            "--key-stdin",
            "--json",
            stdin=f"{PROVIDER_KEY}\n",
        )
        assert on.returncode == 0, on.stderr
        assert on.json()["key_set"] is True
        assert PROVIDER_KEY not in on.stdout
    return pbx.add_extension("102")


def test_a_left_message_s_text_is_in_the_mail_and_the_portal(pbx, smtp):
    provider = Provider("ok")
    try:
        password_102 = set_up_office(pbx, smtp, provider, via_page=True)
        with phone(pbx, "102", password_102, TONE_102) as b:
            assert b.register() == 200
            leave_message(b, "101")

        (received,) = smtp.wait_for(1, timeout=15)
        [request] = provider.requests
    finally:
        provider.stop()

    assert request == {
        "authorization": f"Bearer {PROVIDER_KEY}",
        "type": "audio/wav",
        "riff": True,
    }
    text = received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"Transcript:\n{SPOKEN}\n" in text
    assert len(list(received.message.iter_attachments())) == 1
    [message] = wait_messages(pbx, "101", 1)
    assert message["transcript"] == SPOKEN
    owner = portal_user(pbx, signed_in(pbx), "101")
    page = owner.get("/portal/voicemail")
    assert f'id="transcript-{message["id"]}">{SPOKEN}' in page.body
    assert PROVIDER_KEY not in pbx.log()


def mail_text(received) -> str:
    body = received.message.get_body(("plain",)).get_content()
    return body.replace("\r\n", "\n")


def wait_failure_events(pbx, count: int) -> list[dict]:
    """The voicemail-transcription-failed events, once there are ``count``."""
    deadline = time.monotonic() + BACKGROUND_S
    while True:
        listed = pbx.cli(
            "event", "list", "--type", "voicemail-transcription-failed", "--json"
        )
        assert listed.returncode == 0, listed.stderr
        events = listed.json()["items"]
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.3)


@pytest.mark.parametrize("mode", ["500", "slow"])
def test_a_failing_provider_leaves_the_message_and_its_mail_with_an_event(
    pbx, smtp, mode
):
    provider = Provider(mode)
    try:
        password_102 = set_up_office(pbx, smtp, provider, timeout_s=1)
        with phone(pbx, "102", password_102, TONE_102) as b:
            assert b.register() == 200
            leave_message(b, "101")

        received, follow_up = smtp.wait_for(2, timeout=40)
        [event] = wait_failure_events(pbx, 1)
        tries = len(provider.requests)
    finally:
        provider.stop()

    assert tries == 2
    # The mail went after the first try's timeout, before the second try.
    assert f"Transcript:\n{TRANSCRIPT_PENDING}\n" in mail_text(received)
    assert len(list(received.message.iter_attachments())) == 1
    # Once every try failed, a short mail takes back what the first promised.
    assert follow_up.message["To"] == "ann@example.com"
    assert follow_up.message["Subject"].startswith("No transcript of the voicemail")
    assert "could not be turned into text" in mail_text(follow_up)
    assert list(follow_up.message.iter_attachments()) == []
    assert len(smtp.messages) == 2
    [message] = wait_messages(pbx, "101", 1)
    assert message["transcript"] == ""
    assert event["object"] == "101"
    said = "answered 500" if mode == "500" else "no answer in 1 s"
    assert said in event["summary"]
    assert PROVIDER_KEY not in event["summary"]


def test_a_slow_provider_s_text_comes_after_the_mail_and_the_owner_decides(pbx, smtp):
    provider = Provider("late")
    try:
        password_102 = set_up_office(pbx, smtp, provider, timeout_s=1)
        owner = portal_user(pbx, signed_in(pbx), "101")
        off = owner.post_form("/portal/voicemail/transcribe", {}, "/portal/voicemail")
        shown_off = owner.get("/portal/voicemail?done=transcribe-off").body
        token = owner.csrf_token()

        def put(number: str, body: object):
            return owner.request(
                "PUT",
                f"/api/v1/voicemail/{number}/transcribe",
                json_body=body,
                headers={"X-CSRF-Token": token},
            )

        wrong_type = put("101", {"transcribe": "yes"})
        not_own = put("102", {"transcribe": True})
        on = put("101", {"transcribe": True})
        with phone(pbx, "102", password_102, TONE_102) as b:
            assert b.register() == 200
            leave_message(b, "101")

        # The first mail is the owner's portal account.
        _account, received = smtp.wait_for(2, timeout=20)
        deadline = time.monotonic() + BACKGROUND_S
        while True:
            [message] = wait_messages(pbx, "101", 1)
            if message["transcript"] or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        tries = len(provider.requests)
    finally:
        provider.stop()

    assert off.status == 303
    assert off.headers["location"].endswith("/portal/voicemail?done=transcribe-off")
    assert 'id="transcribe" name="transcribe">' in shown_off
    assert "Your new messages are no longer turned into text." in shown_off
    assert wrong_type.status == 400 and wrong_type.json()["field"] == "transcribe"
    assert not_own.status == 403
    assert on.status == 200 and on.json()["transcribe"] is True
    # The mail did not wait for the text; the text came on the second try,
    # is kept beside the message and shows in the portal; no second mail.
    text = mail_text(received)
    assert f"Transcript:\n{TRANSCRIPT_PENDING}\n" in text and SPOKEN not in text
    assert tries == 2 and message["transcript"] == SPOKEN
    page = owner.get("/portal/voicemail").body
    assert f'id="transcript-{message["id"]}">{SPOKEN}' in page
    assert 'id="transcribe" name="transcribe" checked>' in page
    assert len(smtp.messages) == 2
    assert wait_failure_events(pbx, 0) == []


def test_a_redirect_is_a_failure_and_the_key_never_follows_it(tmp_path):
    key = DeviceKey.load_or_create(tmp_path / "device.key")
    provider = Provider("redirect")
    settings = TranscriptionSettings(
        enabled=True, url=provider.url, key=key.seal(PROVIDER_KEY, SEAL_PURPOSE)
    )
    try:
        with pytest.raises(TranscriptionFailed, match="answered 302"):
            transcribe(settings, key, b"RIFF\0\0\0\0WAVE", "101")
    finally:
        provider.stop()

    assert [r.get("authorization") for r in provider.requests] == [
        f"Bearer {PROVIDER_KEY}"
    ] * TRIES


def test_an_address_with_a_password_is_refused_without_showing_it(pbx_data):
    secret = "TopSecretPw"
    unsaid = "url: no user name or password in the address"
    tries = [
        (
            ("voicemail", "transcription", "set", "--url",
             f"https://bob:{secret}@127.0.0.1/x"),
            unsaid,
        ),
        (
            ("webhook", "add", f"http://bob:{secret}@127.0.0.1 /x",
             "--types", "ip-banned"),
            unsaid,
        ),
        (("mail", "set", "--host", f"bob:{secret}@127.0.0.1"), "host: "),
    ]  # fmt: skip
    for args, said in tries:
        refused = pbx_data.cli(*args)

        assert refused.returncode == 2, refused.stdout
        assert said in refused.stderr
        assert secret not in refused.stdout + refused.stderr, args
