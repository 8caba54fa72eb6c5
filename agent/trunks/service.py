"""The trunk service: the one place that adds, changes, lists trunks.

The CLI, the REST API and the web pages call these functions. Everything is
validated before anything is written, and written in one transaction with
its audit entry, so a refused request changes nothing. A change reaches a
running Kamailio at once: the routing reads trunks from the database on the
next call, and the registration is handed over by RPC.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import utcnow
from agent.devicekey import DeviceKey
from agent.errors import AlreadyExists, InvalidInput, NotFound
from agent.sip.rpc import KamailioRpc, RpcError
from agent.trunks import probe, registrations, rules
from agent.trunks.models import OutboundRoute, OutboundRouteTrunk, Trunk, TrunkDid

log = logging.getLogger("edgepbx.trunks")

REGISTERED = "registered"
REGISTERING = "registering"
FAILED_AUTH = "failed auth"
UNREACHABLE = "unreachable"
REACHABLE = "reachable"
DISABLED = "disabled"
UNKNOWN = "unknown"
DIDS_MAX_PER_REQUEST = 1000


@dataclass(frozen=True)
class TrunkInfo:
    """A trunk as shown to people: the password only as set or not."""

    name: str
    kind: str
    host: str
    port: int
    transport: str
    outbound_proxy: str | None
    username: str | None
    auth_username: str | None
    password_set: bool
    realm: str | None
    caller_id_header: str
    did_header: str
    enabled: bool
    dids: list[str]
    #: Every call through it is recorded (agent/recordings).
    recording: bool = False
    #: Codecs the carrier is offered, preferred first; None: whatever the
    #: phones offer.
    codecs: list[str] | None = None
    #: The number the PBX presents as its own at the carrier when neither
    #: the extension nor the route names one; None: the DID added to the trunk first.
    main_number: str | None = None

    @classmethod
    def of(cls, row: Trunk) -> TrunkInfo:
        return cls(
            name=row.name,
            kind=row.kind,
            host=row.host,
            port=row.port,
            transport=row.transport,
            outbound_proxy=row.outbound_proxy,
            username=row.username,
            auth_username=row.auth_username,
            password_set=bool(row.password),
            realm=row.realm,
            caller_id_header=row.caller_id_header,
            did_header=row.did_header,
            enabled=bool(row.enabled),
            dids=[d.did for d in row.dids.order_by(TrunkDid.did)],
            recording=bool(row.recording),
            codecs=row.codecs.split(",") if row.codecs else None,
            main_number=row.main_number or None,
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TrunkStatus:
    name: str
    state: str
    #: The OPTIONS probe's reply code, or None when nothing answered.
    options_reply: int | None
    registration_flags: int | None

    def to_dict(self) -> dict:
        return asdict(self)


_FIELDS = (
    "kind",
    "host",
    "port",
    "transport",
    "outbound_proxy",
    "username",
    "auth_username",
    "realm",
    "caller_id_header",
    "did_header",
    "enabled",
    "codecs",
    "main_number",
)


def _checked(values: dict) -> dict:
    """Validate the fields given; return them cleaned."""
    out: dict = {}
    for field, value in values.items():
        if field == "kind":
            out[field] = rules.choice("kind", value, rules.KINDS)
        elif field == "host":
            out[field] = rules.host("host", value)
        elif field == "port":
            out[field] = rules.port("port", value)
        elif field == "transport":
            out[field] = rules.choice("transport", value, rules.TRANSPORTS)
        elif field == "outbound_proxy":
            out[field] = rules.hostport("outbound_proxy", value)
        elif field in {"username", "auth_username"}:
            out[field] = rules.sip_user(field, value)
        elif field == "realm":
            out[field] = rules.hostport("realm", value) if value else None
        elif field == "caller_id_header":
            out[field] = rules.choice(field, value, rules.CALLER_ID_HEADERS)
        elif field == "did_header":
            out[field] = rules.choice(field, value, rules.DID_HEADERS)
        elif field == "enabled":
            out[field] = bool(value)
        elif field == "codecs":
            out[field] = rules.codecs(value)
        elif field == "main_number":
            out[field] = rules.main_number(value)
        else:
            raise InvalidInput(field, None, "not a field of a trunk")
    return out


class TrunkService:
    def __init__(
        self, key: DeviceKey, actor: Principal, rpc: KamailioRpc | None = None
    ) -> None:
        self.key = key
        self.actor = actor
        self.rpc = rpc

    def _get(self, name: str) -> Trunk:
        row = Trunk.get_or_none(Trunk.name == (name or "").strip())
        if row is None:
            raise NotFound(f'trunk "{name}": no such trunk', field="trunk")
        return row

    def _tell_sip_core(self, row: Trunk | None, name: str) -> None:
        """Best effort: a Kamailio that is down gets it at its next start."""
        if self.rpc is None:
            return
        try:
            if row is None:
                registrations.withdraw(self.rpc, name)
            else:
                registrations.hand_over(self.rpc, self.key, row)
        except RpcError as exc:
            log.info(
                "trunk %s: SIP core not told now (%s); it will be at its start",
                name,
                exc,
            )

    @staticmethod
    def _check_whole(row: Trunk) -> None:
        if row.kind == "register":
            if not row.username:
                raise InvalidInput("username", None, "a register trunk needs one")
            if not row.password:
                raise InvalidInput("password", None, "a register trunk needs one")

    def add(
        self,
        name: str,
        kind: str,
        host: str,
        port: int = rules.DEFAULT_SIP_PORT,
        transport: str = "udp",
        outbound_proxy: str | None = None,
        username: str | None = None,
        auth_username: str | None = None,
        password: str | None = None,
        realm: str | None = None,
        caller_id_header: str = "pai",
        did_header: str = "to",
        dids: list[str] | None = None,
        codecs: str | list[str] | None = None,
        main_number: str | None = None,
    ) -> TrunkInfo:
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        name = rules.name(name)
        values = _checked(
            {
                "kind": kind,
                "host": host,
                "port": port,
                "transport": transport,
                "outbound_proxy": outbound_proxy,
                "username": username,
                "auth_username": auth_username,
                "realm": realm,
                "caller_id_header": caller_id_header,
                "did_header": did_header,
                **({} if codecs is None else {"codecs": codecs}),
                "main_number": main_number,
            }
        )
        row = Trunk(name=name, **values)
        if password:
            row.password = self.key.seal(
                rules.password(password), registrations.sealed_purpose(name)
            )
        self._check_whole(row)
        clean_dids = [rules.did(d) for d in dids or []]
        with database.atomic():
            if Trunk.select().where(Trunk.name == name).exists():
                raise AlreadyExists(f'trunk "{name}": already exists', field="name")
            row.save(force_insert=True)
            self._insert_dids(row, clean_dids)
            info = TrunkInfo.of(row)
            audit.record(self.actor, "create", "trunk", name, None, info.to_dict())
        self._tell_sip_core(row, name)
        return info

    def update(self, name: str, password: str | None = None, **changes) -> TrunkInfo:
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        values = _checked({k: v for k, v in changes.items() if v is not None})
        with database.atomic():
            row = self._get(name)
            before = TrunkInfo.of(row).to_dict()
            for field, value in values.items():
                setattr(row, field, value)
            if password is not None:
                row.password = self.key.seal(
                    rules.password(password), registrations.sealed_purpose(row.name)
                )
            self._check_whole(row)
            row.updated_at = utcnow()
            row.save()
            info = TrunkInfo.of(row)
            after = info.to_dict() | ({"password": "changed"} if password else {})
            audit.record(self.actor, "update", "trunk", row.name, before, after)
        self._tell_sip_core(row, row.name)
        return info

    def remove(self, name: str) -> None:
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        with database.atomic():
            row = self._get(name)
            used = (
                OutboundRoute.select(OutboundRoute.name)
                .join(OutboundRouteTrunk)
                .where(OutboundRouteTrunk.trunk == row)
            )
            names = [r.name for r in used]
            if names:
                raise InvalidInput(
                    "trunk", row.name, "used by outbound route " + ", ".join(names)
                )
            before = TrunkInfo.of(row).to_dict()
            row.delete_instance()
            audit.record(self.actor, "delete", "trunk", row.name, before, None)
        self._tell_sip_core(None, row.name)

    def list(self) -> list[TrunkInfo]:
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        return [TrunkInfo.of(row) for row in Trunk.select().order_by(Trunk.name)]

    def get(self, name: str) -> TrunkInfo:
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        return TrunkInfo.of(self._get(name))

    # -- DIDs ----------------------------------------------------------------

    def _insert_dids(self, row: Trunk, dids: list[str]) -> None:
        if len(dids) > DIDS_MAX_PER_REQUEST:
            raise InvalidInput("did", None, f"at most {DIDS_MAX_PER_REQUEST} at once")
        if len(set(dids)) != len(dids):
            raise InvalidInput("did", None, "the same DID is given twice")
        for did in dids:
            owner = TrunkDid.get_or_none(TrunkDid.did == did)
            if owner is not None:
                raise AlreadyExists(
                    f'did "{did}": already on trunk {owner.trunk.name}', field="did"
                )
            TrunkDid.create(trunk=row, did=did)

    def add_dids(self, name: str, dids: list[str]) -> TrunkInfo:
        """Add one DID or many (all or none)."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        clean = [rules.did(d) for d in dids]
        if not clean:
            raise InvalidInput("did", None, "give at least one")
        with database.atomic():
            row = self._get(name)
            self._insert_dids(row, clean)
            audit.record(
                self.actor, "update", "trunk", row.name, None, {"dids_added": clean}
            )
            return TrunkInfo.of(row)

    def remove_did(self, name: str, did: str) -> TrunkInfo:
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        with database.atomic():
            row = self._get(name)
            deleted = (
                TrunkDid.delete()
                .where(TrunkDid.trunk == row, TrunkDid.did == rules.did(did))
                .execute()
            )
            if not deleted:
                raise NotFound(f'did "{did}": not on trunk {row.name}', field="did")
            audit.record(self.actor, "update", "trunk", row.name, {"did": did}, None)
            return TrunkInfo.of(row)

    # -- status --------------------------------------------------------------

    def status(self, name: str | None = None) -> list[TrunkStatus]:
        """Live state of one trunk or all: registration and an OPTIONS probe.

        register trunks: registered, failed auth (the carrier refused our
        credentials), registering, or unreachable (no SIP answer at all);
        peer trunks: reachable or unreachable.
        """
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        rows = [self._get(name)] if name else list(Trunk.select().order_by(Trunk.name))
        if not rows:
            return []
        with ThreadPoolExecutor(max_workers=min(8, len(rows))) as pool:
            return list(pool.map(self._status_of, rows))

    def _status_of(self, row: Trunk) -> TrunkStatus:
        if not row.enabled:
            return TrunkStatus(row.name, DISABLED, None, None)
        target = row.outbound_proxy or f"{row.host}:{row.port}"
        host, _, port = (
            target.rpartition(":") if ":" in target else (target, "", "5060")
        )
        reply = probe.options_ping(host, int(port or 5060), row.transport)
        flags = None
        if row.kind == "register" and self.rpc is not None:
            reg = registrations.state(self.rpc, row.name)
            flags = reg.flags if reg.known else None
            if reg.registered:
                return TrunkStatus(row.name, REGISTERED, reply, flags)
            if reply is None:
                return TrunkStatus(row.name, UNREACHABLE, reply, flags)
            # uac keeps no reply code: a finished attempt that did not
            # register, at a server that answers SIP, was refused by it
            # (it logs "authentication failed" for the same).
            attempted = reg.flags & registrations.FLAG_INITIALIZED
            ongoing = reg.flags & registrations.FLAG_ONGOING
            if reg.known and attempted and not ongoing:
                return TrunkStatus(row.name, FAILED_AUTH, reply, flags)
            state = REGISTERING if reg.known else UNKNOWN
            return TrunkStatus(row.name, state, reply, flags)
        return TrunkStatus(row.name, REACHABLE if reply else UNREACHABLE, reply, flags)


def _iso(value: dt.datetime) -> str:
    return value.replace(tzinfo=dt.UTC).isoformat()
