"""The manifest of a backup: which release made it, at which schemas, and
every file with its size and SHA-256.

It is the archive's first member, so a restore knows what to expect before
it reads a file, and checks every file against it. Canonical JSON makes
``parse`` and ``__bytes__`` a symmetric pair.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from agent.errors import InvalidInput

BACKUP_FORMAT = 1
_HEX_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str

    def to_dict(self) -> dict:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class BackupManifest:
    created_at: str
    #: The release of the software that made the backup.
    software_version: str
    #: Schema version of each database, by file name.
    schemas: dict[str, int]
    files: tuple[FileEntry, ...]

    @classmethod
    def parse(cls, data: bytes) -> BackupManifest:
        try:
            values = json.loads(data.decode("utf-8"))
            if values["format"] != BACKUP_FORMAT:
                raise InvalidInput(
                    "format", values["format"], f"backup format {BACKUP_FORMAT}"
                )
            files = tuple(
                FileEntry(str(f["path"]), int(f["size"]), str(f["sha256"]))
                for f in values["files"]
            )
            schemas = {str(k): int(v) for k, v in values["schemas"].items()}
            manifest = cls(
                str(values["created_at"]),
                str(values["software_version"]),
                schemas,
                files,
            )
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
            raise InvalidInput("manifest", None, "not a backup manifest") from None
        if any(not _HEX_RE.fullmatch(f.sha256) or f.size < 0 for f in files):
            raise InvalidInput("manifest", None, "a file without size or SHA-256")
        return manifest

    def to_dict(self) -> dict:
        return {
            "format": BACKUP_FORMAT,
            "created_at": self.created_at,
            "software_version": self.software_version,
            "schemas": dict(sorted(self.schemas.items())),
            "files": [f.to_dict() for f in self.files],
        }

    def __bytes__(self) -> bytes:
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return text.encode("utf-8")
