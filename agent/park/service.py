"""The park service: the slots' settings and the calls parked now.

The CLI (``edgepbx park list|settings``), the REST API (``/api/v1/park``),
the PBX monitor page and the call rules page (the settings) call it. The
settings live in one system setting (agent/sip/park_slots.py), read by the
SIP routing and the media workers at each call: a change applies from the
next call on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from agent import audit, numbering, system_settings
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.errors import InvalidInput
from agent.park import state
from agent.settings import Settings
from agent.sip.park_slots import (
    COUNT_RANGE,
    DIGITS_RANGE,
    KEY,
    TIMEOUT_RANGE_S,
    ParkSettings,
)


def current_settings() -> ParkSettings:
    stored = system_settings.get(KEY)
    if not isinstance(stored, dict):
        return ParkSettings()
    try:
        return ParkSettings(
            str(stored["first"]), int(stored["count"]), int(stored["timeout_s"])
        )
    except (KeyError, TypeError, ValueError):
        return ParkSettings()


@dataclass(frozen=True)
class ParkedNow:
    """A parked call as a person reads it."""

    slot: str
    caller: str
    parked_by: str
    since: float
    parked_s: int

    def to_dict(self) -> dict:
        return {
            "slot": self.slot,
            "caller": self.caller,
            "parked_by": self.parked_by,
            "since": self.since,
            "parked_s": self.parked_s,
        }


class ParkService:
    def __init__(self, actor: Principal, settings: Settings) -> None:
        self.actor = actor
        self.settings = settings

    def list(self) -> list[ParkedNow]:
        self.actor.require(Permission.VIEW_MONITOR)
        now = time.time()
        return [
            ParkedNow(p.slot, p.caller, p.parked_by, p.since, int(now - p.since))
            for p in state.parked_calls(self.settings)
        ]

    def show_settings(self) -> ParkSettings:
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        return current_settings()

    def change_settings(
        self,
        *,
        first: str | None = None,
        count: int | None = None,
        timeout_s: int | None = None,
    ) -> ParkSettings:
        """Change any of the three; the others stay. Refused, changing
        nothing, when a slot would take a number something else has."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        before = current_settings()
        first = before.first if first is None else str(first)
        count = before.count if count is None else count
        timeout_s = before.timeout_s if timeout_s is None else timeout_s

        low, high = DIGITS_RANGE
        if not (first.isascii() and first.isdigit() and low <= len(first) <= high):
            raise InvalidInput("first", first, f"digits only, {low} to {high}")
        if first.startswith("0"):
            # Many dial plans keep a leading 0 for an outside line, and a
            # slot 07001 would be a number apart from a dialled 7001.
            raise InvalidInput("first", first, "may not start with 0")
        low, high = COUNT_RANGE
        if (
            isinstance(count, bool)
            or not isinstance(count, int)
            or not (low <= count <= high)
        ):
            raise InvalidInput("count", count, f"a whole number from {low} to {high}")
        low, high = TIMEOUT_RANGE_S
        if (
            isinstance(timeout_s, bool)
            or not isinstance(timeout_s, int)
            or not (low <= timeout_s <= high)
        ):
            raise InvalidInput(
                "timeout_s", timeout_s, f"whole seconds from {low} to {high}"
            )
        after = ParkSettings(first, count, timeout_s)
        if len(after.slots[-1]) != len(first):
            raise InvalidInput(
                "count", count, f"the slots from {first} must keep {len(first)} digits"
            )
        with database.atomic():
            # In the write transaction: another kind's request waits for it.
            for slot in after.slots:
                numbering.refuse_taken("first", slot, "park slot")
            system_settings.put(
                KEY, {"first": first, "count": count, "timeout_s": timeout_s}
            )
            audit.record(
                self.actor,
                "update",
                "park settings",
                "park",
                before.to_dict(),
                after.to_dict(),
            )
        return after
