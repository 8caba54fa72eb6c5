"""Trunk registrations as Kamailio's uac module keeps them, over its RPC.

Kamailio needs a register trunk's password in plain text to answer the
carrier's digest challenge. The agent therefore opens the sealed password
only in memory and hands it over the RPC socket (``uac.reg_add``), a UNIX
socket in the run directory that only the appliance's user can reach; the
``uacreg`` table Kamailio reads at start stays empty, so the plain password
is never written to disk. Known shortcoming: it sits in Kamailio's memory,
and ``uac.reg_dump`` over that same socket shows it.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from agent.devicekey import DeviceKey
from agent.sip.rpc import KamailioRpc, RpcError
from agent.trunks.models import Trunk

log = logging.getLogger("edgepbx.trunks")

# RFC 3261 section 10.2.1: the registrar may shorten it; carriers commonly
# ask for 300 to 3600 s.
REGISTER_EXPIRES_S = 600
# uac.reg_info flags (uac module's documentation, section 8.2).
FLAG_DISABLED = 1
FLAG_ONGOING = 2
FLAG_REGISTERED = 4
FLAG_AUTH_SENT = 8
FLAG_INITIALIZED = 16
NO_VALUE = "."


def l_uuid(name: str) -> str:
    """The local id of a trunk's registration: also the Contact's user."""
    return f"trunk-{name}"


def sealed_purpose(name: str) -> str:
    return f"trunk/{name}/password"


@dataclass(frozen=True)
class RegistrationState:
    known: bool
    flags: int = 0

    @property
    def registered(self) -> bool:
        return bool(self.flags & FLAG_REGISTERED)


def hand_over(rpc: KamailioRpc, key: DeviceKey, trunk: Trunk) -> None:
    """Give Kamailio this trunk's registration (replacing an older one)."""
    if trunk.kind != "register" or not trunk.enabled:
        withdraw(rpc, trunk.name)
        return
    secret = (
        key.open(trunk.password, sealed_purpose(trunk.name)) if trunk.password else ""
    )
    target = f"{trunk.host}:{trunk.port}"
    proxy = trunk.outbound_proxy or target
    auth_proxy = f"sip:{proxy}" + (";transport=tcp" if trunk.transport == "tcp" else "")
    # uac.reg_add refuses an l_uuid it holds: the old record goes first.
    withdraw(rpc, trunk.name)
    rpc.call(
        "uac.reg_add",
        l_uuid(trunk.name),
        trunk.username,
        trunk.host,
        trunk.username,
        target if trunk.port != 5060 else trunk.host,
        trunk.realm or "",
        trunk.auth_username or trunk.username,
        secret or NO_VALUE,
        NO_VALUE,
        auth_proxy,
        REGISTER_EXPIRES_S,
        0,
        0,
        "",
        NO_VALUE,
    )


def withdraw(rpc: KamailioRpc, name: str) -> None:
    # Not registered there: nothing to withdraw.
    with contextlib.suppress(RpcError):
        rpc.call("uac.reg_remove", l_uuid(name))


def state(rpc: KamailioRpc, name: str) -> RegistrationState:
    try:
        info = rpc.call("uac.reg_info", "l_uuid", l_uuid(name))
    except RpcError:
        return RegistrationState(known=False)
    if isinstance(info, list):
        info = info[0] if info else {}
    return RegistrationState(known=True, flags=int(info.get("flags", 0)))


def hand_over_all(rpc: KamailioRpc, key: DeviceKey) -> int:
    """After Kamailio (re)starts: every enabled register trunk; the count."""
    count = 0
    for trunk in Trunk.select().where(Trunk.kind == "register", Trunk.enabled == True):  # noqa: E712
        try:
            hand_over(rpc, key, trunk)
            count += 1
        except RpcError as exc:
            log.error(
                "trunk %s: registration not handed to the SIP core: %s", trunk.name, exc
            )
    return count
