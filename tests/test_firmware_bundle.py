"""Firmware bundles: the manifest, the container, and ``edgepbx firmware verify``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.errors import InvalidInput
from agent.firmware.bundle import HEADER, BundleHeader, BundleRefused
from agent.firmware.manifest import Manifest, Version
from tests.firmware_machine import make_lab

TOP = Path(__file__).resolve().parents[1]


def sample_manifest() -> Manifest:
    return Manifest(
        version=Version(1, 4, 2),
        architecture="aarch64",
        boards=("rpi4", "rpi5"),
        min_upgrade_from=Version(1, 0, 0),
        payload_size=123456,
        payload_sha256="ab" * 32,
    )


def test_manifest_bytes_parse_back_to_the_same_manifest_and_the_same_bytes():
    manifest = sample_manifest()
    data = bytes(manifest)

    assert Manifest.parse(data) == manifest
    assert bytes(Manifest.parse(data)) == data


def test_bundle_header_bytes_parse_back_to_the_same_header():
    header = BundleHeader(manifest_length=300, payload_length=2**33 + 5)
    data = bytes(header)

    assert len(data) == HEADER.size == 32
    assert BundleHeader.parse(data) == header


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"version": "1.4"}, "version"),
        ({"architecture": "mips"}, "architecture"),
        ({"boards": []}, "boards"),
        ({"min_upgrade_from": "2.0.0"}, "min_upgrade_from"),
        ({"payload_sha256": "xyz"}, "payload_sha256"),
        ({"extra": 1}, "manifest"),
    ],
)
def test_a_manifest_that_breaks_a_rule_is_refused_naming_the_field(change, field):
    values = sample_manifest().to_dict() | change
    import json

    with pytest.raises(InvalidInput) as refused:
        Manifest.parse(json.dumps(values).encode())
    assert refused.value.field == field


def test_versions_compare_number_by_number_not_as_text():
    assert Version.parse("1.10.0") > Version.parse("1.9.9")
    assert Version.parse("2.0.0") > Version.parse("1.99.99")


def test_the_bundle_script_builds_a_bundle_that_verifies(
    tmp_path, pbx_data, monkeypatch
):
    lab = make_lab(tmp_path / "lab")
    for name, value in lab.env.items():
        monkeypatch.setenv(name, value)
    output = tmp_path / "release.bundle"
    built = subprocess.run(
        [
            sys.executable,
            str(TOP / "scripts/firmware-bundle"),
            "--payload",
            str(lab.payload("rootfs")),
            "--version",
            "1.2.0",
            "--architecture",
            "x86_64",
            "--board",
            "pc",
            "--key",
            str(lab.key_path),
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    verified = pbx_data.cli("firmware", "verify", str(output), "--json")

    assert built.returncode == 0, built.stderr
    assert verified.returncode == 0, verified.stderr
    assert verified.json()["manifest"]["version"] == "1.2.0"


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1000])


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))


def _append(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\0")


def _flip_manifest_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[HEADER.size + 10] ^= 0x20
    path.write_bytes(bytes(data))


BAD_BUNDLES = {
    "bad signature": ({"untrusted_key": True}, None, "bad signature"),
    "altered manifest": ({}, _flip_manifest_byte, "bad signature"),
    "wrong architecture": ({"architecture": "aarch64"}, None, "wrong architecture"),
    "wrong board": ({"boards": ("rpi4",)}, None, "wrong board"),
    "truncated payload": ({}, _truncate, "truncated"),
    "altered payload": ({}, _flip_last_byte, "altered"),
    "bytes after the payload": ({}, _append, "altered"),
    "downgrade": ({"version": "0.9.0", "min_upgrade_from": "0.1.0"}, None, "downgrade"),
    "same release": ({"version": "1.0.0"}, None, "same release"),
    "too old to upgrade from": (
        {"version": "3.0.0", "min_upgrade_from": "2.0.0"},
        None,
        "upgrades only from 2.0.0",
    ),
}


@pytest.fixture
def lab(tmp_path, monkeypatch):
    lab = make_lab(tmp_path / "lab")
    for name, value in lab.env.items():
        monkeypatch.setenv(name, value)
    return lab


@pytest.mark.parametrize("kind", list(BAD_BUNDLES))
def test_verify_refuses_a_bad_bundle_and_says_why(lab, pbx_data, kind):
    options, damage, reason = BAD_BUNDLES[kind]
    path = lab.bundle(**options)
    if damage:
        damage(path)

    result = pbx_data.cli("firmware", "verify", str(path))

    assert result.returncode == 2
    assert reason in result.stderr
    assert "Traceback" not in result.stderr


def test_an_arm64_device_refuses_an_x86_64_bundle_and_takes_its_own(
    tmp_path, monkeypatch, pbx_data
):
    arm = make_lab(tmp_path / "arm-lab", architecture="aarch64")
    for name, value in arm.env.items():
        monkeypatch.setenv(name, value)

    foreign = pbx_data.cli(
        "firmware", "verify", str(arm.bundle("1.1.0", architecture="x86_64"))
    )
    own = pbx_data.cli("firmware", "verify", str(arm.bundle("1.1.0")))

    assert foreign.returncode == 2
    assert (
        "wrong architecture: the bundle is for x86_64, this device is aarch64"
        in foreign.stderr
    )
    assert own.returncode == 0, own.stderr
    assert "release 1.1.0" in own.stdout


def test_a_good_bundle_verifies_with_exit_status_zero(lab, pbx_data):
    result = pbx_data.cli("firmware", "verify", str(lab.bundle("1.1.0")))

    assert result.returncode == 0, result.stderr
    assert "release 1.1.0" in result.stdout


def test_force_allows_a_downgrade_but_never_a_bad_signature(lab, pbx_data):
    downgrade = lab.bundle("0.9.0", min_upgrade_from="0.1.0")
    stranger = lab.bundle("0.9.1", min_upgrade_from="0.1.0", untrusted_key=True)

    assert pbx_data.cli("firmware", "verify", str(downgrade), "--force").returncode == 0
    forced = pbx_data.cli("firmware", "verify", str(stranger), "--force")
    assert forced.returncode == 2
    assert "bad signature" in forced.stderr


def test_a_file_that_is_no_bundle_is_refused(lab, pbx_data, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")

    result = pbx_data.cli("firmware", "verify", str(junk), "--json")

    assert result.returncode == 2
    assert result.json()["error"]["type"] == BundleRefused.kind
    assert "truncated" in result.stderr or "magic" in result.stderr


def test_a_bad_signature_is_reported_as_a_security_event(lab, pbx_data):
    result = pbx_data.cli("firmware", "verify", str(lab.bundle(untrusted_key=True)))

    assert result.returncode == 2
    assert "firmware-signature-rejected from local" in result.stderr
