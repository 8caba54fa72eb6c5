"""Restoring a backup and installing firmware from the System page, in a
real headless Chromium: each upload is checked whole, refused with its
reason, and changes nothing until it is confirmed."""

from __future__ import annotations

import pytest

from tests import browser_driver
from tests.firmware_machine import make_lab
from tests.pbx import RunningPbx
from tests.webclient import signed_in

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def lab_and_pbx(tmp_path):
    lab = make_lab(tmp_path / "lab")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in lab.env.items():
            patch.setenv(name, value)
        running = RunningPbx(tmp_path / "var").start()
        yield lab, running
        running.stop()


def test_a_backup_is_restored_and_a_bundle_installed_from_the_page(
    lab_and_pbx, browser_ready, tmp_path
):
    lab, pbx = lab_and_pbx
    pbx.add_extension("201", "Before the backup")
    admin = signed_in(pbx)
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    backup = tmp_path / "office.backup"
    made = pbx.cli(
        "backup", "create", "--output", str(backup),
        "--passphrase-file", str(passphrase_file),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    pbx.add_extension("202", "After the backup")
    stranger = lab.bundle("1.1.0", untrusted_key=True)
    good = lab.bundle("1.2.0")

    seen = browser_driver.run(
        "system_uploads.mjs",
        pbx,
        session=admin.cookies["__Host-edgepbx_session"],
        bundle=str(stranger),
        good_bundle=str(good),
        backup=str(backup),
        passphrase=PASSPHRASE,
    )

    assert "not signed by a key this device trusts" in seen["bundleError"]
    assert "release 1.2.0" in seen["bundleConfirmation"]
    assert "over slot B (now empty)" in " ".join(seen["bundleConfirmation"].split())
    assert "Release 1.2.0 is written and read back" in " ".join(
        seen["installed"].split()
    )
    slots = pbx.cli("firmware", "status", "--json").json()["slots"]
    assert [s["version"] for s in slots if s["name"] == "B"] == ["1.2.0"]
    assert "wrong passphrase" in seen["passphraseError"]
    assert seen["confirmShownEarly"] == 0
    assert "Restoring replaces everything" in seen["confirmation"]
    assert "files" in seen["confirmation"]
    assert "starts again" in seen["restoring"]
    assert "Before the backup" in seen["extensions"]
    assert "After the backup" not in seen["extensions"]
    listed = pbx.cli("extension", "list", "--json").json()
    assert [e["number"] for e in listed] == ["201"]
    assert not (pbx.data_dir / ".restore-pending").exists()
