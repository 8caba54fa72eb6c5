"""The manifest of a firmware bundle: what the release is and what it fits.

It is the only part of a bundle that is signed: it holds the payload's size
and SHA-256, so a valid signature over it vouches for every payload byte.
Serialised as canonical JSON (sorted keys, no spaces), so the bytes that are
signed are a pure function of the values and ``parse`` / ``__bytes__`` are
a symmetric pair.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import total_ordering

from agent.errors import InvalidInput

MANIFEST_FORMAT = 1
SHA256_HEX_LENGTH = 64
_VERSION_RE = re.compile(
    r"(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})"
)
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_HEX_RE = re.compile(r"[0-9a-f]{64}")
# What "uname -m" says on the boards edgepbx runs on.
ARCHITECTURES = frozenset({"aarch64", "x86_64"})
FIELDS = frozenset(
    {
        "format",
        "version",
        "architecture",
        "boards",
        "min_upgrade_from",
        "payload_size",
        "payload_sha256",
    }
)


@total_ordering
@dataclass(frozen=True)
class Version:
    """A release number, MAJOR.MINOR.PATCH, compared number by number."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str, field: str = "version") -> Version:
        match = _VERSION_RE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidInput(field, text, "MAJOR.MINOR.PATCH, numbers only")
        return cls(*(int(part) for part in match.groups()))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __lt__(self, other: Version) -> bool:
        return (self.major, self.minor, self.patch) < (
            other.major,
            other.minor,
            other.patch,
        )


@dataclass(frozen=True)
class Manifest:
    version: Version
    architecture: str
    #: Board names this image boots on (e.g. "rpi4", "rpi5", "pc").
    boards: tuple[str, ...]
    #: The oldest running release that may install this one (schema steps,
    #: boot loader changes): older ones must take an intermediate release.
    min_upgrade_from: Version
    payload_size: int
    payload_sha256: str

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            names = ", ".join(sorted(ARCHITECTURES))
            raise InvalidInput("architecture", self.architecture, f"one of {names}")
        if not self.boards or not all(
            isinstance(b, str) and _NAME_RE.fullmatch(b) for b in self.boards
        ):
            raise InvalidInput(
                "boards", ",".join(map(str, self.boards)), "one or more board names"
            )
        if self.min_upgrade_from > self.version:
            raise InvalidInput(
                "min_upgrade_from", self.min_upgrade_from, "not above the version"
            )
        if not isinstance(self.payload_size, int) or self.payload_size <= 0:
            raise InvalidInput("payload_size", self.payload_size, "a positive integer")
        if not isinstance(self.payload_sha256, str) or not _HEX_RE.fullmatch(
            self.payload_sha256
        ):
            raise InvalidInput(
                "payload_sha256", None, "64 lower-case hexadecimal digits"
            )

    @classmethod
    def parse(cls, data: bytes) -> Manifest:
        try:
            values = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InvalidInput("manifest", None, "not UTF-8 JSON") from None
        if not isinstance(values, dict) or set(values) != FIELDS:
            raise InvalidInput(
                "manifest", None, "exactly the fields " + ", ".join(sorted(FIELDS))
            )
        if values["format"] != MANIFEST_FORMAT:
            raise InvalidInput(
                "format", values["format"], f"manifest format {MANIFEST_FORMAT}"
            )
        if not isinstance(values["boards"], list):
            raise InvalidInput("boards", None, "a list of board names")
        return cls(
            version=Version.parse(values["version"]),
            architecture=values["architecture"],
            boards=tuple(values["boards"]),
            min_upgrade_from=Version.parse(
                values["min_upgrade_from"], "min_upgrade_from"
            ),
            payload_size=values["payload_size"],
            payload_sha256=values["payload_sha256"],
        )

    def to_dict(self) -> dict:
        return {
            "format": MANIFEST_FORMAT,
            "version": str(self.version),
            "architecture": self.architecture,
            "boards": list(self.boards),
            "min_upgrade_from": str(self.min_upgrade_from),
            "payload_size": self.payload_size,
            "payload_sha256": self.payload_sha256,
        }

    def __bytes__(self) -> bytes:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return canonical.encode("utf-8")
