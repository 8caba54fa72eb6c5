"""HTTP digest values (RFC 2617 section 3.2.2.2, as SIP uses them)."""

from __future__ import annotations

import hashlib


def ha1(username: str, realm: str, password: str) -> str:
    """MD5(username:realm:password), what Kamailio compares responses with."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()


def ha1b(username: str, domain: str, realm: str, password: str) -> str:
    """HA1 for phones that send "user@domain" as the digest username."""
    return ha1(f"{username}@{domain}", realm, password)
