"""The x86-64 image's boot loader: the updater speaks GRUB's own files.

GRUB picks the slot from grubenv (image/grub.cfg); the updater reads and
writes that block. These tests hold the updater's writer against GRUB's
own tool (grub-editenv) and the image's grub.cfg and device.json against
what the updater expects. The A/B life cycle itself runs on a simulated PC
in tests/test_firmware_slots.py.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from agent.firmware import bootstate
from agent.firmware.device import GRUB, Device, NoFirmwareSlots
from agent.firmware.simulated import SimulatedPc
from agent.settings import Settings

TOP = Path(__file__).resolve().parents[1]
IMAGE_GRUB_CFG = TOP / "image" / "grub.cfg"
# The boards image/build-image builds for, each with its device.json.
IMAGE_BOARDS = {
    arch: TOP / "image" / f"board-{arch}" / "etc" / "edgepbx" / "device.json"
    for arch in ("x86_64", "arm64")
}


def grub_editenv(path: Path, *args: str) -> str:
    done = subprocess.run(
        ["grub-editenv", str(path), *args], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_grubenv_the_updater_writes_is_what_grub_reads(tmp_path):
    (tmp_path / "grub").mkdir()
    bootstate.write_grubenv(
        tmp_path, {"default_slot": "A", "trial_slot": "B", "trial": "1"}
    )

    listed = grub_editenv(tmp_path / bootstate.GRUBENV, "list")

    assert listed.splitlines() == ["default_slot=A", "trial_slot=B", "trial=1"]
    assert (tmp_path / bootstate.GRUBENV).stat().st_size == bootstate.GRUBENV_SIZE


def test_the_grubenv_the_image_build_writes_is_what_the_updater_reads(tmp_path):
    # The same two commands as image/build-image.
    path = tmp_path / bootstate.GRUBENV
    path.parent.mkdir()
    grub_editenv(path, "create")
    grub_editenv(path, "set", "default_slot=A", "trial_slot=", "trial=0")

    assert bootstate.read_grubenv(tmp_path) == {
        "default_slot": "A",
        "trial_slot": "",
        "trial": "0",
    }
    # and a block GRUB rewrote in place stays readable after the updater's
    # change, with the values GRUB set kept.
    grub_editenv(path, "set", "saved_entry=0")
    values = bootstate.read_grubenv(tmp_path)
    values["trial_slot"] = "B"
    bootstate.write_grubenv(tmp_path, values)
    assert "saved_entry=0" in grub_editenv(path, "list").splitlines()


def test_the_image_grub_cfg_parses():
    done = subprocess.run(
        ["grub-script-check", str(IMAGE_GRUB_CFG)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = IMAGE_GRUB_CFG.read_text()
    # The names the updater and the simulated PC rely on.
    for word in ("default_slot", "trial_slot", "trial=0", "edgepbx.slot=$slot"):
        assert word in text


@pytest.mark.parametrize("arch", IMAGE_BOARDS)
def test_the_image_describes_a_grub_machine_whose_slots_it_names(arch):
    device = Device.load(IMAGE_BOARDS[arch])

    assert device.boot_loader == GRUB
    assert device.cmdline == Path("/proc/cmdline")
    assert {s.name: s.partition for s in device.slots} == {"A": 2, "B": 3}
    build = (TOP / "image" / "build-image").read_text()
    assert "name=slot-a" in build and "name=slot-b" in build
    assert all(str(s.device).endswith(f"slot-{s.name.lower()}") for s in device.slots)


def test_each_image_names_its_own_architecture_and_board():
    # A bundle is refused unless both match (agent/firmware/manifest.py), so
    # an x86-64 bundle must never fit the arm64 image, nor the other way.
    described = {
        arch: json.loads(path.read_text()) for arch, path in IMAGE_BOARDS.items()
    }

    assert described["x86_64"]["architecture"] == "x86_64"
    assert described["arm64"]["architecture"] == "aarch64"
    assert described["x86_64"]["board"] != described["arm64"]["board"]


@pytest.fixture
def pc(tmp_path):
    return SimulatedPc.create(
        tmp_path / "pc",
        architecture="x86_64",
        board="pc",
        version="1.0.0",
        factory_image=b"factory",
        slot_size=4096,
    )


def test_a_damaged_grubenv_is_named_in_the_error(pc):
    (pc.boot_dir / bootstate.GRUBENV).write_bytes(b"default_slot=A\n")
    device = Device.load(pc.description)

    with pytest.raises(bootstate.BootStateDamaged, match="not a GRUB environment"):
        device.boot_choice()


def test_a_missing_slot_argument_says_the_boot_loader_did_not_name_the_slot(pc):
    (pc.root / "cmdline").write_text("root=/dev/sda2 ro quiet\n")
    device = Device.load(pc.description)

    with pytest.raises(NoFirmwareSlots, match="did not say which slot"):
        device.booted_partition()


def test_the_reboot_into_a_trial_is_left_to_systemd_so_the_answer_gets_out(
    pc, tmp_path, monkeypatch
):
    # The install answers its caller (a web page, the API) after asking for
    # the reboot; a reboot run at once stopped the web admin first, and
    # killed the very command that asked for it.
    description = json.loads(pc.description.read_text())
    description["reboot"] = "systemctl"
    pc.description.write_text(json.dumps(description))
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    asked = tmp_path / "asked"
    for name in ("systemd-run", "systemctl"):
        (fake_bin / name).write_text(f'#!/bin/sh\necho {name} "$@" >>{asked}\n')
        (fake_bin / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}:{os.environ['PATH']}")
    device = Device.load(pc.description)

    device.reboot(tryboot=True)

    assert asked.read_text().splitlines() == [
        "systemd-run --quiet --on-active=5 --timer-property=AccuracySec=1s "
        "--description=edgepbx firmware: reboot systemctl reboot"
    ]
    assert bootstate.read_grubenv(pc.boot_dir)["trial"] == "1"


def unit_environment(name: str) -> dict[str, str]:
    """The Environment= lines of one of the image's systemd units."""
    unit = TOP / "rootfs" / "etc" / "systemd" / "system" / name
    found = {}
    for line in unit.read_text().splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            found[key] = value
    return found


