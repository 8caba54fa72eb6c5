"""The firmware bundle: one file per release, checked before it is written.

Layout (all integers big-endian)::

    offset  size  field
    0       8     magic  89 45 50 42 0D 0A 1A 0A  ("\\x89EPB\\r\\n\\x1a\\n")
    8       2     container format (1)
    10      2     reserved, 0
    12      4     manifest length M (1 to 64 KiB)
    16      4     signature length (64: Ed25519)
    20      8     payload length P
    28      4     reserved, 0
    32      M     manifest, canonical JSON (agent/firmware/manifest.py)
    32+M    64    Ed25519 signature over bytes 0 .. 32+M (header and manifest)
    96+M    P     payload: the slot image, nothing after it

Why this shape: the signature comes before the payload, so an updater
reading from a pipe or a socket knows the release is authentic and fits
this board before it reads a single payload byte, and then checks the
payload in the same pass that writes it, against the signed SHA-256.
Ed25519 in ``cryptography`` signs a message held in memory, so what is
signed is the small manifest, which commits to the payload by its hash.
The header is signed too, so no length can be changed without detection.
A fixed binary header bounds every length before anything is parsed; tar
or cpio would add parsers with path and ordering ambiguities for what is
one manifest and one image. The magic is PNG's trick: the high bit and
CR LF catch 7-bit and text-mode transfers that would mangle the image.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from agent.errors import InvalidInput, PbxError
from agent.firmware.manifest import Manifest

MAGIC = b"\x89EPB\r\n\x1a\n"
CONTAINER_FORMAT = 1
HEADER = struct.Struct(">8sHHIIQI")
SIGNATURE_LENGTH = 64  # RFC 8032 section 5.1.6: an Ed25519 signature
# A manifest is a few hundred bytes; the cap stops a hostile header from
# making the verifier allocate gigabytes before the signature is checked.
MANIFEST_MAX = 64 * 1024
CHUNK_SIZE = 1024 * 1024  # one read and one write per MiB while streaming


class BundleRefused(PbxError):
    """The bundle is not one this device may install; says why."""

    kind = "bundle-refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="bundle")


class SignatureRejected(BundleRefused):
    """No trusted key signed this bundle: worth a security event."""


@dataclass(frozen=True)
class BundleHeader:
    manifest_length: int
    payload_length: int
    signature_length: int = SIGNATURE_LENGTH
    container_format: int = CONTAINER_FORMAT

    @classmethod
    def parse(cls, data: bytes) -> BundleHeader:
        if len(data) < HEADER.size:
            raise BundleRefused("truncated: shorter than the bundle header")
        magic, fmt, reserved, m_len, s_len, p_len, reserved2 = HEADER.unpack(
            data[: HEADER.size]
        )
        if magic != MAGIC:
            raise BundleRefused("not an edgepbx firmware bundle (wrong magic)")
        if fmt != CONTAINER_FORMAT or reserved or reserved2:
            raise BundleRefused(f"container format {fmt}: this firmware reads 1")
        if not 1 <= m_len <= MANIFEST_MAX:
            raise BundleRefused(f"manifest length {m_len}: 1 to {MANIFEST_MAX}")
        if s_len != SIGNATURE_LENGTH:
            raise BundleRefused(f"signature length {s_len}: must be 64 (Ed25519)")
        return cls(m_len, p_len, s_len, fmt)

    def __bytes__(self) -> bytes:
        return HEADER.pack(
            MAGIC,
            self.container_format,
            0,
            self.manifest_length,
            self.signature_length,
            self.payload_length,
            0,
        )


@dataclass(frozen=True)
class SignedManifest:
    """Everything before the payload, as read from a bundle."""

    header: BundleHeader
    manifest_bytes: bytes
    signature: bytes

    @property
    def signed_bytes(self) -> bytes:
        return bytes(self.header) + self.manifest_bytes

    @property
    def payload_offset(self) -> int:
        return HEADER.size + self.header.manifest_length + SIGNATURE_LENGTH


def _read_exactly(stream: BinaryIO, size: int, what: str) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise BundleRefused(f"truncated: the {what} ends early")
        data += chunk
    return bytes(data)


def read_signed_manifest(stream: BinaryIO) -> SignedManifest:
    """Read header, manifest and signature; the stream is left at the payload."""
    header = BundleHeader.parse(_read_exactly(stream, HEADER.size, "header"))
    manifest_bytes = _read_exactly(stream, header.manifest_length, "manifest")
    signature = _read_exactly(stream, SIGNATURE_LENGTH, "signature")
    return SignedManifest(header, manifest_bytes, signature)


def check_signature(signed: SignedManifest, keys: list[Ed25519PublicKey]) -> Manifest:
    """The manifest, if one of the trusted keys signed it; refused otherwise."""
    if not keys:
        raise SignatureRejected("no trusted firmware key is installed on this device")
    for key in keys:
        try:
            key.verify(signed.signature, signed.signed_bytes)
            break
        except InvalidSignature:
            continue
    else:
        raise SignatureRejected("bad signature: not signed by a key this device trusts")
    try:
        manifest = Manifest.parse(signed.manifest_bytes)
    except InvalidInput as exc:
        raise BundleRefused(f"manifest: {exc}") from None
    if manifest.payload_size != signed.header.payload_length:
        raise BundleRefused("header and manifest disagree on the payload size")
    return manifest


def payload_chunks(stream: BinaryIO, manifest: Manifest) -> Iterator[bytes]:
    """The payload in chunks; raises once all are read if it is not the signed one.

    The caller must treat nothing it received as good until the iterator
    ends without raising: the hash is only known after the last byte.
    """
    digest = hashlib.sha256()
    remaining = manifest.payload_size
    while remaining:
        chunk = stream.read(min(CHUNK_SIZE, remaining))
        if not chunk:
            raise BundleRefused(
                f"truncated: payload has {manifest.payload_size - remaining} of "
                f"{manifest.payload_size} bytes"
            )
        digest.update(chunk)
        remaining -= len(chunk)
        yield chunk
    if stream.read(1):
        raise BundleRefused("altered: bytes follow the end of the payload")
    if digest.hexdigest() != manifest.payload_sha256:
        raise BundleRefused("altered: payload SHA-256 differs from the manifest's")


def build(
    payload: Path, manifest_fields: dict, key: Ed25519PrivateKey, output: Path
) -> Manifest:
    """Write a signed bundle of the payload file; return its manifest.

    manifest_fields holds every manifest field but the payload's size and
    hash, which are measured here.
    """
    digest = hashlib.sha256()
    size = 0
    with payload.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    manifest = Manifest(
        **manifest_fields, payload_size=size, payload_sha256=digest.hexdigest()
    )
    manifest_bytes = bytes(manifest)
    header = BundleHeader(len(manifest_bytes), size)
    signature = key.sign(bytes(header) + manifest_bytes)

    tmp = output.with_name(output.name + ".part")
    with tmp.open("wb") as out, payload.open("rb") as f:
        out.write(bytes(header) + manifest_bytes + signature)
        while chunk := f.read(CHUNK_SIZE):
            out.write(chunk)
    tmp.replace(output)
    return manifest
