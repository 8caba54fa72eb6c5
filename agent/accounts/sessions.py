"""Server-side sessions of the web admin.

The browser holds a random token in a cookie; the database holds only its
SHA-256 digest, the account, and the session's CSRF token. A session ends
when its owner signs out, after an idle period, after an absolute lifetime,
or when the account's password is reset.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import peewee

from agent.accounts import custom_roles
from agent.accounts.roles import Principal
from agent.db.models import Extension, UserAccount, WebSession

# Fifteen idle minutes is what OWASP's session guidance suggests for
# applications that change security-relevant configuration.
IDLE_TIMEOUT_S = 15 * 60
# Even an active session signs in again once a working day.
ABSOLUTE_LIFETIME_S = 12 * 3600
# last_seen_at is written at most this often, sparing the SD card a write
# on every request while keeping the idle timeout accurate to a minute.
TOUCH_INTERVAL_S = 60
TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    token: str
    csrf_token: str
    account_id: int
    username: str
    principal: Principal
    must_change_password: bool


def start(account: UserAccount, source_ip: str) -> Session:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = time.time()
    row = WebSession.create(
        token_hash=_digest(token),
        csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
        account=account,
        source_ip=source_ip,
        created_at=now,
        last_seen_at=now,
    )
    return _session(token, row, account)


def resume(token: str, now: float | None = None) -> Session | None:
    """The live session behind a cookie's token, or None; ends stale ones."""
    if not token:
        return None
    now = time.time() if now is None else now
    row = (
        WebSession.select(WebSession, UserAccount, Extension)
        .join(UserAccount)
        .join(Extension, peewee.JOIN.LEFT_OUTER)
        .where(WebSession.token_hash == _digest(token))
        .first()
    )
    if row is None:
        return None
    if (
        now - row.last_seen_at > IDLE_TIMEOUT_S
        or now - row.created_at > ABSOLUTE_LIFETIME_S
    ):
        row.delete_instance()
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL_S:
        WebSession.update(last_seen_at=now).where(WebSession.id == row.id).execute()
    return _session(token, row, row.account)


def still_valid(token: str, now: float | None = None) -> Session | None:
    """The session behind token if it is still live, without counting this
    as activity: a page that only watches (the live monitor's stream) must
    not keep its session from idling out."""
    if not token:
        return None
    now = time.time() if now is None else now
    row = (
        WebSession.select(WebSession, UserAccount, Extension)
        .join(UserAccount)
        .join(Extension, peewee.JOIN.LEFT_OUTER)
        .where(WebSession.token_hash == _digest(token))
        .first()
    )
    if row is None or (
        now - row.last_seen_at > IDLE_TIMEOUT_S
        or now - row.created_at > ABSOLUTE_LIFETIME_S
    ):
        return None
    return _session(token, row, row.account)


def end(token: str) -> None:
    WebSession.delete().where(WebSession.token_hash == _digest(token)).execute()


def end_all_of(account_id: int) -> None:
    WebSession.delete().where(WebSession.account == account_id).execute()


def _session(token: str, row: WebSession, account: UserAccount) -> Session:
    return Session(
        token=token,
        csrf_token=row.csrf_token,
        account_id=account.id,
        username=account.username,
        principal=custom_roles.principal_for(
            account.username,
            account.role,
            account.extension.number if account.extension_id else None,
        ),
        must_change_password=bool(account.must_change_password),
    )
