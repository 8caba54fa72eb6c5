"""Slowing down password guessing at the web sign-in.

Failures are counted per user name and per source address. The first few
are free (people mistype); after that each failure locks that name or
address for a time that doubles, up to a cap. A locked subject is refused
before its password is even checked, so guessing gets no faster by trying
harder. The counters live in the database, so every gunicorn worker sees
the same ones and a restart does not reset them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from agent.db import database
from agent.db.models import SigninThrottle
from agent.errors import TooManyAttempts

# Five mistypes of one's own password are normal; a script does thousands.
FREE_FAILURES_PER_USER = 5
# An office behind one NAT address shares this budget, so it is larger.
FREE_FAILURES_PER_ADDRESS = 20
FIRST_LOCK_S = 2.0
# Capped so that someone who locks the administrator out by guessing on
# purpose only delays them; the security jail will ban such an address.
MAX_LOCK_S = 900.0
# Failures older than this are forgotten.
FORGET_AFTER_S = 3600.0


@dataclass(frozen=True)
class Subject:
    key: str
    free_failures: int

    @classmethod
    def user(cls, username: str) -> Subject:
        return cls(f"user:{username.lower()}"[:96], FREE_FAILURES_PER_USER)

    @classmethod
    def address(cls, source_ip: str) -> Subject:
        return cls(f"ip:{source_ip}"[:96], FREE_FAILURES_PER_ADDRESS)


def lock_seconds(failures: int, free: int) -> float:
    """How long the failure number ``failures`` locks its subject."""
    if failures <= free:
        return 0.0
    return min(FIRST_LOCK_S * 2 ** (failures - free - 1), MAX_LOCK_S)


def check(subjects: list[Subject], now: float | None = None) -> None:
    """Raise TooManyAttempts if any subject is locked right now."""
    now = time.time() if now is None else now
    keys = [s.key for s in subjects]
    rows = SigninThrottle.select().where(SigninThrottle.subject.in_(keys))
    wait = max((row.locked_until - now for row in rows), default=0.0)
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyAttempts(
            f"too many failed sign-ins: try again in {seconds} s", seconds
        )


def failed(subjects: list[Subject], now: float | None = None) -> int:
    """Count a failure against each subject; return the user's count."""
    now = time.time() if now is None else now
    counts = []
    with database.atomic():
        for subject in subjects:
            row = SigninThrottle.get_or_none(SigninThrottle.subject == subject.key)
            if row is None or now - row.last_failure_at > FORGET_AFTER_S:
                failures = 1
            else:
                failures = row.failures + 1
            locked_until = now + lock_seconds(failures, subject.free_failures)
            SigninThrottle.insert(
                subject=subject.key,
                failures=failures,
                last_failure_at=now,
                locked_until=locked_until,
            ).on_conflict_replace().execute()
            counts.append(failures)
    return counts[0] if counts else 0


def succeeded(subject: Subject) -> None:
    """A correct password clears the user name's failures (not the address's)."""
    SigninThrottle.delete().where(SigninThrottle.subject == subject.key).execute()
