"""Signing keys: the private one of whoever builds releases, the public ones
every device trusts.

The device trusts each ``*.pub`` file (PEM, Ed25519) in its key directory,
``/etc/edgepbx/firmware-keys`` in the image (``rootfs/etc/edgepbx/
firmware-keys`` in the tree). A directory rather than one file lets a
release carry the next key before the old one is retired. ``make dev-keys``
makes a development pair: the private key under ``build/`` and its public
half as ``development.pub``; both paths are ignored by git, and a release
image must be built without ``development.pub``.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from agent.errors import InvalidInput

DEVICE_KEY_DIR = Path("/etc/edgepbx/firmware-keys")


def trusted_key_dir() -> Path:
    """Where this device's trusted keys are (EDGEPBX_FIRMWARE_KEYS overrides)."""
    override = os.environ.get("EDGEPBX_FIRMWARE_KEYS")
    if override:
        return Path(override)
    if DEVICE_KEY_DIR.is_dir():
        return DEVICE_KEY_DIR
    # Running from a checkout: the overlay the image is built from.
    return Path(__file__).resolve().parents[2] / "rootfs/etc/edgepbx/firmware-keys"


def trusted_keys(directory: Path | None = None) -> list[Ed25519PublicKey]:
    directory = directory or trusted_key_dir()
    keys = []
    for path in sorted(directory.glob("*.pub")) if directory.is_dir() else []:
        key = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidInput(str(path), None, "an Ed25519 public key in PEM")
        keys.append(key)
    return keys


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(str(path), None, "an Ed25519 private key in PEM")
    return key


def create_key_pair(private_path: Path, public_path: Path) -> None:
    """Make a signing pair; the private key is written mode 0600, never replaced."""
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem)
    public_path.write_bytes(public_pem)
