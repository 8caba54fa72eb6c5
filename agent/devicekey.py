"""The device key: encryption at rest for secrets the PBX must read back.

SIP passwords have to be recoverable (provisioning writes them into a phone's
configuration), so they cannot be hashed like login passwords. They are
sealed with AES-256-GCM under a random key made on the device's first start
and kept beside the data, readable by the agent alone. Each ciphertext is
bound to what it belongs to (``extension/101/sip_password``), so a value
copied into another row does not decrypt.
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # NIST SP 800-38D's recommended GCM nonce length
FORMAT_PREFIX = "aesgcm1:"


class DeviceKeyError(RuntimeError):
    pass


def create_secret_file(path: Path, content: bytes) -> None:
    """Write a secret file (mode 0600) unless one exists; safe against races.

    The agent and a CLI command may both be the first to start. The file is
    written whole under a private name and linked into place, which fails
    if another process got there first, so both end up reading one file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class DeviceKey:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise DeviceKeyError("device key: must be 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def load_or_create(cls, path: Path) -> DeviceKey:
        """Read the key at path, creating it (mode 0600) on first start."""
        if not path.exists():
            create_secret_file(path, AESGCM.generate_key(bit_length=KEY_BYTES * 8))
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise DeviceKeyError(f"device key {path}: damaged (wrong length)")
        return cls(key)

    def seal(self, plaintext: str, purpose: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())
        return FORMAT_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token: str, purpose: str) -> str:
        if not token.startswith(FORMAT_PREFIX):
            raise DeviceKeyError(f"{purpose}: not a sealed value")
        raw = base64.urlsafe_b64decode(token[len(FORMAT_PREFIX) :])
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, sealed, purpose.encode()).decode()
        except InvalidTag:
            raise DeviceKeyError(
                f"{purpose}: cannot be decrypted with this device's key"
            ) from None
