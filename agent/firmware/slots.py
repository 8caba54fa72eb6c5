"""The A/B updater: verify a bundle, write it to the slot not running, try
it once, and commit it or fall back.

An update goes through these steps, each safe to be cut off by a power
failure or a kill:

1. Verify the whole bundle (signature, board, version, payload hash)
   without writing anything. A bad bundle leaves the disk as it was.
2. Copy the databases aside (agent/firmware/snapshot.py), for the way
   back if the new release migrates them and then fails its trial. Record
   the inactive slot as ``writing``.
3. Write the payload to it, hashing again while writing (the file may have
   changed since step 1), and flush it to the medium.
4. Drop the cached pages and read the slot back; its hash must match.
5. Record the slot as ``installed``, make it the boot loader's trial slot
   (autoboot.txt's ``[tryboot]`` on a Pi, grubenv's ``trial_slot`` on a
   PC) and reboot with the one-shot trial flag.
6. After that boot, ``confirm`` runs the health check and commits (makes
   the new slot the default) or reboots without the flag, which returns to
   the old slot. A trial that never commits returns there by itself.

The verdict on a trial is given once: a commit and a rejection take the
same lock on the boot partition, a commit that comes after the rejection
began is refused, and a rejection that comes after a commit (by hand,
while the health check still waited) leaves the commit standing.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.errors import PbxError
from agent.events import catalogue, raise_event
from agent.firmware import bootstate, bundle, snapshot
from agent.firmware.bundle import BundleRefused, SignatureRejected
from agent.firmware.device import Device, Slot
from agent.firmware.manifest import Manifest, Version
from agent.security import events
from agent.settings import Settings

log = logging.getLogger("edgepbx.firmware")

# Between two looks at the health of a trial boot.
HEALTH_POLL_S = 1.0
FIRMWARE_SIGNATURE_REJECTED = "firmware-signature-rejected"
# Beside the slot records: held while a trial is committed or rejected.
VERDICT_LOCK = "edgepbx-slots.lock"


class NothingToDo(PbxError):
    kind = "nothing-to-do"


class HealthCheckFailed(PbxError):
    kind = "health-check-failed"


@dataclass(frozen=True)
class SlotStatus:
    name: str
    partition: int
    version: str | None
    state: str | None
    booted: bool


@dataclass(frozen=True)
class FirmwareStatus:
    booted_slot: str
    version: str | None
    #: Booted once through tryboot and not committed yet.
    trial: bool
    default_slot: str
    tryboot_slot: str
    slots: list[SlotStatus]

    def to_dict(self) -> dict:
        return asdict(self)


def _sha256_of_device(path: Path, size: int) -> str:
    """Hash the first size bytes of a slot as stored, not as cached."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY)
    try:
        # Pages just written are still cached; drop them so the read-back
        # comes from the medium, as far as the kernel allows.
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        remaining = size
        while remaining:
            chunk = os.read(fd, min(bundle.CHUNK_SIZE, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()


def _device_size(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.lseek(fd, 0, os.SEEK_END)
    finally:
        os.close(fd)


class FirmwareService:
    """Firmware updates as one principal may run them."""

    def __init__(
        self,
        device: Device,
        actor: Principal,
        keys: list[Ed25519PublicKey],
        settings: Settings | None = None,
    ) -> None:
        self.device = device
        self.actor = actor
        self.keys = keys
        #: Where the databases are, to copy them before an update.
        self.settings = settings

    # -- where we are ------------------------------------------------------------

    def booted_slot(self) -> Slot:
        return self.device.slot_by_partition(self.device.booted_partition())

    def running_version(self) -> Version:
        record = bootstate.read_records(self.device.boot_dir).get(
            self.booted_slot().name
        )
        if not record or not record.get("version"):
            raise NothingToDo(
                f"slot {self.booted_slot().name} has no recorded release; "
                "cannot tell an upgrade from a downgrade"
            )
        return Version.parse(record["version"])

    def in_trial(self) -> bool:
        choice = self.device.boot_choice()
        booted = self.device.booted_partition()
        return self.device.booted_for_trial() and booted != choice.default_partition

    def status(self) -> FirmwareStatus:
        self.actor.require(Permission.VIEW_FIRMWARE)
        choice = self.device.boot_choice()
        records = bootstate.read_records(self.device.boot_dir)
        booted = self.booted_slot()
        slots = [
            SlotStatus(
                name=slot.name,
                partition=slot.partition,
                version=records.get(slot.name, {}).get("version"),
                state=records.get(slot.name, {}).get("state"),
                booted=slot == booted,
            )
            for slot in self.device.slots
        ]
        return FirmwareStatus(
            booted_slot=booted.name,
            version=records.get(booted.name, {}).get("version"),
            trial=self.in_trial(),
            default_slot=self.device.slot_by_partition(choice.default_partition).name,
            tryboot_slot=self.device.slot_by_partition(choice.trial_partition).name,
            slots=slots,
        )

    # -- step 1: verify ------------------------------------------------------------

    def check_manifest(self, stream: BinaryIO, force: bool = False) -> Manifest:
        """Read and check everything before the payload; refuse what won't fit."""
        signed = bundle.read_signed_manifest(stream)
        try:
            manifest = bundle.check_signature(signed, self.keys)
        except SignatureRejected as exc:
            events.report(
                events.SecurityEvent(
                    FIRMWARE_SIGNATURE_REJECTED, "local", self.actor.name, str(exc)
                )
            )
            raise
        self._check_fits(manifest, force)
        return manifest

    def _check_fits(self, manifest: Manifest, force: bool) -> None:
        device = self.device
        if manifest.architecture != device.architecture:
            raise BundleRefused(
                f"wrong architecture: the bundle is for {manifest.architecture}, "
                f"this device is {device.architecture}"
            )
        if device.board not in manifest.boards:
            raise BundleRefused(
                f"wrong board: the bundle is for {', '.join(manifest.boards)}, "
                f"this device is {device.board}"
            )
        running = self.running_version()
        if running < manifest.min_upgrade_from:
            raise BundleRefused(
                f"release {manifest.version} upgrades only from "
                f"{manifest.min_upgrade_from} or later; this device runs {running}"
            )
        if manifest.version <= running and not force:
            word = "same release" if manifest.version == running else "downgrade"
            raise BundleRefused(
                f"{word}: the bundle is {manifest.version}, this device runs "
                f"{running} (--force installs it anyway)"
            )
        capacity = _device_size(device.other(self.booted_slot()).device)
        if manifest.payload_size > capacity:
            raise BundleRefused(
                f"payload of {manifest.payload_size} bytes does not fit the "
                f"{capacity}-byte slot"
            )

    def verify(self, path: Path, force: bool = False) -> Manifest:
        """Check the whole bundle at path; write nothing."""
        self.actor.require(Permission.VIEW_FIRMWARE)
        with _open_bundle(path) as stream:
            manifest = self.check_manifest(stream, force)
            for _chunk in bundle.payload_chunks(stream, manifest):
                pass
        return manifest

    # -- steps 2 to 5: write and try ---------------------------------------------------

    def apply(self, path: Path, force: bool = False) -> Manifest:
        """Install the bundle into the inactive slot and reboot into it once."""
        self.actor.require(Permission.MANAGE_FIRMWARE)
        if self.in_trial():
            raise NothingToDo(
                f"slot {self.booted_slot().name} is on trial: commit or roll back "
                "before installing another release"
            )
        manifest = self.verify(path, force)
        target = self.device.other(self.booted_slot())
        log.info(
            "firmware %s: verified, writing slot %s", manifest.version, target.name
        )
        if self.settings is not None:
            snapshot.take(self.settings, str(manifest.version))

        records = bootstate.read_records(self.device.boot_dir)
        records[target.name] = {"version": str(manifest.version), "state": "writing"}
        bootstate.write_records(self.device.boot_dir, records)

        self._write_slot(path, manifest, target)
        readback = _sha256_of_device(target.device, manifest.payload_size)
        if readback != manifest.payload_sha256:
            raise BundleRefused(
                f"slot {target.name} reads back differently from what was "
                "written: the medium may be failing"
            )

        records[target.name] = {
            "version": str(manifest.version),
            "sha256": manifest.payload_sha256,
            "size": manifest.payload_size,
            "state": bootstate.INSTALLED,
        }
        bootstate.write_records(self.device.boot_dir, records)
        choice = self.device.boot_choice()
        self.device.set_boot_choice(
            bootstate.BootChoice(choice.default_partition, target.partition)
        )
        audit.record(
            self.actor,
            "install",
            "firmware",
            str(manifest.version),
            None,
            {"slot": target.name, "sha256": manifest.payload_sha256},
        )
        log.info(
            "firmware %s: slot %s written and read back; trying it once",
            manifest.version,
            target.name,
        )
        self.device.reboot(tryboot=True)
        return manifest

    def _write_slot(self, path: Path, manifest: Manifest, target: Slot) -> None:
        # No O_TRUNC: a slot is a partition of fixed size, not a file.
        fd = os.open(target.device, os.O_WRONLY)
        try:
            with _open_bundle(path) as stream:
                signed = bundle.read_signed_manifest(stream)
                if signed.manifest_bytes != bytes(manifest):
                    raise BundleRefused("altered: the bundle changed while installing")
                for chunk in bundle.payload_chunks(stream, manifest):
                    view = memoryview(chunk)
                    while view:
                        written = os.write(fd, view)
                        view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- step 6: commit or roll back -------------------------------------------------

    @contextmanager
    def _verdict(self) -> Iterator[None]:
        """Hold the lock under which a trial is committed or rejected."""
        with (self.device.boot_dir / VERDICT_LOCK).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def commit(self) -> FirmwareStatus:
        """Make the slot on trial the one booted from now on."""
        self.actor.require(Permission.MANAGE_FIRMWARE)
        booted = self.booted_slot()
        with self._verdict():
            if not self.in_trial():
                raise NothingToDo(
                    f"nothing to commit: slot {booted.name} is already the default"
                )
            other = self.device.other(booted)
            records = bootstate.read_records(self.device.boot_dir)
            if records.get(booted.name, {}).get("state") == bootstate.REJECTED:
                raise NothingToDo(
                    f"too late to commit: the trial of slot {booted.name} was "
                    f"rejected, the device is going back to slot {other.name}"
                )
            records.setdefault(booted.name, {})["state"] = bootstate.GOOD
            bootstate.write_records(self.device.boot_dir, records)
            self.device.set_boot_choice(
                bootstate.BootChoice(booted.partition, other.partition)
            )
        version = records[booted.name].get("version", "?")
        audit.record(
            self.actor, "commit", "firmware", version, None, {"slot": booted.name}
        )
        log.info(
            "firmware %s: committed, slot %s boots from now on", version, booted.name
        )
        raise_event(
            catalogue.FIRMWARE_UPGRADED,
            f"firmware {version} committed in slot {booted.name}",
            object=str(version),
            details={"slot": booted.name},
        )
        return self.status()

    def rollback(self) -> str:
        """Leave the release on trial, or go back to the other good release.

        Returns the name of the slot the device reboots into.
        """
        self.actor.require(Permission.MANAGE_FIRMWARE)
        booted = self.booted_slot()
        other = self.device.other(booted)
        if self._reject_trial():
            return other.name
        records = bootstate.read_records(self.device.boot_dir)
        if records.get(other.name, {}).get("state") != bootstate.GOOD:
            raise NothingToDo(
                f"no release to roll back to: slot {other.name} holds no "
                "committed release"
            )
        # Going back is itself tried once and committed by the health check.
        self.device.set_boot_choice(
            bootstate.BootChoice(booted.partition, other.partition)
        )
        audit.record(self.actor, "roll back", "firmware", other.name)
        raise_event(
            catalogue.FIRMWARE_ROLLED_BACK,
            f"firmware rolled back to slot {other.name}",
            object=other.name,
            details={"from_slot": booted.name},
        )
        self.device.reboot(tryboot=True)
        return other.name

    def _reject_trial(self) -> bool:
        """Reject the release on trial and reboot into the other slot.

        False, and nothing done, when no trial is running (any more): a
        commit that came first stands.
        """
        booted = self.booted_slot()
        other = self.device.other(booted)
        with self._verdict():
            if not self.in_trial():
                return False
            records = bootstate.read_records(self.device.boot_dir)
            records.setdefault(booted.name, {})["state"] = bootstate.REJECTED
            bootstate.write_records(self.device.boot_dir, records)
        audit.record(self.actor, "reject", "firmware", booted.name)
        log.warning("firmware: slot %s rejected, back to %s", booted.name, other.name)
        raise_event(
            catalogue.FIRMWARE_ROLLED_BACK,
            f"firmware in slot {booted.name} rejected; back to slot {other.name}",
            object=booted.name,
            details={"to_slot": other.name},
        )
        self.device.reboot(tryboot=False)
        return True

    def confirm(
        self, problems: Callable[[], list[str]], timeout_s: float | None = None
    ) -> FirmwareStatus:
        """After a trial boot: commit once healthy, else roll back.

        problems() returns what is wrong (empty when healthy); it is asked
        again until timeout_s (the board's trial_s unless given) has passed.
        A healthy answer that comes in after that still commits, as long as
        the rejection has not begun.
        """
        self.actor.require(Permission.MANAGE_FIRMWARE)
        if not self.in_trial():
            return self.status()
        if timeout_s is None:
            timeout_s = self.device.trial_s
        slot = self.booted_slot().name
        log.info("firmware: slot %s on trial, healthy within %.0f s?", slot, timeout_s)
        started = time.monotonic()
        deadline = started + timeout_s
        shown: list[str] = []
        while True:
            if not self.in_trial():
                # Committed by hand meanwhile.
                return self.status()
            found = problems()
            if not found:
                log.info(
                    "firmware: slot %s healthy after %.0f s",
                    slot,
                    time.monotonic() - started,
                )
                return self.commit()
            if found != shown:
                # One line each time the picture changes, for the console.
                log.info(
                    "firmware: slot %s not healthy yet: %s", slot, "; ".join(found)
                )
                shown = found
            if time.monotonic() >= deadline:
                break
            time.sleep(HEALTH_POLL_S)
        log.warning(
            "firmware: health check of slot %s failed after %.0f s: %s",
            slot,
            time.monotonic() - started,
            "; ".join(found),
        )
        if not self._reject_trial():
            return self.status()
        back_to = self.device.other(self.booted_slot()).name
        raise HealthCheckFailed(
            f"health check failed ({'; '.join(found)}); rebooting into slot {back_to}"
        )


def _open_bundle(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise BundleRefused(f"{path}: {exc.strerror}") from None
