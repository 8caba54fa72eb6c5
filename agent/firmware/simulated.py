"""A Raspberry Pi's and a PC's boot paths, simulated with plain files.

A machine is a directory: two slot images standing for partitions 2 and 3,
a boot partition directory and ``device.json``. ``power_on`` does what the
boot loader does at power-on; everything else is the updater's real code
working on these files through ``device.json``.

- The Pi's boot partition holds ``autoboot.txt``; the firmware reports to
  the OS in ``chosen/partition`` and ``chosen/tryboot`` (32-bit big-endian
  as in ``/proc/device-tree/chosen/bootloader``) and keeps the one-shot
  tryboot flag outside the disk.
- The PC's holds ``grub/grubenv``; ``power_on`` follows image/grub.cfg
  (clear ``trial`` and boot ``trial_slot`` once, else ``default_slot``)
  and writes the kernel command line it would pass to ``cmdline``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from agent.firmware import bootstate
from agent.firmware.device import (
    GRUB,
    RASPBERRY_PI,
    SIMULATED_REBOOT_REQUEST,
    SIMULATED_TRYBOOT_FLAG,
    SLOT_ARGUMENT,
)

SLOT_A_PARTITION = 2
SLOT_B_PARTITION = 3


@dataclass(frozen=True)
class SimulatedPi:
    root: Path

    @property
    def description(self) -> Path:
        return self.root / "device.json"

    @property
    def boot_dir(self) -> Path:
        return self.root / "boot"

    def slot_image(self, name: str) -> Path:
        return self.root / f"slot-{name.lower()}.img"

    @classmethod
    def create(
        cls,
        root: Path,
        *,
        architecture: str,
        board: str,
        version: str,
        factory_image: bytes,
        slot_size: int,
    ) -> SimulatedPi:
        """A machine fresh from the factory: slot A holds version, B is empty."""
        machine = cls(root)
        root.mkdir(parents=True, exist_ok=True)
        machine.boot_dir.mkdir(exist_ok=True)
        (root / "chosen").mkdir(exist_ok=True)
        description = {
            "architecture": architecture,
            "board": board,
            "boot_dir": "boot",
            "reboot": "simulated",
            "slots": {
                "A": {"partition": SLOT_A_PARTITION, "device": "slot-a.img"},
                "B": {"partition": SLOT_B_PARTITION, "device": "slot-b.img"},
            },
            **machine.boot_loader_description(),
        }
        machine.description.write_text(json.dumps(description, indent=2))
        for name, content in (("A", factory_image), ("B", b"")):
            with machine.slot_image(name).open("wb") as f:
                f.write(content)
                f.truncate(slot_size)
        machine.write_factory_boot_choice()
        bootstate.write_records(
            machine.boot_dir,
            {
                "A": {
                    "version": version,
                    "sha256": hashlib.sha256(factory_image).hexdigest(),
                    "size": len(factory_image),
                    "state": bootstate.FACTORY,
                }
            },
        )
        machine.power_on()
        return machine

    def boot_loader_description(self) -> dict:
        return {"boot_loader": RASPBERRY_PI, "bootloader_dir": "chosen"}

    def write_factory_boot_choice(self) -> None:
        bootstate.write_autoboot(
            self.boot_dir, bootstate.BootChoice(SLOT_A_PARTITION, SLOT_B_PARTITION)
        )

    def power_on(self) -> str:
        """Boot as the Pi firmware does; return the name of the slot booted."""
        autoboot = bootstate.read_autoboot(self.boot_dir)
        flag = self.root / SIMULATED_TRYBOOT_FLAG
        tryboot = flag.exists()
        flag.unlink(missing_ok=True)  # the flag lasts for one boot only
        (self.root / SIMULATED_REBOOT_REQUEST).unlink(missing_ok=True)
        partition = autoboot.trial_partition if tryboot else autoboot.default_partition
        chosen = self.root / "chosen"
        (chosen / "partition").write_bytes(partition.to_bytes(4, "big"))
        (chosen / "tryboot").write_bytes(int(tryboot).to_bytes(4, "big"))
        return "A" if partition == SLOT_A_PARTITION else "B"

    @property
    def reboot_requested(self) -> bool:
        return (self.root / SIMULATED_REBOOT_REQUEST).exists()

    def disk_digest(self) -> str:
        """One hash over both slots and the boot partition: the whole "disk"."""
        digest = hashlib.sha256()
        paths = [self.slot_image("A"), self.slot_image("B")]
        paths += sorted(p for p in self.boot_dir.rglob("*") if p.is_file())
        for path in paths:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()


class SimulatedPc(SimulatedPi):
    """The x86-64 image's boot path: UEFI, GRUB and grubenv."""

    def boot_loader_description(self) -> dict:
        return {"boot_loader": GRUB, "cmdline": "cmdline"}

    def write_factory_boot_choice(self) -> None:
        # What image/build-image writes with grub-editenv.
        (self.boot_dir / "grub").mkdir(exist_ok=True)
        bootstate.write_grubenv(
            self.boot_dir, {"default_slot": "A", "trial_slot": "", "trial": "0"}
        )

    def power_on(self) -> str:
        """Boot as image/grub.cfg does; return the name of the slot booted."""
        (self.root / SIMULATED_REBOOT_REQUEST).unlink(missing_ok=True)
        env = bootstate.read_grubenv(self.boot_dir)
        slot = env.get("default_slot", "")
        if env.get("trial") == "1":
            env["trial"] = "0"
            bootstate.write_grubenv(self.boot_dir, env)
            slot = env.get("trial_slot", "")
        if slot != "B":
            slot = "A"
        (self.root / "cmdline").write_text(
            f"root=PARTLABEL=slot-{slot.lower()} ro {SLOT_ARGUMENT}={slot} quiet\n"
        )
        return slot
