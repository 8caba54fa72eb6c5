"""What still points at an extension: IVR keys, inbound routes, ring groups,
page groups, call queues (agents, logged-in agents, failover), time
conditions, outbound routes, speed dials and other extensions' forwards
name extensions by number.

Removing an extension that is still named somewhere would leave a caller
sent to a number that no longer rings, so the extension service refuses it
and lists the places to change first.
"""

from __future__ import annotations

import json

from agent.db.models import CallQueue, IvrChoice, IvrMenu, PageGroup, QueueLogin
from agent.errors import PbxError
from agent.extensions.features import forwards_to
from agent.paging.service import member_numbers
from agent.queues.service import agent_list
from agent.trunks.models import (
    InboundRoute,
    OutboundRoute,
    RingGroupRow,
    SpeedDialRow,
    TimeConditionRow,
)

# Destination kinds that name an extension's number (the extension itself,
# or its mailbox, which goes with it).
_EXTENSION_KINDS = frozenset({"extension", "voicemail"})
#: At most this many places are named in the refusal; the rest are counted.
SHOWN_USES_MAX = 5


class ExtensionInUse(PbxError):
    kind = "in-use"


def _names(destination: str, number: str) -> bool:
    kind, _, target = destination.partition(":")
    return kind in _EXTENSION_KINDS and target == number


def uses_of(number: str) -> list[str]:
    """Every place that still sends calls to (or lets calls out from) number."""
    uses: list[str] = []

    for menu in IvrMenu.select():
        if _names(menu.fallback, number):
            uses.append(f"IVR {menu.number} (fallback)")
    for choice in IvrChoice.select(IvrChoice, IvrMenu).join(IvrMenu):
        if _names(choice.destination, number):
            uses.append(f"IVR {choice.menu.number} (key {choice.digit})")

    for route in InboundRoute.select():
        if route.destination_kind in _EXTENSION_KINDS and route.destination == number:
            uses.append(f"inbound route {route.did}")

    for group in RingGroupRow.select():
        members = {str(m.get("extension")) for m in json.loads(group.members)}
        if number in members:
            uses.append(f"ring group {group.number}")
        elif _names(group.failover, number):
            uses.append(f"ring group {group.number} (failover)")

    for page in PageGroup.select():
        if number in member_numbers(page.members):
            uses.append(f"page group {page.number}")

    for queue in CallQueue.select():
        if number in agent_list(queue.agents):
            uses.append(f"queue {queue.number} (agent)")
        if _names(queue.failover, number):
            uses.append(f"queue {queue.number} (failover)")
    for login in (
        QueueLogin.select(QueueLogin, CallQueue)
        .join(CallQueue)
        .where(QueueLogin.extension == number)
    ):
        uses.append(f"queue {login.queue.number} (logged-in agent)")

    for condition in TimeConditionRow.select():
        targets = (
            (condition.open_kind, condition.open_destination),
            (condition.closed_kind, condition.closed_destination),
        )
        if any(k in _EXTENSION_KINDS and t == number for k, t in targets):
            uses.append(f"time condition {condition.name}")

    for route in OutboundRoute.select():
        if number in json.loads(route.extensions or "[]"):
            uses.append(f"outbound route {route.name}")

    for dial in SpeedDialRow.select().where(SpeedDialRow.number == number):
        uses.append(f"speed dial {dial.code}")

    uses.extend(f"forwarding of extension {other}" for other in forwards_to(number))
    return uses


def refuse_if_used(number: str) -> None:
    """Raise ExtensionInUse naming what still uses number, if anything does."""
    uses = uses_of(number)
    if not uses:
        return
    shown = ", ".join(uses[:SHOWN_USES_MAX])
    more = len(uses) - SHOWN_USES_MAX
    if more > 0:
        shown += f" and {more} more"
    raise ExtensionInUse(
        f"extension {number}: still used by {shown}; change those first",
        field="extension",
    )
