"""API tokens: bearer credentials for scripts, each with one role.

A token is shown once, when it is made; the database keeps its SHA-256
digest. Tokens are 256-bit random strings, so a plain digest is as hard to
reverse as the token is to guess and lookup stays one indexed query.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import asdict, dataclass

from agent import audit
from agent.accounts import custom_roles
from agent.accounts.roles import Permission, Principal, Role
from agent.db import database
from agent.db.models import ApiToken, utcnow
from agent.errors import InvalidInput, NotFound

TOKEN_PREFIX = "epbx_"  # makes a leaked token easy to recognise in a scan
TOKEN_BYTES = 32
NAME_MAX = 64
# last_used_at is for spotting forgotten tokens, not for accounting: writing
# it once a minute spares the SD card a write on every API request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: str
    created_by: str
    created_at: str
    last_used_at: str | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenInfo:
        used = row.last_used_at
        return cls(
            id=row.id,
            name=row.name,
            role=row.role,
            created_by=row.created_by,
            created_at=f"{row.created_at.isoformat()}Z",
            last_used_at=f"{used.isoformat()}Z" if used else None,
        )

    def to_dict(self) -> dict:
        return asdict(self)


TOKEN_ROLES = tuple(r for r in Role if r != Role.USER)


def create(actor: Principal, role_name: str, name: str) -> tuple[TokenInfo, str]:
    """Make a token; return its description and the token, shown this once."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    # The user role grants only an extension's own things, through its
    # portal account; a token belongs to no extension, so it is no choice.
    token_role = custom_roles.role_name_rule(role_name, predefined=TOKEN_ROLES)
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise InvalidInput("name", name, f"1 to {NAME_MAX} printable characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    with database.atomic():
        row = ApiToken.create(
            token_hash=_digest(token),
            name=name,
            role=token_role,
            created_by=actor.name,
        )
        audit.record(
            actor,
            "create",
            "api-token",
            str(row.id),
            None,
            {"name": name, "role": token_role},
        )
    return TokenInfo.of(row), token


def principal_for(token: str) -> Principal | None:
    """The principal a bearer token acts as, or None if it is not valid."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = ApiToken.get_or_none(ApiToken.token_hash == _digest(token))
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.update(last_used_at=now).where(ApiToken.id == row.id).execute()
    return custom_roles.principal_for(f"token:{row.name}", row.role)


def list_tokens(actor: Principal) -> list[TokenInfo]:
    actor.require(Permission.MANAGE_ACCOUNTS)
    return [TokenInfo.of(row) for row in ApiToken.select().order_by(ApiToken.id)]


def revoke(actor: Principal, token_id: int) -> None:
    actor.require(Permission.MANAGE_ACCOUNTS)
    with database.atomic():
        row = ApiToken.get_or_none(ApiToken.id == token_id)
        if row is None:
            raise NotFound(f'token "{token_id}": no such token', field="token")
        row.delete_instance()
        audit.record(
            actor, "delete", "api-token", str(token_id), {"name": row.name}, None
        )
