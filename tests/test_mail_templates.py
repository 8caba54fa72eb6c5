"""The wording of the appliance's mail: each kind's template, as the CLI,
the API and the System page change it, and as the mail a real SMTP server
(aiosmtpd on loopback) receives."""

from __future__ import annotations

import pytest

from tests.mailserver import MailServer
from tests.test_media import PIN, TONE_102, leave_message, phone
from tests.webclient import api_client, signed_in

DEFAULT_VOICEMAIL_SUBJECT = "New voicemail from {caller_label} for {mailbox}"


@pytest.fixture
def smtp():
    server = MailServer().start()
    yield server
    server.stop()


def set_mail(pbx, smtp) -> None:
    result = pbx.cli(
        "mail",
        "set",
        "--host=127.0.0.1",
        f"--port={smtp.port}",
        "--security=none",
        "--sender=pbx@example.com",
    )
    assert result.returncode == 0, result.stderr


def show(pbx, kind: str) -> dict:
    result = pbx.cli("mail", "template", "show", kind, "--json")
    assert result.returncode == 0, result.stderr
    return result.json()


def test_a_changed_voicemail_template_shows_in_the_mail_of_a_left_message(pbx, smtp):
    set_mail(pbx, smtp)
    added = pbx.cli(
        "extension", "add", "101", "--name", "Ann", "--email", "ann@example.com"
    )
    assert added.returncode == 0, added.stderr
    password_102 = pbx.add_extension("102")
    assert (
        pbx.cli("voicemail", "set", "101", "--pin", PIN, "--email", "on").returncode
        == 0
    )
    admin = api_client(pbx, "administrator")
    changed = admin.request(
        "PATCH",
        "/api/v1/mail/templates/voicemail",
        json_body={
            "subject": "Box {extension}: call back {caller}",
            "body": "{caller} left {duration} s for {extension} at {time}.\n",
        },
    )
    assert changed.status == 200, changed.body

    with phone(pbx, "102", password_102, TONE_102) as b:
        assert b.register() == 200
        leave_message(b, "101")

    (received,) = smtp.wait_for(1, timeout=10)
    assert received.message["Subject"] == "Box 101: call back 102"
    text = received.message.get_body(("plain",)).get_content()
    assert text.startswith("102 left ")
    assert " s for 101 at 20" in text
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_content_type() == "audio/wav"


@pytest.mark.parametrize(
    ("option", "text", "said"),
    [
        ("--body", "Your code: {password}\n", 'body "{password}": not a placeholder'),
        ("--subject", "New {caller", "subject: malformed"),
        ("--subject", "", "subject: must not be empty"),
        ("--body", " \n", "body: must not be empty"),
    ],
)
def test_a_bad_placeholder_is_refused_naming_it_and_nothing_changes(
    pbx_data, option, text, said
):
    refused = pbx_data.cli("mail", "template", "set", "voicemail", option, text)

    assert refused.returncode != 0
    assert said in refused.stderr
    shown = show(pbx_data, "voicemail")
    assert shown["customized"] is False
    assert shown["subject"] == DEFAULT_VOICEMAIL_SUBJECT


def test_reset_restores_the_default_and_a_test_sends_sample_values(pbx_data, smtp):
    set_mail(pbx_data, smtp)
    changed = pbx_data.cli(
        "mail", "template", "set", "event", "--subject", "PBX says: {summary}"
    )
    assert changed.returncode == 0, changed.stderr

    tested = pbx_data.cli("mail", "template", "test", "event", "it@example.com")
    reset = pbx_data.cli("mail", "template", "reset", "event", "--json")

    assert tested.returncode == 0, tested.stderr
    (received,) = smtp.wait_for(1)
    assert received.recipients == ["it@example.com"]
    assert received.message["Subject"] == "PBX says: trunk acme: registration failed"
    assert reset.returncode == 0, reset.stderr
    assert reset.json()["customized"] is False
    assert show(pbx_data, "event")["subject"] == "edgepbx {severity}: {summary}"


def test_no_template_can_reach_the_portal_one_time_password(pbx_data):
    listed = pbx_data.cli("mail", "template", "list", "--json").json()

    placeholders = {name for t in listed for name in t["placeholders"]}
    assert not {p for p in placeholders if "pass" in p or "secret" in p}
    refused = pbx_data.cli(
        "mail", "template", "set", "portal-sign-in", "--body", "{password}"
    )
    assert refused.returncode != 0
    assert 'body "{password}"' in refused.stderr


def test_the_system_page_and_the_api_edit_a_template(pbx):
    web = signed_in(pbx, "administrator")
    admin = api_client(pbx, "administrator")
    form = {"subject": "Report {name}", "body": "{calls} calls in {period}.\n"}

    bad = web.post_form(
        "/system/mail/templates/report",
        form | {"body": "{calls} calls, {secret}", "action": "save"},
        "/system",
    )
    api_bad = admin.request(
        "PATCH", "/api/v1/mail/templates/report", json_body={"subject": "{nope}"}
    )
    saved = web.post_form(
        "/system/mail/templates/report", form | {"action": "save"}, "/system"
    )
    shown = admin.get("/api/v1/mail/templates/report").json()
    preview = admin.get("/api/v1/mail/templates/report/preview").json()

    assert bad.status == 422
    assert 'id="template-report-body-error"' in bad.body
    assert "{secret}" in bad.body
    assert api_bad.status == 422
    assert api_bad.json()["field"] == "subject"
    assert saved.status == 303
    assert shown["subject"] == "Report {name}"
    assert shown["customized"] is True
    assert preview["subject"] == "Report weekly"
    assert preview["body"] == "120 calls in Week 2, 2026.\n"
