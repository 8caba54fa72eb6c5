"""The System page: firmware slots and a backup to download."""

from __future__ import annotations

import re

import pytest

from tests.firmware_machine import running_on_lab
from tests.webclient import api_client, field_error, multipart, signed_in


@pytest.fixture(scope="module")
def lab_pbx(tmp_path_factory):
    yield from running_on_lab(tmp_path_factory.mktemp("system-page"))


def test_the_system_page_shows_the_running_release_and_both_slots(lab_pbx):
    web = signed_in(lab_pbx)

    page = web.get("/system")

    assert page.status == 200
    assert "Running release <strong>1.0.0</strong> from slot\nA." in page.body
    assert "A (running)" in page.body
    assert "Download backup" in page.body


def test_the_backup_button_downloads_a_backup(lab_pbx):
    web = signed_in(lab_pbx)

    reply = web.post_form("/system/backup", {"passphrase": ""}, csrf_from="/system")

    assert reply.status == 200
    assert reply.headers["content-type"] == "application/gzip"
    assert "attachment" in reply.headers["content-disposition"]


def test_a_downloaded_backup_is_in_the_event_center_under_its_download_name(
    lab_pbx,
):
    web = signed_in(lab_pbx)

    reply = web.post_form("/system/backup", {"passphrase": ""}, csrf_from="/system")
    events = web.get("/events?type=backup-done").body

    found = re.search(r'filename="([^"]+)"', reply.headers["content-disposition"])
    assert reply.status == 200 and found
    assert f"backup {found.group(1)} (downloaded from the web admin) written" in events
    assert f".{found.group(1)}." not in events, "the file it was sent from"


def test_a_short_passphrase_is_shown_next_to_its_field(lab_pbx):
    web = signed_in(lab_pbx)

    reply = web.post_form(
        "/system/backup", {"passphrase": "short"}, csrf_from="/system"
    )

    assert reply.status == 422
    assert reply.body.count('class="field-error"') == 1
    assert 'id="passphrase-error">passphrase: 12 characters or more' in reply.body


def test_a_short_schedule_passphrase_is_shown_at_the_schedule_form_alone(lab_pbx):
    web = signed_in(lab_pbx)
    form = {"frequency": "daily", "hour": "3", "keep": "7", "passphrase": "short"}

    reply = web.post_form("/system/backup-schedule", form, csrf_from="/system")

    assert reply.status == 422
    assert reply.body.count('class="field-error"') == 1
    assert 'id="schedule-passphrase-error">passphrase: 12 characters' in reply.body


def test_a_sealed_backup_sent_without_its_passphrase_is_refused_at_that_field(
    lab_pbx, tmp_path
):
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse battery staple\n")
    backup = tmp_path / "sealed.backup"
    made = lab_pbx.cli(
        "backup",
        "create",
        "--output",
        str(backup),
        "--passphrase-file",
        str(passphrase),
    )
    assert made.returncode == 0, made.stderr
    web = signed_in(lab_pbx)
    token = web.get("/system").csrf_token()
    form, form_type = multipart(
        {"csrf_token": token, "passphrase": ""},
        "sealed.backup",
        backup.read_bytes(),
        "backup",
    )
    body, body_type = multipart({}, "sealed.backup", backup.read_bytes(), "backup")

    page = web.request(
        "POST", "/system/restore", body=form, headers={"Content-Type": form_type}
    )
    api = api_client(lab_pbx, "super-administrator").request(
        "POST",
        "/api/v1/backups/restore",
        body=body,
        headers={"Content-Type": body_type},
    )

    assert page.status == 422
    assert field_error(page.body, "restore_passphrase") == (
        "the backup is sealed: give its passphrase"
    )
    assert 'id="restore_backup-error"' not in page.body
    assert api.status == 422
    assert api.json()["field"] == "passphrase"
    assert "--passphrase-file" not in api.json()["detail"]


def test_an_administrator_sees_mail_settings_but_no_firmware_or_backup(lab_pbx):
    web = signed_in(lab_pbx, "administrator")

    page = web.get("/system")

    assert page.status == 200
    assert 'id="mail"' in page.body
    assert "Firmware" not in page.body
    assert "Download backup" not in page.body
    assert 'href="/system"' in web.get("/extensions").body


def test_an_operator_gets_no_system_page(lab_pbx):
    web = signed_in(lab_pbx, "operator")

    assert web.get("/system").status == 403
    assert 'href="/system"' not in web.get("/extensions").body
