"""A Raspberry Pi's boot path, simulated with plain files.

The machine is a directory: two slot images standing for partitions 2 and
3, a boot partition directory holding ``autoboot.txt``, the boot loader's
report to the OS (``chosen/partition`` and ``chosen/tryboot``, 32-bit
big-endian as in ``/proc/device-tree/chosen/bootloader``), and the
one-shot tryboot flag the real firmware keeps outside the disk.
``power_on`` does what the Pi's firmware does at boot; everything else is
the updater's real code working on these files through ``device.json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from agent.firmware import bootstate
from agent.firmware.device import SIMULATED_REBOOT_REQUEST, SIMULATED_TRYBOOT_FLAG

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
            "bootloader_dir": "chosen",
            "reboot": "simulated",
            "slots": {
                "A": {"partition": SLOT_A_PARTITION, "device": "slot-a.img"},
                "B": {"partition": SLOT_B_PARTITION, "device": "slot-b.img"},
            },
        }
        machine.description.write_text(json.dumps(description, indent=2))
        for name, content in (("A", factory_image), ("B", b"")):
            with machine.slot_image(name).open("wb") as f:
                f.write(content)
                f.truncate(slot_size)
        bootstate.write_autoboot(
            machine.boot_dir, bootstate.Autoboot(SLOT_A_PARTITION, SLOT_B_PARTITION)
        )
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

    def power_on(self) -> str:
        """Boot as the Pi firmware does; return the name of the slot booted."""
        autoboot = bootstate.read_autoboot(self.boot_dir)
        flag = self.root / SIMULATED_TRYBOOT_FLAG
        tryboot = flag.exists()
        flag.unlink(missing_ok=True)  # the flag lasts for one boot only
        (self.root / SIMULATED_REBOOT_REQUEST).unlink(missing_ok=True)
        partition = (
            autoboot.tryboot_partition if tryboot else autoboot.default_partition
        )
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
        paths += sorted(self.boot_dir.iterdir())
        for path in paths:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()
