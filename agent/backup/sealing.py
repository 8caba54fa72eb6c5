"""Passphrase sealing of a backup stream: scrypt, then AES-256-GCM in chunks.

Layout: a 34-byte header (magic ``EPBXBAK`` + format byte 1, scrypt's
log2 N, r and p, a 16-byte salt, a 7-byte nonce prefix), then chunks, each
a 4-byte big-endian length whose top bit marks the last chunk, followed by
that many bytes of GCM ciphertext and tag. A chunk's nonce is the prefix,
its 4-byte counter and the last-chunk flag, and the header is the
associated data of every chunk: chunks cannot be reordered, dropped, or
cut off at the end (the STREAM construction of Hoang, Reyhanitabar, Rogaway
and Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
Misuse-Resistance", 2015). Memory stays at one chunk whatever the size.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from agent.errors import PbxError

MAGIC = b"EPBXBAK\x01"
HEADER = struct.Struct(">8sBBB16s7s")
# The cost of the sign-in passwords' scrypt (docs/architecture.md): about
# 0.1 s and 32 MiB per try, paid once per backup.
SCRYPT_LOG2_N = 15
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_LOG2_N_MAX = 20  # a hostile header must not ask for gigabytes
SALT_BYTES = 16
PREFIX_BYTES = 7
CHUNK_SIZE = 1024 * 1024
TAG_BYTES = 16
LAST_CHUNK = 0x8000_0000
LENGTH = struct.Struct(">I")
KEY_BYTES = 32


class SealError(PbxError):
    kind = "backup-refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="passphrase")


def is_sealed(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=2**log2_n, r=r, p=p)
    return kdf.derive(passphrase.encode("utf-8"))


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + bytes([int(last)])


class SealingWriter:
    """A write-only stream that seals what is written into raw."""

    def __init__(self, raw: BinaryIO, passphrase: str) -> None:
        salt = os.urandom(SALT_BYTES)
        self._prefix = os.urandom(PREFIX_BYTES)
        self._header = HEADER.pack(
            MAGIC, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, salt, self._prefix
        )
        key = _key(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
        self._aead = AESGCM(key)
        self._raw = raw
        self._buffer = bytearray()
        self._counter = 0
        raw.write(self._header)

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK_SIZE:
            self._seal(bytes(self._buffer[:CHUNK_SIZE]), last=False)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def close(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _seal(self, chunk: bytes, last: bool) -> None:
        nonce = _nonce(self._prefix, self._counter, last)
        sealed = self._aead.encrypt(nonce, chunk, self._header)
        self._raw.write(LENGTH.pack(len(sealed) | (LAST_CHUNK if last else 0)))
        self._raw.write(sealed)
        self._counter += 1


class OpeningReader:
    """A read-only stream of what a SealingWriter sealed; raises SealError."""

    def __init__(self, raw: BinaryIO, passphrase: str) -> None:
        header = raw.read(HEADER.size)
        if len(header) < HEADER.size:
            raise SealError("damaged: the sealed backup ends inside its header")
        magic, log2_n, r, p, salt, prefix = HEADER.unpack(header)
        if magic != MAGIC or not 1 <= log2_n <= SCRYPT_LOG2_N_MAX:
            raise SealError("damaged: not a sealed edgepbx backup")
        self._aead = AESGCM(_key(passphrase, salt, log2_n, r, p))
        self._header = header
        self._prefix = prefix
        self._raw = raw
        self._buffer = bytearray()
        self._counter = 0
        self._done = False

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            self._open_next()
        if size < 0:
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _open_next(self) -> None:
        length_bytes = self._raw.read(LENGTH.size)
        if len(length_bytes) < LENGTH.size:
            raise SealError("damaged: the sealed backup is cut short")
        (length,) = LENGTH.unpack(length_bytes)
        last = bool(length & LAST_CHUNK)
        length &= ~LAST_CHUNK
        if not TAG_BYTES <= length <= CHUNK_SIZE + TAG_BYTES:
            raise SealError("damaged: a sealed chunk has an impossible length")
        sealed = self._raw.read(length)
        if len(sealed) < length:
            raise SealError("damaged: the sealed backup is cut short")
        nonce = _nonce(self._prefix, self._counter, last)
        try:
            self._buffer += self._aead.decrypt(nonce, sealed, self._header)
        except InvalidTag:
            what = "wrong passphrase" if self._counter == 0 else "damaged"
            raise SealError(
                f"{what}: the backup does not open with this passphrase"
            ) from None
        self._counter += 1
        if last:
            if self._raw.read(1):
                raise SealError("damaged: bytes follow the last sealed chunk")
            self._done = True
