"""The audit log: who changed what and when, with before and after.

Every service that changes configuration records here, in the same
transaction as the change. Values of secret fields are masked before they
reach the table, whatever the caller passes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from agent.accounts.roles import Permission, Principal
from agent.db.models import AuditEntry

MASK = "********"
SECRET_FIELDS = frozenset(
    {"password", "sip_password", "ha1", "ha1b", "token", "password_hash"}
)
PAGE_SIZE_MAX = 200


def _masked(values: dict | None) -> str | None:
    if values is None:
        return None
    clean = {k: (MASK if k in SECRET_FIELDS else v) for k, v in values.items()}
    return json.dumps(clean, sort_keys=True)


def record(
    actor: Principal,
    action: str,
    object_type: str,
    object_id: str,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    AuditEntry.create(
        actor=actor.name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=_masked(before),
        after=_masked(after),
    )


@dataclass(frozen=True)
class AuditRecord:
    at: str
    actor: str
    action: str
    object: str
    before: dict | None
    after: dict | None

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def recent(
    actor: Principal, page: int = 1, per_page: int = 50
) -> tuple[list[AuditRecord], int]:
    """One page of the log, newest first, and the number of entries."""
    actor.require(Permission.VIEW_AUDIT_LOG)
    per_page = max(1, min(per_page, PAGE_SIZE_MAX))
    query = AuditEntry.select().order_by(AuditEntry.id.desc())
    rows = query.paginate(max(page, 1), per_page)
    records = [
        AuditRecord(
            at=f"{row.at}Z" if row.at else "",
            actor=row.actor,
            action=row.action,
            object=f"{row.object_type} {row.object_id}",
            before=json.loads(row.before) if row.before else None,
            after=json.loads(row.after) if row.after else None,
        )
        for row in rows
    ]
    return records, AuditEntry.select().count()
