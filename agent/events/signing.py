"""Signing webhook requests so a receiver can trust and date them.

Each POST carries its Unix time and an HMAC-SHA256 (RFC 2104) over that time
and the exact body bytes, keyed with the webhook's secret:

    X-Edgepbx-Timestamp: 1767225600
    X-Edgepbx-Signature: v1=<hex of HMAC-SHA256(secret, "1767225600." + body)>

The receiver recomputes the signature, compares in constant time, and
refuses a timestamp older than a few minutes, so a captured request cannot
be replayed later. See docs/events.md.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Edgepbx-Timestamp"
SIGNATURE_HEADER = "X-Edgepbx-Signature"
EVENT_HEADER = "X-Edgepbx-Event"
DELIVERY_HEADER = "X-Edgepbx-Delivery"
SCHEME = "v1"
# What receivers are told to accept; five minutes is the usual tolerance of
# signed webhooks and allows for clocks a little apart.
REPLAY_WINDOW_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    timestamp: str,
    signed: str,
    body: bytes,
    now: float | None = None,
) -> bool:
    """What a receiver does: True if the request is genuine and fresh."""
    try:
        when = int(timestamp)
    except ValueError:
        return False
    now = time.time() if now is None else now
    if abs(now - when) > REPLAY_WINDOW_S:
        return False
    return hmac.compare_digest(signature(secret, when, body), signed)
