"""Appliance-wide settings kept in the system_setting table as JSON."""

from __future__ import annotations

import json
from typing import Any

from agent.db.models import SystemSetting

# The realm every extension's HA1 was computed with. The agent sets it at
# start from the SIP domain and re-hashes every extension when it changes.
SIP_REALM = "sip.realm"


def get(key: str, default: Any = None) -> Any:
    row = SystemSetting.get_or_none(SystemSetting.key == key)
    return default if row is None else json.loads(row.value)


def put(key: str, value: Any) -> None:
    text = json.dumps(value)
    SystemSetting.insert(key=key, value=text).on_conflict_replace().execute()


def delete(key: str) -> None:
    """Forget key: its next get answers the default."""
    SystemSetting.delete().where(SystemSetting.key == key).execute()
