"""What the boot partition holds: the boot loader's choice and the slot records.

Each boot loader keeps the same two facts, the partition booted normally
and the one a trial boot tries once (``BootChoice``), in its own file:

- ``autoboot.txt`` is the Raspberry Pi firmware's (Raspberry Pi
  documentation, "autoboot.txt"): with ``tryboot_a_b=1`` the ``[all]``
  section names the partition booted normally and ``[tryboot]`` the one
  booted once after a reboot with the ``tryboot`` flag. The flag lives
  outside the disk and is gone after that one boot.
- ``grub/grubenv`` is GRUB's environment block on the x86-64 image: a
  1024-byte file of ``name=value`` lines after a fixed first line, padded
  with ``#`` (GRUB manual, "Environment block"). ``default_slot`` and
  ``trial_slot`` name slots; ``trial=1`` is the one-shot flag, which the
  image's grub.cfg clears before it boots the trial slot.

Either way an update that never commits (rewrites the default) falls back
to the old slot by itself.

``edgepbx-slots.json`` beside it records what each slot holds (release,
payload SHA-256, state), written before and after each slot write.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from agent.errors import PbxError

AUTOBOOT = "autoboot.txt"
GRUBENV = "grub/grubenv"
GRUBENV_SIZE = 1024
GRUBENV_HEADER = b"# GRUB Environment Block\n"
# What this updater writes into grubenv: slot names and flags. GRUB would
# escape anything else; refusing it keeps the reader here simple.
_GRUBENV_WORD = re.compile(r"[A-Za-z0-9_]*")
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
class BootChoice:
    """The partition booted normally and the one a trial boot tries once."""

    default_partition: int
    trial_partition: int


def parse_autoboot(text: str) -> BootChoice:
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
        return BootChoice(
            int(sections["all"]["boot_partition"]),
            int(sections["tryboot"]["boot_partition"]),
        )
    except (KeyError, ValueError):
        raise BootStateDamaged(
            f"{AUTOBOOT}: needs boot_partition in [all] and [tryboot]"
        ) from None


def autoboot_text(choice: BootChoice) -> str:
    return (
        "[all]\n"
        "tryboot_a_b=1\n"
        f"boot_partition={choice.default_partition}\n"
        "[tryboot]\n"
        f"boot_partition={choice.trial_partition}\n"
    )


def parse_grubenv(data: bytes) -> dict[str, str]:
    if len(data) != GRUBENV_SIZE or not data.startswith(GRUBENV_HEADER):
        raise BootStateDamaged(
            f"{GRUBENV}: not a GRUB environment block of {GRUBENV_SIZE} bytes"
        )
    values: dict[str, str] = {}
    for raw in data[len(GRUBENV_HEADER) :].split(b"\n"):
        if not raw or raw.startswith(b"#"):  # the padding, or a comment
            continue
        name, sep, value = raw.decode("utf-8", "replace").partition("=")
        if not sep:
            raise BootStateDamaged(f"{GRUBENV}: cannot read line {raw!r}")
        values[name] = value
    return values


def grubenv_bytes(values: dict[str, str]) -> bytes:
    lines = []
    for name, value in values.items():
        if not name or not _GRUBENV_WORD.fullmatch(name + value):
            raise ValueError(f"{GRUBENV}: cannot write {name}={value!r}")
        lines.append(f"{name}={value}\n".encode())
    data = GRUBENV_HEADER + b"".join(lines)
    if len(data) > GRUBENV_SIZE:
        raise ValueError(f"{GRUBENV}: more than {GRUBENV_SIZE} bytes")
    return data + b"#" * (GRUBENV_SIZE - len(data))


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


def read_autoboot(boot_dir: Path) -> BootChoice:
    path = boot_dir / AUTOBOOT
    if not path.exists():
        raise BootStateDamaged(f"{path}: missing")
    return parse_autoboot(path.read_text())


def write_autoboot(boot_dir: Path, choice: BootChoice) -> None:
    write_atomically(boot_dir / AUTOBOOT, autoboot_text(choice).encode())


def read_grubenv(boot_dir: Path) -> dict[str, str]:
    path = boot_dir / GRUBENV
    if not path.exists():
        raise BootStateDamaged(f"{path}: missing")
    return parse_grubenv(path.read_bytes())


def write_grubenv(boot_dir: Path, values: dict[str, str]) -> None:
    # Whole-block replacement: GRUB's save_env rewrites the block in place at
    # boot, which needs the file to stay exactly GRUBENV_SIZE bytes.
    write_atomically(boot_dir / GRUBENV, grubenv_bytes(values))


def read_records(boot_dir: Path) -> dict[str, dict]:
    path = boot_dir / SLOT_RECORDS
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def write_records(boot_dir: Path, records: dict[str, dict]) -> None:
    data = json.dumps(records, indent=2, sort_keys=True) + "\n"
    write_atomically(boot_dir / SLOT_RECORDS, data.encode())
