"""The phones registered to an extension right now, as Kamailio knows them."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from agent.sip.rpc import KamailioRpc, RpcError

log = logging.getLogger("edgepbx.registrations")


@dataclass(frozen=True)
class Registration:
    contact: str
    user_agent: str
    #: Where the REGISTER came from ("udp 192.0.2.7:5060"); behind a NAT
    #: this is the public side, not the address in the Contact.
    source: str
    expires_in_s: int

    def to_dict(self) -> dict:
        return asdict(self)


def current(rpc: KamailioRpc, number: str) -> list[Registration]:
    """Registrations of number; raises RpcError if the SIP core is down."""
    try:
        result = rpc.call("ul.lookup", "location", number)
    except RpcError as exc:
        # usrloc answers "AOR not found" for an AoR it never had, and "AOR has
        # no contacts" for one whose contacts were just removed (ul.rm) and
        # whose record its timer has not yet dropped: both mean none.
        message = str(exc).lower()
        if "not found" in message or "no contacts" in message:
            return []
        raise
    return [_registration(entry) for entry in _contacts(result)]


class Registrar:
    """Signs phones out of the registrar when their extension changes hands.

    A phone keeps its registration until it expires (up to two hours), so
    removing or disabling an extension, or changing its password, must end
    the registrations too: otherwise a number given to someone new would
    ring the previous owner's phone.
    """

    def __init__(self, rpc: KamailioRpc, state_db: Path) -> None:
        self.rpc = rpc
        self.state_db = state_db

    def sign_out(self, number: str) -> None:
        """End every registration of number, in Kamailio and on disk."""
        try:
            self.rpc.call("ul.rm", "location", number)
        except RpcError as exc:
            if "not found" not in str(exc).lower():
                # The SIP core is down: what it would load at start goes.
                self._forget_on_disk([number])
        else:
            # usrloc writes back only what changed; drop the stored copy too,
            # so a crash before the next write-back cannot bring it back.
            self._forget_on_disk([number])
        log.info("extension %s: phones signed out", number)

    def forget_all_but(self, numbers: Iterable[str]) -> int:
        """Before Kamailio starts: drop stored registrations of non-extensions."""
        keep = sorted(set(numbers))
        with sqlite3.connect(self.state_db, timeout=5) as db:
            marks = ",".join("?" * len(keep))
            where = f"username NOT IN ({marks})" if keep else "1"
            removed = db.execute(f"DELETE FROM location WHERE {where}", keep).rowcount
        return removed

    def _forget_on_disk(self, numbers: list[str]) -> None:
        with sqlite3.connect(self.state_db, timeout=5) as db:
            db.executemany(
                "DELETE FROM location WHERE username = ?", [(n,) for n in numbers]
            )


def _contacts(result: object) -> list[dict]:
    if not isinstance(result, dict):
        return []
    contacts = result.get("Contacts") or []
    return [c.get("Contact", c) for c in contacts if isinstance(c, dict)]


def _source(received: str) -> str:
    """Turn "sip:192.0.2.7:5062;transport=tcp" into "tcp 192.0.2.7:5062"."""
    if not received.startswith("sip:"):
        return ""
    address, _, params = received[len("sip:") :].partition(";")
    transport = "udp"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.lower() == "transport" and value:
            transport = value.lower()
    return f"{transport} {address}"


def _registration(entry: dict) -> Registration:
    source = _source(entry.get("Received") or "")
    expires = entry.get("Expires", 0)
    return Registration(
        contact=entry.get("Address", ""),
        user_agent=entry.get("User-Agent", ""),
        source=source,
        expires_in_s=int(expires) if str(expires).lstrip("-").isdigit() else 0,
    )


def all_current(rpc: KamailioRpc) -> dict[str, list[Registration]]:
    """Every extension's registrations from one ``ul.dump``, by number.

    One RPC for a whole page of extensions instead of one per row; raises
    RpcError if the SIP core is down.
    """
    result = rpc.call("ul.dump")
    found: dict[str, list[Registration]] = {}
    for domain in _items(result, "Domains"):
        table = domain.get("Domain", domain)
        for record in _items(table, "AoRs"):
            info = record.get("Info", record)
            number = str(info.get("AoR", ""))
            contacts = [c.get("Contact", c) for c in _items(info, "Contacts")]
            if number and contacts:
                found[number] = [_registration(c) for c in contacts]
    return found


def _items(container: object, key: str) -> list[dict]:
    if not isinstance(container, dict):
        return []
    return [item for item in container.get(key) or [] if isinstance(item, dict)]
