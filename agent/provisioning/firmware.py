"""Phone firmware: files uploaded per vendor and model, and the version each
model should run.

An upload is streamed to disk in steps, hashed on the way, and refused past
``FIRMWARE_MAX_BYTES`` (the partial file is removed); it becomes visible
only when whole, by an atomic rename. Files keep the name the vendor gave
them, because some phones ask for a fixed name (a Grandstream GXP2170 asks
its firmware server for ``gxp2170fw.bin``); they are served at the root of
the provisioning tree, over HTTP under ``/prov/`` and over TFTP.

When a model has a target version, its phones' files carry the URL of that
file (``http://<appliance>:<http port>/prov/<file>``) in the vendor's own
setting, and the phones upgrade themselves when they see a version other
than their own.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import PhoneFirmware, PhoneFirmwareTarget, utcnow
from agent.errors import AlreadyExists, InvalidInput, NotFound
from agent.provisioning import rules
from agent.provisioning.held_models import held_models
from agent.provisioning.vendors import vendor as vendor_named
from agent.settings import Settings

# The largest desk phone firmware seen is a Poly UC Software image of about
# 150 MB; a file twice that is not firmware for a desk phone.
FIRMWARE_MAX_BYTES = 320 * 1024 * 1024
STEP_BYTES = 64 * 1024
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")
# The name a phone asks for: one path segment, like T54W-96.86.0.100.rom.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class FirmwareInfo:
    vendor: str
    model: str
    version: str
    file_name: str
    size: int
    sha256: str
    uploaded_at: str
    target: bool

    def to_dict(self) -> dict:
        return asdict(self)


def firmware_dir(settings: Settings) -> Path:
    return settings.data_dir / "phone-firmware"


def version_rule(value: str) -> str:
    raw = (value or "").strip()
    if not _VERSION.fullmatch(raw):
        raise InvalidInput("version", raw, "letters, digits, '.', '-', '_', at most 32")
    return raw


def file_name_rule(value: str) -> str:
    raw = (value or "").strip()
    if not _FILE_NAME.fullmatch(raw) or ".." in raw:
        raise InvalidInput(
            "file_name", value, "one file name of letters, digits, '.', '-', '_'"
        )
    return raw


class PhoneFirmwareService:
    def __init__(self, settings: Settings, actor: Principal) -> None:
        self.settings = settings
        self.actor = actor

    # -- reading ---------------------------------------------------------------

    def list(self) -> list[FirmwareInfo]:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        query = PhoneFirmware.select().order_by(
            PhoneFirmware.vendor, PhoneFirmware.model, PhoneFirmware.version
        )
        return [_info(row) for row in query]

    # -- changes ---------------------------------------------------------------

    def upload(
        self,
        vendor: str,
        model: str,
        version: str,
        file_name: str,
        stream: BinaryIO,
        length: int | None = None,
    ) -> FirmwareInfo:
        """Store a firmware file read from stream, whole or not at all.

        ``length``, when the sender announced one, is checked before any
        byte is read.
        """
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        maker = vendor_named(vendor)
        model = maker.check_model(rules.model(model), held_models(maker.name))
        version = version_rule(version)
        file_name = file_name_rule(file_name)
        if length is not None and length > FIRMWARE_MAX_BYTES:
            raise InvalidInput("file", length, f"at most {FIRMWARE_MAX_BYTES} bytes")
        self._check_free(maker.name, model, version, file_name)

        directory = firmware_dir(self.settings)
        directory.mkdir(parents=True, exist_ok=True)
        final = directory / file_name
        size, digest = self._write(stream, directory / f".{file_name}.upload")
        with database.atomic():
            self._check_free(maker.name, model, version, file_name)
            os.replace(directory / f".{file_name}.upload", final)
            row = PhoneFirmware.create(
                vendor=maker.name,
                model=model,
                version=version,
                file_name=file_name,
                size=size,
                sha256=digest,
                uploaded_at=utcnow(),
            )
            info = _info(row)
            audit.record(
                self.actor, "create", "phone-firmware", file_name, None, info.to_dict()
            )
        return info

    def set_target(self, vendor: str, model: str, version: str | None) -> None:
        """The version a model should run; None: leave phones as they are."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        maker = vendor_named(vendor)
        model = maker.check_model(rules.model(model), held_models(maker.name))
        with database.atomic():
            before = _target(maker.name, model)
            PhoneFirmwareTarget.delete().where(
                PhoneFirmwareTarget.vendor == maker.name,
                PhoneFirmwareTarget.model == model,
            ).execute()
            if version is not None:
                version = version_rule(version)
                if _row(maker.name, model, version) is None:
                    raise NotFound(
                        f"firmware {maker.name} {model} {version}: not uploaded",
                        field="version",
                    )
                PhoneFirmwareTarget.create(
                    vendor=maker.name, model=model, version=version
                )
            audit.record(
                self.actor,
                "update",
                "phone-firmware-target",
                f"{maker.name}/{model}",
                {"version": before},
                {"version": version},
            )

    def remove(self, vendor: str, model: str, version: str) -> None:
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        maker = vendor_named(vendor)
        model = maker.check_model(rules.model(model), held_models(maker.name))
        with database.atomic():
            row = _row(maker.name, model, version_rule(version))
            if row is None:
                raise NotFound(
                    f"firmware {maker.name} {model} {version}: not uploaded",
                    field="version",
                )
            if _target(maker.name, model) == row.version:
                raise InvalidInput(
                    "version", version, "the model's target: set another first"
                )
            row.delete_instance()
            audit.record(
                self.actor,
                "delete",
                "phone-firmware",
                row.file_name,
                _info(row).to_dict(),
            )
        (firmware_dir(self.settings) / row.file_name).unlink(missing_ok=True)

    # -- steps -----------------------------------------------------------------

    def _check_free(self, vendor: str, model: str, version: str, name: str) -> None:
        if _row(vendor, model, version) is not None:
            raise AlreadyExists(
                f"firmware {vendor} {model} {version}: already uploaded",
                field="version",
            )
        if PhoneFirmware.select().where(PhoneFirmware.file_name == name).exists():
            raise AlreadyExists(
                f'file "{name}": already uploaded for another model or version',
                field="file_name",
            )

    def _write(self, stream: BinaryIO, partial: Path) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        try:
            with open(partial, "wb") as out:
                for part in _steps(stream):
                    size += len(part)
                    if size > FIRMWARE_MAX_BYTES:
                        raise InvalidInput(
                            "file", None, f"at most {FIRMWARE_MAX_BYTES} bytes"
                        )
                    digest.update(part)
                    out.write(part)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if size == 0:
            partial.unlink(missing_ok=True)
            raise InvalidInput("file", None, "an empty file is no firmware")
        return size, digest.hexdigest()


