"""Phone firmware: uploaded per model, streamed to disk under a size cap,
the model's target version written into its phones' files, and the file
served over HTTP under /prov/ and over TFTP."""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import subprocess

import pytest

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.errors import InvalidInput
from agent.provisioning import firmware
from agent.provisioning.firmware import PhoneFirmwareService, firmware_dir
from tests.pbx import RunningPbx
from tests.test_accounts import settings_in
from tests.test_provisioning_files import parse_yealink
from tests.webclient import api_client

MAC = "805ec0aabb01"
IMAGE = os.urandom(300_000) + b"end of a sample firmware image"
NAME = "T54W-96.86.0.100.rom"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("phonefw") / "var").start()
    running.add_extension("101", "Front desk")
    assert running.add_phone(MAC, "101", model="T54W").returncode == 0
    image = tmp_path_factory.mktemp("image") / NAME
    image.write_bytes(IMAGE)
    uploaded = running.cli(
        "phone",
        "firmware",
        "upload",
        "yealink",
        "T54W",
        "96.86.0.100",
        str(image),
        "--target",
        "--json",
    )
    assert uploaded.returncode == 0, uploaded.stderr
    yield running
    running.stop()


def http_get(pbx, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", pbx.http_port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def test_the_models_target_firmware_url_is_in_its_phones_file(office):
    _, body = http_get(office, f"/prov/{MAC}.cfg")
    url = parse_yealink(body)["static.firmware.url"]

    assert url == f"http://127.0.0.1:{office.http_port}/prov/{NAME}"


def test_the_firmware_file_is_served_whole_over_http_and_tftp(office, tmp_path):
    status, body = http_get(office, f"/prov/{NAME}")
    fetched = tmp_path / NAME
    client = ["tftp", "127.0.0.1", str(office.tftp_port), "-m", "octet"]
    subprocess.run(
        [*client, "-c", "get", NAME, str(fetched)],
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
    )

    assert status == 200 and body == IMAGE
    assert fetched.read_bytes() == IMAGE


def test_a_model_without_a_target_gets_no_firmware_url(office):
    office.cli("phone", "firmware", "target", "yealink", "T54W", "none")
    _, body = http_get(office, f"/prov/{MAC}.cfg")
    office.cli("phone", "firmware", "target", "yealink", "T54W", "96.86.0.100")

    assert "static.firmware.url" not in parse_yealink(body)


def test_firmware_is_uploaded_over_the_api_and_listed_with_its_digest(office):
    admin = api_client(office, "administrator")
    data = b"\x00firmware-for-a-fanvil\xff" * 1000
    reply = admin.request(
        "PUT",
        "/api/v1/phone-firmware/fanvil/X4U/2.12.1?file_name=x4u-2.12.1.z",
        body=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    again = admin.request(
        "PUT",
        "/api/v1/phone-firmware/fanvil/X4U/2.12.1?file_name=x4u-2.12.1.z",
        body=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    listed = {
        row["file_name"]: row for row in admin.get("/api/v1/phone-firmware").json()
    }

    assert reply.status == 201, reply.body
    assert listed["x4u-2.12.1.z"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert listed["x4u-2.12.1.z"]["target"] is False
    assert again.status == 409


def test_an_upload_announced_larger_than_the_cap_is_refused_unread(office):
    connection = http.client.HTTPSConnection(
        "127.0.0.1",
        office.https_port,
        timeout=10,
        context=__import__("ssl")._create_unverified_context(),
    )
    admin = api_client(office, "administrator")
    connection.putrequest(
        "PUT", "/api/v1/phone-firmware/yealink/T46U/1.0?file_name=a.rom"
    )
    connection.putheader("Authorization", f"Bearer {admin.bearer}")
    connection.putheader("Content-Type", "application/octet-stream")
    connection.putheader("Content-Length", str(firmware.FIRMWARE_MAX_BYTES + 1))
    connection.endheaders()
    reply = connection.getresponse()

    assert reply.status == 413


@pytest.fixture
def appliance(tmp_path):
    opened = Appliance.open(settings_in(tmp_path))
    yield opened
    opened.close()


def test_a_stream_past_the_cap_is_refused_and_leaves_no_file(appliance, monkeypatch):
    monkeypatch.setattr(firmware, "FIRMWARE_MAX_BYTES", 100_000)
    monkeypatch.setattr(firmware, "STEP_BYTES", 4096)
    service = PhoneFirmwareService(appliance.settings, CONSOLE)

    with pytest.raises(InvalidInput, match="at most 100000 bytes"):
        service.upload("yealink", "T54W", "1.0", "big.rom", io.BytesIO(b"x" * 100_001))

    assert service.list() == []
    assert list(firmware_dir(appliance.settings).iterdir()) == []


@pytest.mark.parametrize(
    ("name", "field"), [("../escape.rom", "file_name"), ("a b.rom", "file_name")]
)
def test_a_file_name_that_is_not_one_plain_name_is_refused(appliance, name, field):
    service = PhoneFirmwareService(appliance.settings, CONSOLE)
    with pytest.raises(InvalidInput) as refused:
        service.upload("yealink", "T54W", "1.0", name, io.BytesIO(b"x"))
    assert refused.value.field == field


def test_firmware_is_refused_in_netascii_mode(office, tmp_path):
    fetched = tmp_path / "ascii.rom"
    client = ["tftp", "127.0.0.1", str(office.tftp_port), "-m", "netascii"]
    result = subprocess.run(
        [*client, "-c", "get", NAME, str(fetched)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )

    assert "octet" in result.stdout + result.stderr
    assert not fetched.exists() or fetched.stat().st_size == 0
