"""What the boot partition holds: ``autoboot.txt`` and the slot records.

``autoboot.txt`` is the Raspberry Pi firmware's own file (Raspberry Pi
documentation, "autoboot.txt"): with ``tryboot_a_b=1`` the ``[all]``
section names the partition booted normally and ``[tryboot]`` the one
booted once after a reboot with the ``tryboot`` flag. The flag lives
outside the disk and is gone after that one boot, so an update that never
commits (rewrites ``[all]``) falls back to the old slot by itself.

``edgepbx-slots.json`` beside it records what each slot holds (release,
payload SHA-256, state), written before and after each slot write.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from agent.errors import PbxError

AUTOBOOT = "autoboot.txt"
SLOT_RECORDS = "edgepbx-slots.json"

# Slot states.
WRITING = "writing"  # a write began; the content is not to be trusted
INSTALLED = "installed"  # written and read back; not yet booted to the end
GOOD = "good"  # booted, passed the health check, committed
REJECTED = "rejected"  # its trial boot failed and was rolled back
FACTORY = "good"


class BootStateDamaged(PbxError):
    kind = "boot-state-damaged"


@dataclass(frozen=True)
class Autoboot:
    default_partition: int
    tryboot_partition: int

    @classmethod
    def parse(cls, text: str) -> Autoboot:
        sections: dict[str, dict[str, str]] = {}
        current = None
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1], {})
                continue
            key, sep, value = line.partition("=")
            if not sep or current is None:
                raise BootStateDamaged(f"{AUTOBOOT}: cannot read line {raw!r}")
            current[key.strip()] = value.strip()
        try:
            if sections["all"].get("tryboot_a_b") != "1":
                raise BootStateDamaged(f"{AUTOBOOT}: tryboot_a_b=1 is missing")
            return cls(
                int(sections["all"]["boot_partition"]),
                int(sections["tryboot"]["boot_partition"]),
            )
        except (KeyError, ValueError):
            raise BootStateDamaged(
                f"{AUTOBOOT}: needs boot_partition in [all] and [tryboot]"
            ) from None

    def __str__(self) -> str:
        return (
            "[all]\n"
            "tryboot_a_b=1\n"
            f"boot_partition={self.default_partition}\n"
            "[tryboot]\n"
            f"boot_partition={self.tryboot_partition}\n"
        )


def write_atomically(path: Path, data: bytes) -> None:
    """Replace path with data so a power cut leaves the old or the new file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_autoboot(boot_dir: Path) -> Autoboot:
    path = boot_dir / AUTOBOOT
    if not path.exists():
        raise BootStateDamaged(f"{path}: missing")
    return Autoboot.parse(path.read_text())


def write_autoboot(boot_dir: Path, autoboot: Autoboot) -> None:
    write_atomically(boot_dir / AUTOBOOT, str(autoboot).encode())


def read_records(boot_dir: Path) -> dict[str, dict]:
    path = boot_dir / SLOT_RECORDS
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def write_records(boot_dir: Path, records: dict[str, dict]) -> None:
    data = json.dumps(records, indent=2, sort_keys=True) + "\n"
    write_atomically(boot_dir / SLOT_RECORDS, data.encode())