def _steps(stream: BinaryIO) -> Iterator[bytes]:
    while True:
        part = stream.read(STEP_BYTES)
        if not part:
            return
        yield part


def firmware_url(vendor: str, model: str, http_base: str) -> str | None:
    """Where a phone of this model fetches its target firmware, if any."""
    version = _target(vendor, model)
    if version is None:
        return None
    row = _row(vendor, model, version)
    return f"{http_base}{row.file_name}" if row else None


def stored_file(settings: Settings, name: str) -> tuple[Path, PhoneFirmware] | None:
    """A firmware file of the tree, by the name a phone asks for."""
    row = PhoneFirmware.get_or_none(PhoneFirmware.file_name == name)
    if row is None:
        return None
    path = firmware_dir(settings) / row.file_name
    with contextlib.suppress(OSError):
        if path.stat().st_size == row.size:
            return path, row
    return None


def _row(vendor: str, model: str, version: str) -> PhoneFirmware | None:
    return PhoneFirmware.get_or_none(
        PhoneFirmware.vendor == vendor,
        PhoneFirmware.model == model,
        PhoneFirmware.version == version,
    )


def _target(vendor: str, model: str) -> str | None:
    row = PhoneFirmwareTarget.get_or_none(
        PhoneFirmwareTarget.vendor == vendor, PhoneFirmwareTarget.model == model
    )
    return row.version if row else None


def _info(row: PhoneFirmware) -> FirmwareInfo:
    return FirmwareInfo(
        row.vendor,
        row.model,
        row.version,
        row.file_name,
        row.size,
        row.sha256,
        f"{row.uploaded_at}Z",
        _target(row.vendor, row.model) == row.version,
    )
