"""A simulated Raspberry Pi or PC and bundles for it, for the firmware tests.

Each test gets its own signing key (trusted through EDGEPBX_FIRMWARE_KEYS)
and its own machine (EDGEPBX_FIRMWARE_DEVICE), so nothing depends on the
development key of the checkout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.firmware import bundle, keys
from agent.firmware.manifest import Version
from agent.firmware.simulated import SimulatedPc, SimulatedPi
from tests.pbx import RunningPbx

ARCHITECTURE = "x86_64"
BOARD = "pc"
FACTORY_VERSION = "1.0.0"
SLOT_SIZE = 8 * 1024 * 1024
#: The machines the updater runs on, by the boot loader that picks the slot.
MACHINES = {"raspberrypi": SimulatedPi, "grub": SimulatedPc}


@dataclass
class Lab:
    root: Path
    machine: SimulatedPi
    key_path: Path
    other_key_path: Path
    architecture: str = ARCHITECTURE

    @property
    def env(self) -> dict[str, str]:
        return {
            "EDGEPBX_FIRMWARE_DEVICE": str(self.machine.description),
            "EDGEPBX_FIRMWARE_KEYS": str(self.root / "trusted"),
        }

    def payload(self, name: str, size: int = 1024 * 1024) -> Path:
        path = self.root / f"{name}.img"
        path.write_bytes(os.urandom(size))
        return path

    def bundle(
        self,
        version: str = "1.1.0",
        *,
        payload: Path | None = None,
        architecture: str | None = None,
        boards: tuple[str, ...] = (BOARD,),
        min_upgrade_from: str = "1.0.0",
        untrusted_key: bool = False,
    ) -> Path:
        payload = payload or self.payload(f"payload-{version}")
        architecture = architecture or self.architecture
        output = self.root / f"edgepbx-{version}-{architecture}.bundle"
        key = self.other_key_path if untrusted_key else self.key_path
        bundle.build(
            payload,
            {
                "version": Version.parse(version),
                "architecture": architecture,
                "boards": boards,
                "min_upgrade_from": Version.parse(min_upgrade_from),
            },
            keys.load_private_key(key),
            output,
        )
        return output


def make_lab(
    root: Path,
    slot_size: int = SLOT_SIZE,
    boot_loader: str = "raspberrypi",
    architecture: str = ARCHITECTURE,
) -> Lab:
    root.mkdir(parents=True, exist_ok=True)
    key_path = root / "signing.key"
    keys.create_key_pair(key_path, root / "trusted" / "release.pub")
    other = root / "stranger.key"
    keys.create_key_pair(other, root / "stranger.pub")
    machine = MACHINES[boot_loader].create(
        root / "machine",
        architecture=architecture,
        board=BOARD,
        version=FACTORY_VERSION,
        factory_image=os.urandom(512 * 1024),
        slot_size=slot_size,
    )
    return Lab(root, machine, key_path, other, architecture)


def running_on_lab(root: Path) -> Iterator[RunningPbx]:
    """A running appliance whose firmware commands act on a lab under root."""
    lab = make_lab(root / "lab")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in lab.env.items():
            patch.setenv(name, value)
        running = RunningPbx(root / "var").start()
        yield running
        running.stop()
