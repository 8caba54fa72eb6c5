"""The box's own REST API: firmware status and backup download."""

from __future__ import annotations

import http.client
import json
import ssl
import time
from pathlib import Path

import pytest

from tests.firmware_machine import running_on_lab
from tests.pbx import RunningPbx
from tests.webclient import api_client, multipart, signed_in

#: The agent stops its daemons, refuses the restore and starts them again.
RESTART_TIMEOUT_S = 90


@pytest.fixture(scope="module")
def lab_pbx(tmp_path_factory):
    yield from running_on_lab(tmp_path_factory.mktemp("system-api"))


def raw_post(pbx, path: str, token: str, body: dict | None = None):
    """POST with a bearer token; the reply's status, headers and raw bytes."""
    context = ssl.create_default_context(cafile=str(pbx.certificate))
    connection = http.client.HTTPSConnection(
        "127.0.0.1", pbx.https_port, context=context, timeout=60
    )
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        connection.request("POST", path, body=data, headers=headers)
        reply = connection.getresponse()
        return reply.status, dict(reply.getheaders()), reply.read()
    finally:
        connection.close()


def token(pbx, role: str) -> str:
    made = pbx.cli("token", "create", "--role", role, "--json")
    assert made.returncode == 0, made.stderr
    return made.json()["token"]


def test_firmware_status_shows_the_running_slot_and_release(lab_pbx):
    reply = api_client(lab_pbx, "super-administrator").get("/api/v1/firmware")

    assert reply.status == 200
    status = reply.json()
    assert status["booted_slot"] == "A"
    assert status["version"] == "1.0.0"
    assert status["trial"] is False


@pytest.mark.parametrize("role", ["administrator", "operator"])
def test_firmware_and_backups_are_for_super_administrators_only(lab_pbx, role):
    firmware = api_client(lab_pbx, role).get("/api/v1/firmware")
    status, _headers, _body = raw_post(lab_pbx, "/api/v1/backups", token(lab_pbx, role))

    assert firmware.status == 403
    assert status == 403
    for path in UPLOAD_ROUTES:
        refused, _headers, _body = raw_post(lab_pbx, path, token(lab_pbx, role))
        assert refused == 403, path


UPLOAD_ROUTES = (
    "/api/v1/backups/restore",
    "/api/v1/backups/restore/confirm",
    "/api/v1/firmware/bundles",
    "/api/v1/firmware/bundles/install",
)


@pytest.mark.parametrize(
    ("path", "field", "rule"),
    [
        ("/api/v1/backups/restore", "backup", "not an edgepbx backup"),
        ("/api/v1/firmware/bundles", "bundle", "not an edgepbx firmware bundle"),
    ],
)
def test_an_uploaded_file_that_is_no_backup_or_bundle_is_refused_naming_it(
    lab_pbx, path, field, rule
):
    body, content_type = multipart({}, "notes.txt", b"a shopping list\n" * 64, field)
    api = api_client(lab_pbx, "super-administrator")

    reply = api.request("POST", path, body=body, headers={"Content-Type": content_type})
    confirmed = raw_post(
        lab_pbx,
        f"{path}/{'confirm' if field == 'backup' else 'install'}",
        token(lab_pbx, "super-administrator"),
    )

    assert reply.status == 422, reply.body
    assert reply.json()["field"] == field
    assert rule in reply.json()["detail"]
    assert confirmed[0] == 422, "nothing was kept to confirm"


def test_a_downloaded_backup_restores_on_a_new_box(lab_pbx, tmp_path):
    lab_pbx.cli("extension", "add", "301", "--name", "Downloaded")

    status, headers, body = raw_post(
        lab_pbx, "/api/v1/backups", token(lab_pbx, "super-administrator")
    )
    backup = tmp_path / "downloaded.backup"
    backup.write_bytes(body)
    new_box = RunningPbx(tmp_path / "new-box")
    restored = new_box.cli("backup", "restore", str(backup))

    assert status == 200
    assert headers["Content-Type"] == "application/gzip"
    assert "attachment" in headers["Content-Disposition"]
    assert restored.returncode == 0, restored.stderr
    listed = new_box.cli("extension", "list", "--json").json()
    assert "301" in [e["number"] for e in listed]
    assert not list((lab_pbx.data_dir / "backups").iterdir())


def test_a_short_backup_passphrase_is_refused_naming_the_field(lab_pbx):
    status, _headers, body = raw_post(
        lab_pbx,
        "/api/v1/backups",
        token(lab_pbx, "super-administrator"),
        {"passphrase": "short"},
    )

    assert status == 422
    assert json.loads(body)["field"] == "passphrase"


def test_a_restore_refused_as_the_agent_starts_again_is_shown_with_its_reason(
    lab_pbx,
):
    api = api_client(lab_pbx, "super-administrator")
    page = signed_in(lab_pbx)
    lab_pbx.cli("extension", "add", "311", "--name", "In the backup")
    made = raw_post(lab_pbx, "/api/v1/backups", token(lab_pbx, "super-administrator"))
    lab_pbx.cli("extension", "add", "312", "--name", "After the backup")
    body, content_type = multipart({}, "office.backup", made[2], "backup")
    staged = api.request(
        "POST",
        "/api/v1/backups/restore",
        body=body,
        headers={"Content-Type": content_type},
    )
    # The staged copy is damaged between the upload and the restart (a
    # failing card): the agent's last check refuses it at the swap.
    (lab_pbx.data_dir / ".restore-pending" / "db" / "edgepbx.sqlite").write_bytes(
        b"not a database any more" * 64
    )

    spool = lab_pbx.data_dir / "tmp" / "webadmin"
    (spool / "tmpleft-by-a-killed-worker").write_bytes(b"half an upload")

    confirmed = api.request("POST", "/api/v1/backups/restore/confirm")
    state = poll_restore_state(api)
    shown = page.get("/system")
    web_pid = lab_pbx.status()["daemons"]["webadmin"]["pid"]
    web_environment = Path(f"/proc/{web_pid}/environ").read_bytes().split(b"\0")

    assert staged.status == 200, staged.body
    assert confirmed.status == 202, confirmed.body
    assert state["staged"] is None and state["restoring"] is False
    assert "db/edgepbx.sqlite: not a database" in state["refused"]["reason"]
    assert state["refused"]["requested_by"]
    refusal = shown.body[shown.body.index('id="restore-refused"') :]
    assert "was refused when the box started again" in refusal
    assert "db/edgepbx.sqlite: not a database" in refusal.split("</p>")[0]
    listed = lab_pbx.cli("extension", "list", "--json").json()
    assert {"311", "312"} <= {e["number"] for e in listed}
    # Uploads spool on the data partition, in a folder emptied at each start.
    assert f"TMPDIR={spool}".encode() in web_environment
    assert list(spool.iterdir()) == []


def poll_restore_state(api) -> dict:
    """The restore's state once the agent has started again and answers."""
    deadline = time.monotonic() + RESTART_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            reply = api.request("GET", "/api/v1/backups/restore")
        except OSError:
            reply = None
        if reply is not None and reply.status == 200 and reply.json()["refused"]:
            return reply.json()
        time.sleep(0.2)
    raise TimeoutError(f"no refused restore after {RESTART_TIMEOUT_S} s")