def test_the_health_check_after_a_trial_boot_sees_the_agents_data_and_ports(
    monkeypatch,
):
    seen = {}
    for unit in ("edgepbx-agent.service", "edgepbx-firmware-confirm.service"):
        for key in [k for k in os.environ if k.startswith("EDGEPBX_")]:
            monkeypatch.delenv(key)
        for key, value in unit_environment(unit).items():
            monkeypatch.setenv(key, value)
        seen[unit] = Settings.from_environment()

    agent, health_check = seen.values()
    assert health_check.config_db == agent.config_db == Path("/data/db/edgepbx.sqlite")
    assert health_check.data_dir_chosen
    assert (health_check.sip_port, health_check.https_port) == (
        agent.sip_port,
        agent.https_port,
    )
    assert (health_check.http_port, health_check.tftp_port) == (
        agent.http_port,
        agent.tftp_port,
    )


def unit_start(name: str) -> list[str]:
    """The ExecStart= command of one of the image's systemd units, as words."""
    unit = TOP / "rootfs" / "etc" / "systemd" / "system" / name
    for line in unit.read_text().splitlines():
        if line.startswith("ExecStart="):
            return line.removeprefix("ExecStart=").split()
    raise AssertionError(f"{name} has no ExecStart=")


def test_the_health_check_probes_the_address_the_agent_listens_on():
    # agent-start finds the LAN address and exports it as EDGEPBX_BIND; a
    # health check started otherwise probes 127.0.0.1, where nothing of the
    # agent's listens.
    agent = unit_start("edgepbx-agent.service")
    health_check = unit_start("edgepbx-firmware-confirm.service")

    assert agent == ["/usr/lib/edgepbx/agent-start"]
    assert health_check == ["/usr/lib/edgepbx/agent-start", "firmware", "confirm"]
    script = (TOP / "rootfs" / "usr" / "lib" / "edgepbx" / "agent-start").read_text()
    assert 'exec /usr/bin/edgepbx "$@"' in script
