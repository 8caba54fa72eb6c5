"""What makes a phone's fields valid, each rule said in plain words."""

from __future__ import annotations

import re
import secrets
import string

from agent.errors import InvalidInput

MAC_HEX_DIGITS = 12  # IEEE 802 MAC-48
# A phone's own web page password: typed rarely, by an installer, from the
# inventory. 16 of 62 symbols is about 95 bits.
ADMIN_PASSWORD_LENGTH = 16
# Lines per phone: a Yealink T54W has 16 accounts, most desk phones fewer.
MAX_LINES = 16

# No phone has this address; Poly phones ask for 000000000000.cfg (and
# -directory.xml) by default, so a phone listed under it would have its file,
# SIP password included, sent to every Poly phone that asks.
NO_MAC = "000000000000"

_MAC_SEPARATORS = re.compile(r"[:\-.]")
_HEX12 = re.compile(r"[0-9a-f]{12}")
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_ALPHABET = string.ascii_letters + string.digits


def mac(value: str) -> str:
    """A MAC address in any case, with or without ``:``, ``-`` or ``.``,
    as 12 lower-case hex digits."""
    raw = (value or "").strip()
    digits = _MAC_SEPARATORS.sub("", raw).lower()
    if not _HEX12.fullmatch(digits):
        raise InvalidInput(
            "mac", raw, "12 hex digits, optionally separated by ':' or '-'"
        )
    if int(digits[:2], 16) & 0x01:
        raise InvalidInput("mac", raw, "a phone's own address, not a multicast one")
    if digits == NO_MAC:
        raise InvalidInput(
            "mac", raw, "a phone's own address, not all zeros (Poly's default file)"
        )
    return digits


def model(value: str) -> str:
    raw = (value or "").strip()
    if not _MODEL.fullmatch(raw):
        raise InvalidInput(
            "model", raw, "letters, digits, '-' or '_', at most 32 (like T54W)"
        )
    return raw.upper()


def line(value: int) -> int:
    if not isinstance(value, int) or not 1 <= value <= MAX_LINES:
        raise InvalidInput("line", value, f"1 to {MAX_LINES}")
    return value


def generate_admin_password() -> str:
    """Letters and digits only (every vendor's file format takes them as they
    are), with lower case, upper case and a digit, which Cisco requires."""
    while True:
        password = "".join(
            secrets.choice(_ALPHABET) for _ in range(ADMIN_PASSWORD_LENGTH)
        )
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password
