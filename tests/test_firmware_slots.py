"""A/B slots: install into the other slot, try it once, commit or fall back.

The "disk" is a simulated Raspberry Pi or PC (tests/firmware_machine.py):
two slot images, a boot partition with autoboot.txt or GRUB's grubenv, and
the boot loader's decision in ``power_on``. Everything else is the real
updater run through the real CLI. The steps that depend on the boot loader
run on both machines.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from tests.firmware_machine import MACHINES, make_lab
from tests.pbx import EDGEPBX
from tests.test_firmware_bundle import BAD_BUNDLES

KILL_WAIT_S = 60.0
# Long enough that the health check is still waiting while the test acts.
LONG_TRIAL_S = 120
BIG_SLOT = 96 * 1024 * 1024
BIG_PAYLOAD = 64 * 1024 * 1024
HEAD = 4096


#: Marks a test whose steps depend on the boot loader: it runs on each.
on_each_machine = pytest.mark.parametrize("lab", list(MACHINES), indirect=True)


@pytest.fixture
def lab(request, tmp_path, monkeypatch):
    lab = make_lab(
        tmp_path / "lab", boot_loader=getattr(request, "param", "raspberrypi")
    )
    for name, value in lab.env.items():
        monkeypatch.setenv(name, value)
    return lab


def slot_holds(lab, name: str, payload) -> bool:
    data = payload.read_bytes()
    with lab.machine.slot_image(name).open("rb") as f:
        return f.read(len(data)) == data


def firmware_status(pbx) -> dict:
    result = pbx.cli("firmware", "status", "--json")
    assert result.returncode == 0, result.stderr
    return result.json()


@on_each_machine
def test_a_good_bundle_is_tried_once_in_the_other_slot_and_kept_on_commit(
    lab, pbx_data
):
    payload = lab.payload("rootfs-1.1.0")
    applied = pbx_data.cli("firmware", "apply", str(lab.bundle(payload=payload)))

    assert applied.returncode == 0, applied.stderr
    assert slot_holds(lab, "B", payload)
    assert lab.machine.reboot_requested

    assert lab.machine.power_on() == "B"
    on_trial = firmware_status(pbx_data)
    assert on_trial["booted_slot"] == "B"
    assert on_trial["version"] == "1.1.0"
    assert on_trial["trial"] is True
    assert on_trial["default_slot"] == "A"

    committed = pbx_data.cli("firmware", "commit", "--json")
    assert committed.returncode == 0, committed.stderr
    assert committed.json()["trial"] is False
    assert lab.machine.power_on() == "B"
    assert firmware_status(pbx_data)["default_slot"] == "B"


@on_each_machine
def test_a_trial_that_is_never_committed_falls_back_to_the_old_slot(lab, pbx_data):
    pbx_data.cli("firmware", "apply", str(lab.bundle()))
    assert lab.machine.power_on() == "B"

    # Power cut or hang during the trial: the one-shot tryboot flag is gone.
    assert lab.machine.power_on() == "A"
    status = firmware_status(pbx_data)
    assert status["version"] == "1.0.0"
    assert status["trial"] is False


@pytest.mark.parametrize("kind", list(BAD_BUNDLES))
def test_a_bad_bundle_is_refused_and_leaves_the_disk_byte_identical(
    lab, pbx_data, kind
):
    options, damage, reason = BAD_BUNDLES[kind]
    path = lab.bundle(**options)
    if damage:
        damage(path)
    before = lab.machine.disk_digest()

    result = pbx_data.cli("firmware", "apply", str(path))

    assert result.returncode == 2
    assert reason in result.stderr
    assert lab.machine.disk_digest() == before
    assert not lab.machine.reboot_requested


def test_a_writer_killed_mid_write_leaves_the_old_slot_booting(
    tmp_path, monkeypatch, pbx_data
):
    # Big enough that the write takes a while even on a fast disk.
    lab = make_lab(tmp_path / "big-lab", slot_size=BIG_SLOT)
    for name, value in lab.env.items():
        monkeypatch.setenv(name, value)
    big = lab.payload("rootfs-big", size=BIG_PAYLOAD)
    path = lab.bundle(payload=big)
    head = big.read_bytes()[:HEAD]
    slot_a_before = hashlib.sha256(lab.machine.slot_image("A").read_bytes())

    writer = subprocess.Popen(
        [*EDGEPBX, "firmware", "apply", str(path)],
        env=pbx_data.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + KILL_WAIT_S
    while time.monotonic() < deadline and writer.poll() is None:
        with lab.machine.slot_image("B").open("rb") as slot_b:
            started = slot_b.read(HEAD) == head
        if started:  # the first chunk is in slot B: the write is under way
            os.kill(writer.pid, signal.SIGKILL)
            break
        time.sleep(0.001)
    writer.wait(KILL_WAIT_S)

    assert writer.returncode == -signal.SIGKILL
    assert not lab.machine.reboot_requested
    assert lab.machine.power_on() == "A"
    slot_a_after = hashlib.sha256(lab.machine.slot_image("A").read_bytes())
    assert slot_a_after.hexdigest() == slot_a_before.hexdigest()
    status = firmware_status(pbx_data)
    assert status["version"] == "1.0.0"
    assert {s["name"]: s["state"] for s in status["slots"]}["B"] == "writing"

    # The interrupted slot is simply written again by the next attempt.
    again = pbx_data.cli("firmware", "apply", str(path))
    assert again.returncode == 0, again.stderr
    assert slot_holds(lab, "B", big)


@on_each_machine
def test_a_failed_health_check_rolls_back_to_the_old_slot(lab, pbx_data):
    pbx_data.cli("firmware", "apply", str(lab.bundle()))
    lab.machine.power_on()

    # No agent is running, so nothing answers: the trial is not healthy.
    result = pbx_data.cli("firmware", "confirm", "--timeout", "1")

    assert result.returncode == 2
    assert "health check failed" in result.stderr
    assert "not running" in result.stderr
    assert lab.machine.reboot_requested
    assert lab.machine.power_on() == "A"
    status = firmware_status(pbx_data)
    assert {s["name"]: s["state"] for s in status["slots"]}["B"] == "rejected"
    assert status["default_slot"] == "A"


def test_a_healthy_trial_is_committed_by_the_health_check(lab, pbx):
    pbx.cli("firmware", "apply", str(lab.bundle()))
    lab.machine.power_on()

    result = pbx.cli("firmware", "confirm", "--timeout", "60", "--json")

    assert result.returncode == 0, result.stderr
    assert result.json()["trial"] is False
    assert result.json()["default_slot"] == "B"
    assert lab.machine.power_on() == "B"


@on_each_machine
def test_a_rejected_trial_cannot_be_committed_late(lab, pbx_data):
    pbx_data.cli("firmware", "apply", str(lab.bundle()))
    lab.machine.power_on()
    assert pbx_data.cli("firmware", "confirm", "--timeout", "1").returncode == 2

    late = pbx_data.cli("firmware", "commit")

    assert late.returncode == 2
    assert "too late to commit: the trial of slot B was rejected" in late.stderr
    assert firmware_status(pbx_data)["default_slot"] == "A"
    assert lab.machine.power_on() == "A"


def _set_trial_s(lab, seconds) -> None:
    description = json.loads(lab.machine.description.read_text())
    description["trial_s"] = seconds
    lab.machine.description.write_text(json.dumps(description))


def _line_from(stream, text: str, timeout_s: float) -> str:
    """Read stream (a pipe) until a line holding text; fail after timeout_s."""
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"never saw {text!r}; saw: {''.join(seen)[-2000:]}")


def test_a_commit_by_hand_while_the_health_check_waits_is_kept(lab, pbx_data):
    _set_trial_s(lab, LONG_TRIAL_S)
    pbx_data.cli("firmware", "apply", str(lab.bundle()))
    lab.machine.power_on()
    # No agent runs: the health check waits the board's trial_s for one.
    checking = subprocess.Popen(
        [*EDGEPBX, "firmware", "confirm", "--json"],
        env=pbx_data.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _line_from(checking.stderr, f"healthy within {LONG_TRIAL_S} s?", KILL_WAIT_S)
        _line_from(checking.stderr, "not healthy yet", KILL_WAIT_S)

        by_hand = pbx_data.cli("firmware", "commit")
        out, err = checking.communicate(timeout=KILL_WAIT_S)
    finally:
        if checking.poll() is None:
            checking.kill()
            checking.wait()

    assert by_hand.returncode == 0, by_hand.stderr
    assert checking.returncode == 0, err
    assert json.loads(out)["default_slot"] == "B"
    assert not lab.machine.reboot_requested
    assert lab.machine.power_on() == "B"


@pytest.mark.parametrize(
    "trial_s,rule",
    [("soon", "a number of seconds"), (5, "from 30 to 3600 seconds")],
)
def test_a_board_trial_time_out_of_bounds_is_refused_by_name(
    lab, pbx_data, trial_s, rule
):
    _set_trial_s(lab, trial_s)

    result = pbx_data.cli("firmware", "status")

    assert result.returncode == 2
    assert f"trial_s must be {rule}" in result.stderr


@on_each_machine
def test_rollback_during_a_trial_returns_to_the_old_slot(lab, pbx_data):
    pbx_data.cli("firmware", "apply", str(lab.bundle()))
    lab.machine.power_on()

    result = pbx_data.cli("firmware", "rollback", "--json")

    assert result.returncode == 0, result.stderr
    assert result.json() == {"rebooting_into": "A"}
    assert lab.machine.power_on() == "A"


def test_commit_without_a_trial_is_refused(lab, pbx_data):
    result = pbx_data.cli("firmware", "commit")

    assert result.returncode == 2
    assert "nothing to commit" in result.stderr


@on_each_machine
def test_a_committed_release_can_be_rolled_back_to_the_previous_one(lab, pbx_data):
    pbx_data.cli("firmware", "apply", str(lab.bundle()))
    lab.machine.power_on()
    pbx_data.cli("firmware", "commit")

    result = pbx_data.cli("firmware", "rollback", "--json")

    assert result.json() == {"rebooting_into": "A"}
    assert lab.machine.power_on() == "A"
    assert firmware_status(pbx_data)["trial"] is True
    assert pbx_data.cli("firmware", "commit").returncode == 0
    assert lab.machine.power_on() == "A"


def test_after_a_failed_trial_the_old_release_gets_back_the_database_it_knew(
    lab, pbx_data
):
    pbx_data.add_extension("101")
    pbx_data.cli("firmware", "apply", str(lab.bundle()))
    assert lab.machine.power_on() == "B"
    # On trial, the new release migrates to a schema the old one never knew,
    # and someone adds an extension; then the trial fails (power cut).
    pbx_data.add_extension("102")
    config_db = sqlite3.connect(pbx_data.data_dir / "db" / "edgepbx.sqlite")
    config_db.execute("PRAGMA user_version = 99")
    config_db.commit()
    config_db.close()
    assert lab.machine.power_on() == "A"

    listed = pbx_data.cli("extension", "list", "--json")

    assert listed.returncode == 0, listed.stderr
    assert [e["number"] for e in listed.json()] == ["101"]
    assert "restored the copy taken before installing 1.1.0" in listed.stderr
