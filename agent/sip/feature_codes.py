"""The feature-code table: what a phone dials to reach each feature.

Every feature has a default code, the one most office PBXs use for it; an
administrator may change any of them (``agent.feature_codes``: the CLI
``edgepbx feature-codes``, the REST API and the admin page). Only the codes
that differ from the default are stored, one row each in ``feature_code``
(migration 22), so a reset deletes the row. The SIP routing and the media
service both read the table through ``load_codes``: a changed code works
from the next call on, and the old one reaches nothing.

Some codes are dialled alone (``*78``), others take a number after them
(``*72`` then the forward target): those are the prefix codes.

Read by the SIP routing inside Kamailio, so standard library only.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    """One entry of the table."""

    name: str
    default: str
    #: What it does, as the list and the admin page say it.
    description: str
    #: Whether a number follows the code (a forward target, an extension).
    takes_number: bool = False


#: Every feature, in the order the list shows them.
FEATURES: tuple[Feature, ...] = (
    Feature("voicemail_own", "*97", "your own mailbox"),
    Feature("voicemail_any", "*98", "any mailbox (number, then PIN)"),
    Feature("dnd_on", "*78", "do-not-disturb on"),
    Feature("dnd_off", "*79", "do-not-disturb off"),
    Feature("speed_dial", "*0", "a company speed dial, by its code", True),
    Feature("forward_always", "*72", "forward every call to a number", True),
    Feature("forward_always_off", "*73", "cancel forward always"),
    Feature("forward_busy", "*90", "forward on busy to a number", True),
    Feature("forward_busy_off", "*91", "cancel forward on busy"),
    Feature("forward_no_answer", "*52", "forward on no answer to a number", True),
    Feature("forward_no_answer_off", "*53", "cancel forward on no answer"),
    Feature("call_waiting_on", "*70", "call waiting on"),
    Feature("call_waiting_off", "*71", "call waiting off"),
    Feature("intercom", "*80", "intercom to an extension", True),
    Feature("pickup_group", "*8", "pick up a call ringing in your group"),
    Feature("pickup_directed", "**", "pick up a call ringing an extension", True),
    Feature("queue_login", "*45", "log in to a queue as an agent, by its number", True),
    Feature("queue_logout", "*46", "log out of a queue, by its number", True),
    Feature("park", "*85", "park a call in the first free slot (transfer to it)"),
    Feature("withhold_once", "*67", "withhold your number on one outside call", True),
)
BY_NAME = {feature.name: feature for feature in FEATURES}
DEFAULT_CODES = {feature.name: feature.default for feature in FEATURES}

CODES_QUERY = "SELECT feature, code FROM feature_code"


def load_codes(con: sqlite3.Connection | None) -> dict[str, str]:
    """Feature name -> its code now; the defaults where none is stored, or
    when the table cannot be read (an older schema)."""
    codes = dict(DEFAULT_CODES)
    if con is None:
        return codes
    try:
        rows = con.execute(CODES_QUERY).fetchall()
    except sqlite3.Error:
        return codes
    for name, code in rows:
        if name in codes and code:
            codes[name] = code
    return codes


def match(codes: dict[str, str], dialled: str) -> tuple[str, str] | None:
    """(feature, the number after the code) of what a phone dialled, if it
    is a feature code: a whole code, or a prefix code followed by digits.

    The longest matching code wins, so ``*80`` and ``*8`` can live side by
    side.
    """
    found = None
    for name, code in codes.items():
        feature = BY_NAME[name]
        if dialled == code and not feature.takes_number:
            rest = ""
        elif (
            feature.takes_number
            and dialled.startswith(code)
            and dialled[len(code) :].isdigit()
            and dialled[len(code) :].isascii()
        ):
            rest = dialled[len(code) :]
        else:
            continue
        if found is None or len(code) > len(codes[found[0]]):
            found = (name, rest)
    return found
