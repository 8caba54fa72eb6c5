"""The device as the updater sees it: board, slots, boot partition, reboot.

Read from a description file (``/etc/edgepbx/device.json`` in the image,
``EDGEPBX_FIRMWARE_DEVICE`` overrides) whose relative paths are relative to
the file, so a simulated machine (agent/firmware/simulated.py) is a
directory that can live anywhere::

    {"architecture": "aarch64", "board": "rpi4",
     "boot_dir": "/boot/firmware",
     "bootloader_dir": "/proc/device-tree/chosen/bootloader",
     "reboot": "systemctl",
     "slots": {"A": {"partition": 2, "device": "/dev/mmcblk0p2"},
               "B": {"partition": 3, "device": "/dev/mmcblk0p3"}}}
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agent.errors import PbxError

log = logging.getLogger("edgepbx.firmware")

DEFAULT_DESCRIPTION = Path("/etc/edgepbx/device.json")
REBOOT_METHODS = frozenset({"systemctl", "simulated"})
# The argument the Raspberry Pi firmware reads after a reboot(2) to boot the
# [tryboot] section of autoboot.txt once (Raspberry Pi documentation,
# "config.txt: autoboot.txt" and "tryboot").
TRYBOOT_REBOOT_ARGUMENT = "0 tryboot"
# What a simulated machine keeps across its reboot, like the Pi's PMIC does.
SIMULATED_TRYBOOT_FLAG = "tryboot-flag"
SIMULATED_REBOOT_REQUEST = "reboot-requested"


class NoFirmwareSlots(PbxError):
    kind = "no-firmware-slots"


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
    bootloader_dir: Path
    reboot_method: str
    slots: tuple[Slot, Slot]

    @classmethod
    def load(cls, path: Path | None = None) -> Device:
        path = path or Path(
            os.environ.get("EDGEPBX_FIRMWARE_DEVICE", str(DEFAULT_DESCRIPTION))
        )
        if not path.is_file():
            raise NoFirmwareSlots(
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
        if values["reboot"] not in REBOOT_METHODS:
            raise NoFirmwareSlots(f"{path}: reboot must be one of {REBOOT_METHODS}")
        return cls(
            description=path,
            architecture=values["architecture"],
            board=values["board"],
            boot_dir=base / values["boot_dir"],
            bootloader_dir=base / values["bootloader_dir"],
            reboot_method=values["reboot"],
            slots=slots,  # type: ignore[arg-type]
        )

    def slot_by_partition(self, partition: int) -> Slot:
        for slot in self.slots:
            if slot.partition == partition:
                return slot
        raise NoFirmwareSlots(f"partition {partition} is not a firmware slot")

    def other(self, slot: Slot) -> Slot:
        return self.slots[1] if slot == self.slots[0] else self.slots[0]

    # -- what the boot loader told us -------------------------------------------

    def _chosen(self, name: str) -> int:
        # The Pi firmware passes these as device-tree cells: 32-bit big-endian.
        path = self.bootloader_dir / name
        if not path.exists():
            raise NoFirmwareSlots(f"{path}: the boot loader did not say how it booted")
        return int.from_bytes(path.read_bytes()[:4], "big")

    def booted_partition(self) -> int:
        return self._chosen("partition")

    def booted_in_tryboot(self) -> bool:
        return self._chosen("tryboot") == 1

    # -- reboot ---------------------------------------------------------------

    def reboot(self, tryboot: bool) -> None:
        """Restart the device; with tryboot, into autoboot.txt's [tryboot] once."""
        log.info("firmware: rebooting%s", " into the trial slot" if tryboot else "")
        if self.reboot_method == "simulated":
            base = self.description.parent
            if tryboot:
                (base / SIMULATED_TRYBOOT_FLAG).write_bytes(b"1")
            (base / SIMULATED_REBOOT_REQUEST).write_bytes(b"1")
            return
        command = ["systemctl", "reboot"]
        if tryboot:
            command.append(TRYBOOT_REBOOT_ARGUMENT)
        subprocess.run(command, check=True)
