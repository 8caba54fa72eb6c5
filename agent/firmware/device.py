"""The device as the updater sees it: board, slots, boot loader, reboot.

Read from a description file (``/etc/edgepbx/device.json`` in the image,
``EDGEPBX_FIRMWARE_DEVICE`` overrides) whose relative paths are relative to
the file, so a simulated machine (agent/firmware/simulated.py) is a
directory that can live anywhere. A Raspberry Pi::

    {"architecture": "aarch64", "board": "rpi4",
     "boot_dir": "/boot/firmware",
     "bootloader_dir": "/proc/device-tree/chosen/bootloader",
     "reboot": "systemctl",
     "slots": {"A": {"partition": 2, "device": "/dev/mmcblk0p2"},
               "B": {"partition": 3, "device": "/dev/mmcblk0p3"}}}

A PC booting through GRUB says ``"boot_loader": "grub"`` and, instead of
``bootloader_dir``, where the kernel command line is (``"cmdline":
"/proc/cmdline"``, the default): the image's grub.cfg puts
``edgepbx.slot=A`` or ``B`` there.

``"trial_s"`` is how long a release on trial has, from the start of its
health check, to become healthy before it is rolled back; a board slower
than a Pi (an emulated one) names a longer time.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agent.errors import PbxError
from agent.firmware import bootstate

log = logging.getLogger("edgepbx.firmware")

DEFAULT_DESCRIPTION = Path("/etc/edgepbx/device.json")
REBOOT_METHODS = frozenset({"systemctl", "simulated"})
RASPBERRY_PI = "raspberrypi"
GRUB = "grub"
BOOT_LOADERS = frozenset({RASPBERRY_PI, GRUB})
DEFAULT_CMDLINE = "/proc/cmdline"
# The kernel argument image/grub.cfg adds to name the slot it booted.
SLOT_ARGUMENT = "edgepbx.slot"
# The argument the Raspberry Pi firmware reads after a reboot(2) to boot the
# [tryboot] section of autoboot.txt once (Raspberry Pi documentation,
# "config.txt: autoboot.txt" and "tryboot").
TRYBOOT_REBOOT_ARGUMENT = "0 tryboot"
# A reboot is left to systemd, this long after it is asked for: the answer
# to whoever asked (the web page, the REST API, an SSH session) must get out
# before the shutdown stops the web admin. Run from inside the web admin,
# `systemctl reboot` itself was killed by that shutdown, and the install
# that had gone well was answered with an internal error.
REBOOT_DELAY_S = 5
# What a simulated machine keeps across its reboot, like the Pi's PMIC does.
SIMULATED_TRYBOOT_FLAG = "tryboot-flag"
SIMULATED_REBOOT_REQUEST = "reboot-requested"
# How long a trial boot has to become healthy, unless the board says: on a
# Raspberry Pi 4 the agent and its daemons answer within a minute of the
# health check's start; a schema migration of a large database on a slow
# card fits well inside.
DEFAULT_TRIAL_S = 300.0
# Shorter than a boot of the agent cannot pass; longer than an hour keeps a
# broken release answering calls badly for too long.
MIN_TRIAL_S = 30.0
MAX_TRIAL_S = 3600.0


class NoFirmwareSlots(PbxError):
    kind = "no-firmware-slots"


class NoDeviceDescription(NoFirmwareSlots):
    """No device.json at all: a workstation (``make run``), not a device."""


@dataclass(frozen=True)
class Slot:
    name: str
    partition: int
    device: Path


@dataclass(frozen=True)
class Device:
    description: Path
    architecture: str
    board: str
    boot_dir: Path
    boot_loader: str
    #: Where a Raspberry Pi's firmware says how it booted (device tree).
    bootloader_dir: Path | None
    #: Where a GRUB machine's kernel command line is.
    cmdline: Path | None
    reboot_method: str
    slots: tuple[Slot, Slot]
    #: How long a trial boot has to become healthy (from the health check's
    #: start) before it is rolled back.
    trial_s: float = DEFAULT_TRIAL_S

    @classmethod
    def load(cls, path: Path | None = None) -> Device:
        path = path or Path(
            os.environ.get("EDGEPBX_FIRMWARE_DEVICE", str(DEFAULT_DESCRIPTION))
        )
        if not path.is_file():
            raise NoDeviceDescription(
                f"no device description at {path}: this machine has no "
                "firmware slots (set EDGEPBX_FIRMWARE_DEVICE)"
            )
        values = json.loads(path.read_text())
        base = path.parent.absolute()
        slots = tuple(
            Slot(name, int(s["partition"]), base / s["device"])
            for name, s in sorted(values["slots"].items())
        )
        if len(slots) != 2 or slots[0].partition == slots[1].partition:
            raise NoFirmwareSlots(f"{path}: needs exactly two slots, A and B")
        if {slot.name for slot in slots} != {"A", "B"}:
            raise NoFirmwareSlots(f"{path}: needs exactly two slots, A and B")
        if values["reboot"] not in REBOOT_METHODS:
            raise NoFirmwareSlots(f"{path}: reboot must be one of {REBOOT_METHODS}")
        boot_loader = values.get("boot_loader", RASPBERRY_PI)
        if boot_loader not in BOOT_LOADERS:
            raise NoFirmwareSlots(
                f"{path}: boot_loader must be one of {sorted(BOOT_LOADERS)}"
            )
        if boot_loader == RASPBERRY_PI and "bootloader_dir" not in values:
            raise NoFirmwareSlots(f"{path}: a Raspberry Pi needs bootloader_dir")
        trial_s = values.get("trial_s", DEFAULT_TRIAL_S)
        if isinstance(trial_s, bool) or not isinstance(trial_s, int | float):
            raise NoFirmwareSlots(f"{path}: trial_s must be a number of seconds")
        if not MIN_TRIAL_S <= trial_s <= MAX_TRIAL_S:
            raise NoFirmwareSlots(
                f"{path}: trial_s must be from {MIN_TRIAL_S:.0f} to "
                f"{MAX_TRIAL_S:.0f} seconds"
            )
        return cls(
            description=path,
            architecture=values["architecture"],
            board=values["board"],
            boot_dir=base / values["boot_dir"],
            boot_loader=boot_loader,
            bootloader_dir=(
                base / values["bootloader_dir"] if boot_loader == RASPBERRY_PI else None
            ),
            cmdline=(
                base / values.get("cmdline", DEFAULT_CMDLINE)
                if boot_loader == GRUB
                else None
            ),
            reboot_method=values["reboot"],
            slots=slots,  # type: ignore[arg-type]
            trial_s=float(trial_s),
        )

    def slot_by_partition(self, partition: int) -> Slot:
        for slot in self.slots:
            if slot.partition == partition:
                return slot
        raise NoFirmwareSlots(f"partition {partition} is not a firmware slot")

    def other(self, slot: Slot) -> Slot:
        return self.slots[1] if slot == self.slots[0] else self.slots[0]

    def slot_named(self, name: str, where: str) -> Slot:
        for slot in self.slots:
            if slot.name == name:
                return slot
        raise bootstate.BootStateDamaged(f"{where}: {name!r} is not a slot")

    # -- which slot boots -----------------------------------------------------------

    def boot_choice(self) -> bootstate.BootChoice:
        if self.boot_loader == RASPBERRY_PI:
            return bootstate.read_autoboot(self.boot_dir)
        env = bootstate.read_grubenv(self.boot_dir)
        default = self.slot_named(env.get("default_slot", ""), "grubenv default_slot")
        trial_name = env.get("trial_slot") or self.other(default).name
        trial = self.slot_named(trial_name, "grubenv trial_slot")
        return bootstate.BootChoice(default.partition, trial.partition)

    def set_boot_choice(self, choice: bootstate.BootChoice) -> None:
        if self.boot_loader == RASPBERRY_PI:
            bootstate.write_autoboot(self.boot_dir, choice)
            return
        env = bootstate.read_grubenv(self.boot_dir)
        env["default_slot"] = self.slot_by_partition(choice.default_partition).name
        env["trial_slot"] = self.slot_by_partition(choice.trial_partition).name
        bootstate.write_grubenv(self.boot_dir, env)

    # -- what the boot loader told us -------------------------------------------

    def _chosen(self, name: str) -> int:
        # The Pi firmware passes these as device-tree cells: 32-bit big-endian.
        assert self.bootloader_dir is not None
        path = self.bootloader_dir / name
        if not path.exists():
            raise NoFirmwareSlots(f"{path}: the boot loader did not say how it booted")
        return int.from_bytes(path.read_bytes()[:4], "big")

    def _slot_on_cmdline(self) -> Slot:
        assert self.cmdline is not None
        try:
            arguments = self.cmdline.read_text().split()
        except OSError:
            arguments = []
        for argument in arguments:
            name, _, value = argument.partition("=")
            if name == SLOT_ARGUMENT:
                return self.slot_named(value, f"{self.cmdline} {SLOT_ARGUMENT}")
        raise NoFirmwareSlots(
            f"{self.cmdline}: no {SLOT_ARGUMENT}=: the boot loader did not say "
            "which slot it booted"
        )

    def booted_partition(self) -> int:
        if self.boot_loader == GRUB:
            return self._slot_on_cmdline().partition
        return self._chosen("partition")

    def booted_for_trial(self) -> bool:
        """Whether this boot is the one-shot trial of the boot choice."""
        if self.boot_loader == GRUB:
            # grub.cfg clears the flag before a trial boot; the only way it
            # boots a slot other than the default is that trial.
            return self.booted_partition() != self.boot_choice().default_partition
        return self._chosen("tryboot") == 1

    # -- reboot ---------------------------------------------------------------

    def reboot(self, tryboot: bool) -> None:
        """Restart the device in REBOOT_DELAY_S; with tryboot, into the trial
        slot once."""
        log.info("firmware: rebooting%s", " into the trial slot" if tryboot else "")
        if self.boot_loader == GRUB:
            # GRUB's one-shot flag lives in grubenv, not in the reboot call.
            env = bootstate.read_grubenv(self.boot_dir)
            env["trial"] = "1" if tryboot else "0"
            bootstate.write_grubenv(self.boot_dir, env)
        if self.reboot_method == "simulated":
            base = self.description.parent
            if tryboot and self.boot_loader == RASPBERRY_PI:
                (base / SIMULATED_TRYBOOT_FLAG).write_bytes(b"1")
            (base / SIMULATED_REBOOT_REQUEST).write_bytes(b"1")
            return
        command = [
            "systemd-run",
            "--quiet",
            f"--on-active={REBOOT_DELAY_S}",
            "--timer-property=AccuracySec=1s",
            "--description=edgepbx firmware: reboot",
            "systemctl",
            "reboot",
        ]
        if tryboot and self.boot_loader == RASPBERRY_PI:
            command.append(TRYBOOT_REBOOT_ARGUMENT)
        subprocess.run(command, check=True)
