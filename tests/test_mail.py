"""The mail server setting: what an administrator sees at the CLI, the API
and the System page, against a real SMTP server on loopback."""

from __future__ import annotations

import pytest

from tests.mailserver import MailServer
from tests.webclient import api_client, signed_in

SMTP_PASSWORD = "relay-Secret-4471"


@pytest.fixture
def smtp():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_with_login(tmp_path):
    server = MailServer(
        login=("pbx@example.com", SMTP_PASSWORD), certificate_dir=tmp_path / "smtp"
    ).start()
    yield server
    server.stop()


def set_mail(pbx, *args: str, password: str | None = None):
    extra = ["--password-stdin"] if password is not None else []
    stdin = f"{password}\n" if password is not None else None
    return pbx.cli("mail", "set", *args, *extra, "--json", stdin=stdin)


def test_a_test_message_reaches_the_mail_server(pbx_data, smtp):
    set_mail(
        pbx_data,
        "--host=127.0.0.1",
        f"--port={smtp.port}",
        "--security=none",
        "--sender=pbx@example.com",
        "--sender-name=Office phones",
    )

    sent = pbx_data.cli("mail", "test", "boss@example.com", "--json")

    assert sent.returncode == 0, sent.stderr
    (received,) = smtp.wait_for(1)
    assert received.recipients == ["boss@example.com"]
    assert received.message["From"] == "Office phones <pbx@example.com>"
    assert received.message["Subject"] == "edgepbx: test message"
    assert "mail settings" in received.message.get_content()


def test_login_over_starttls_with_the_stored_password(pbx_data, smtp_with_login):
    changed = set_mail(
        pbx_data,
        "--host=127.0.0.1",
        f"--port={smtp_with_login.port}",
        "--security=starttls",
        "--verify-certificate=no",
        "--username=pbx@example.com",
        "--sender=pbx@example.com",
        password=SMTP_PASSWORD,
    )
    sent = pbx_data.cli("mail", "test", "boss@example.com")

    assert changed.returncode == 0, changed.stderr
    assert changed.json()["password_set"] is True
    assert "password" not in changed.json()
    assert sent.returncode == 0, sent.stderr
    assert smtp_with_login.wait_for(1)[0].recipients == ["boss@example.com"]
    db_dir = pbx_data.data_dir / "db"
    stored = b"".join(p.read_bytes() for p in db_dir.iterdir() if p.is_file())
    assert SMTP_PASSWORD.encode() not in stored


def test_a_wrong_smtp_password_is_named_and_never_shown(pbx_data, smtp_with_login):
    set_mail(
        pbx_data,
        "--host=127.0.0.1",
        f"--port={smtp_with_login.port}",
        "--verify-certificate=no",
        "--username=pbx@example.com",
        "--sender=pbx@example.com",
        password="Wrong-password-123",
    )

    sent = pbx_data.cli("mail", "test", "boss@example.com")

    assert sent.returncode == 2
    assert "refused the user name or password" in sent.stderr
    assert "Wrong-password-123" not in sent.stderr + sent.stdout
    assert smtp_with_login.messages == []


def test_an_untrusted_certificate_is_refused_when_checked(pbx_data, smtp_with_login):
    set_mail(
        pbx_data,
        "--host=127.0.0.1",
        f"--port={smtp_with_login.port}",
        "--username=pbx@example.com",
        "--sender=pbx@example.com",
        password=SMTP_PASSWORD,
    )

    sent = pbx_data.cli("mail", "test", "boss@example.com")

    assert sent.returncode == 2
    assert "TLS failed" in sent.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in sent.stderr


def test_a_server_that_is_not_there_is_reported_plainly(pbx_data, smtp):
    port = smtp.port
    smtp.stop()
    set_mail(pbx_data, "--host=127.0.0.1", f"--port={port}", "--sender=pbx@example.com")

    sent = pbx_data.cli("mail", "test", "boss@example.com")
    smtp.start()

    assert sent.returncode == 2
    assert f"127.0.0.1:{port} could not be reached: connection refused" in sent.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host=127.0.0.1", "--sender=not-an-address"], "sender"),
        (["--host=bad host!", "--sender=a@example.com"], "host"),
        (["--host=127.0.0.1", "--sender=a@example.com", "--port=70000"], "port"),
        (["--host=127.0.0.1"], "sender: required"),
        (["--sender-name=two\nlines"], "--sender-name"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(pbx_data, args, message):
    before = pbx_data.cli("mail", "show", "--json").json()

    refused = set_mail(pbx_data, *args)

    assert refused.returncode == 2
    assert message in refused.stderr
    assert pbx_data.cli("mail", "show", "--json").json() == before


def test_no_mail_is_sent_before_a_server_is_set(pbx_data):
    sent = pbx_data.cli("mail", "test", "boss@example.com")

    assert sent.returncode == 2
    assert "no mail server is set" in sent.stderr


def test_the_api_changes_settings_and_sends_a_test(pbx, smtp):
    admin = api_client(pbx, "administrator")

    changed = admin.request(
        "PATCH",
        "/api/v1/mail",
        json_body={
            "host": "127.0.0.1",
            "port": smtp.port,
            "security": "none",
            "sender": "pbx@example.com",
            "password": "kept-sealed-99",
        },
    )
    tested = admin.request(
        "POST", "/api/v1/mail/test", json_body={"to": "it@example.com"}
    )
    shown = admin.get("/api/v1/mail").json()

    assert changed.status == 200, changed.body
    assert tested.status == 200, tested.body
    assert smtp.wait_for(1)[0].recipients == ["it@example.com"]
    assert shown["password_set"] is True
    assert "kept-sealed-99" not in str(shown)


def test_the_api_names_the_bad_field_and_operators_may_not_change(pbx):
    admin = api_client(pbx, "administrator")
    operator = api_client(pbx, "operator")

    bad = admin.request("PATCH", "/api/v1/mail", json_body={"port": "x"})
    forbidden = operator.request("PATCH", "/api/v1/mail", json_body={"host": ""})
    unreachable = admin.request(
        "POST", "/api/v1/mail/test", json_body={"to": "it@example.com"}
    )

    assert bad.status == 422
    assert bad.json()["field"] == "port"
    assert forbidden.status == 403
    assert unreachable.status == 502
    assert unreachable.json()["field"] == "host"


def test_the_system_page_saves_mail_settings_and_sends_a_test(pbx, smtp):
    web = signed_in(pbx, "administrator")
    form = {
        "host": "127.0.0.1",
        "port": str(smtp.port),
        "security": "none",
        "username": "",
        "sender": "pbx@example.com",
        "sender_name": "Front office",
    }

    bad = web.post_form("/system/mail", form | {"sender": "nope"}, "/system")
    saved = web.post_form("/system/mail", form, "/system")
    page = web.get("/system")
    tested = web.post_form(
        "/system/mail/test", {"test_to": "me@example.com"}, "/system"
    )

    assert bad.status == 422
    assert 'id="sender-error"' in bad.body
    assert saved.status == 303
    assert saved.headers["location"].endswith("/system?notice=mail-saved#mail")
    assert "The mail settings are saved." in web.get("/system?notice=mail-saved").body
    assert 'value="127.0.0.1"' in page.body
    assert tested.status == 200
    assert "A test message was sent to me@example.com." in tested.body
    assert smtp.wait_for(1)[0].message["From"] == "Front office <pbx@example.com>"
