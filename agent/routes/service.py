"""The route service: outbound routes (ordered) and inbound routes (by DID).

Same rules as every service: validate everything first, write once in one
transaction with the audit entry, name the field on refusal. The routing
inside Kamailio reads these tables at its next call.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import Extension
from agent.destinations import KINDS, Destination, choices
from agent.errors import AlreadyExists, InvalidInput, NotFound
from agent.extensions.features import uncarried_forwards, uncarried_sentences
from agent.routes.groups import check_destination
from agent.sip.dial_patterns import PatternError, compile_pattern
from agent.trunks import rules
from agent.trunks.models import (
    DialPatternRow,
    InboundRoute,
    OutboundRoute,
    OutboundRouteTrunk,
    Trunk,
)

STRIP_MAX = 32
_PREPEND = re.compile(r"\+?[0-9*#]{0,31}")
#: Where an inbound route may send a DID's calls (agent/destinations.py).
DESTINATION_KINDS = KINDS


@dataclass(frozen=True)
class PatternSpec:
    """One dial pattern with what to strip from and prepend to the number."""

    pattern: str
    strip: int = 0
    prepend: str = ""

    @classmethod
    def parse(cls, text: str) -> PatternSpec:
        """PATTERN[/STRIP[/PREPEND]], as typed at the CLI: "0044./4/+44"."""
        parts = text.split("/")
        if len(parts) > 3:
            raise InvalidInput(
                "pattern", text, "PATTERN, PATTERN/STRIP or PATTERN/STRIP/PREPEND"
            )
        strip = parts[1] if len(parts) > 1 else "0"
        if not (strip.isascii() and strip.isdigit()):
            raise InvalidInput("strip", strip, "a count of digits, 0 or more")
        return cls(parts[0], int(strip), parts[2] if len(parts) > 2 else "")

    def __str__(self) -> str:
        return f"{self.pattern}/{self.strip}/{self.prepend}"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class OutboundRouteInfo:
    name: str
    position: int
    patterns: list[PatternSpec]
    trunks: list[str]
    extensions: list[str]
    caller_id: str | None
    enabled: bool

    @classmethod
    def of(cls, row: OutboundRoute) -> OutboundRouteInfo:
        return cls(
            name=row.name,
            position=row.position,
            patterns=[
                PatternSpec(p.pattern, p.strip, p.prepend)
                for p in row.patterns.order_by(DialPatternRow.position)
            ],
            trunks=[
                link.trunk.name
                for link in row.trunk_links.order_by(OutboundRouteTrunk.position)
            ],
            extensions=json.loads(row.extensions or "[]"),
            caller_id=row.caller_id,
            enabled=bool(row.enabled),
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class InboundRouteInfo:
    did: str
    caller_id: str
    destination_kind: str
    destination: str

    @classmethod
    def of(cls, row: InboundRoute) -> InboundRouteInfo:
        return cls(row.did, row.caller_id, row.destination_kind, row.destination)

    def to_dict(self) -> dict:
        return asdict(self)


def _pattern(spec: PatternSpec) -> PatternSpec:
    try:
        compiled = compile_pattern(spec.pattern)
    except PatternError as exc:
        raise InvalidInput("pattern", spec.pattern, str(exc)) from None
    if not 0 <= spec.strip <= STRIP_MAX:
        raise InvalidInput("strip", spec.strip, f"0 to {STRIP_MAX} digits")
    if not _PREPEND.fullmatch(spec.prepend):
        raise InvalidInput("prepend", spec.prepend, "digits, * or #, or a leading +")
    del compiled
    return spec


class RouteService:
    def __init__(self, actor: Principal) -> None:
        self.actor = actor
        #: What the last change of an outbound route left behind, in plain
        #: sentences: the saved forwards to outside numbers that it leaves
        #: without a route. Such a change is allowed, not refused: a route
        #: goes when its carrier contract ends or its trunk is replaced, and
        #: an office manager expects the route page to do that and say what
        #: else it touches, not to make them first undo each person's
        #: forward; the routing then treats the forward as not set.
        self.warnings: list[str] = []

    # -- outbound ------------------------------------------------------------

    def _outbound(self, name: str) -> OutboundRoute:
        row = OutboundRoute.get_or_none(OutboundRoute.name == (name or "").strip())
        if row is None:
            raise NotFound(f'outbound route "{name}": no such route', field="route")
        return row

    def _checked_outbound(
        self, patterns: list[PatternSpec], trunks: list[str], extensions: list[str]
    ) -> tuple[list[PatternSpec], list[Trunk], list[str]]:
        if not patterns:
            raise InvalidInput(
                "patterns", None, "a route needs at least one dial pattern"
            )
        clean = [_pattern(p) for p in patterns]
        if not trunks:
            raise InvalidInput("trunks", None, "a route needs at least one trunk")
        if len(set(trunks)) != len(trunks):
            raise InvalidInput("trunks", None, "a trunk is listed twice")
        rows = []
        for name in trunks:
            row = Trunk.get_or_none(Trunk.name == name)
            if row is None:
                raise InvalidInput("trunks", name, "no such trunk")
            rows.append(row)
        for number in extensions:
            if not Extension.select().where(Extension.number == number).exists():
                raise InvalidInput("extensions", number, "no such extension")
        return clean, rows, sorted(set(extensions))

    def add_outbound(
        self,
        name: str,
        patterns: list[PatternSpec],
        trunks: list[str],
        extensions: list[str] | None = None,
        caller_id: str | None = None,
        position: int | None = None,
    ) -> OutboundRouteInfo:
        """Add a route; at the end of the order unless a position is given."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        name = rules.name(name)
        caller_id = rules.number("caller_id", caller_id)
        clean, trunk_rows, allowed = self._checked_outbound(
            patterns, trunks, extensions or []
        )
        with database.atomic():
            if OutboundRoute.select().where(OutboundRoute.name == name).exists():
                raise AlreadyExists(
                    f'outbound route "{name}": already exists', field="name"
                )
            count = OutboundRoute.select().count()
            if position is None:
                position = count + 1
            if not 1 <= position <= count + 1:
                raise InvalidInput("position", position, f"1 to {count + 1}")
            OutboundRoute.update(position=OutboundRoute.position + 1).where(
                OutboundRoute.position >= position
            ).execute()
            row = OutboundRoute.create(
                name=name,
                position=position,
                caller_id=caller_id,
                extensions=json.dumps(allowed),
            )
            self._write_parts(row, clean, trunk_rows)
            info = OutboundRouteInfo.of(row)
            audit.record(
                self.actor, "create", "outbound_route", name, None, info.to_dict()
            )
        return info

    def _write_parts(
        self, row: OutboundRoute, patterns: list[PatternSpec], trunks: list[Trunk]
    ) -> None:
        DialPatternRow.delete().where(DialPatternRow.route == row).execute()
        OutboundRouteTrunk.delete().where(OutboundRouteTrunk.route == row).execute()
        for i, spec in enumerate(patterns, 1):
            DialPatternRow.create(
                route=row,
                position=i,
                pattern=spec.pattern,
                strip=spec.strip,
                prepend=spec.prepend,
            )
        for i, trunk in enumerate(trunks, 1):
            OutboundRouteTrunk.create(route=row, trunk=trunk, position=i)

    def update_outbound(
        self,
        name: str,
        patterns: list[PatternSpec] | None = None,
        trunks: list[str] | None = None,
        extensions: list[str] | None = None,
        caller_id: str | None = None,
        enabled: bool | None = None,
    ) -> OutboundRouteInfo:
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        with database.atomic():
            row = self._outbound(name)
            uncarried = uncarried_forwards()
            before = OutboundRouteInfo.of(row)
            clean, trunk_rows, allowed = self._checked_outbound(
                patterns if patterns is not None else before.patterns,
                trunks if trunks is not None else before.trunks,
                extensions if extensions is not None else before.extensions,
            )
            if caller_id is not None:
                row.caller_id = rules.number("caller_id", caller_id)
            if enabled is not None:
                row.enabled = enabled
            row.extensions = json.dumps(allowed)
            row.save()
            self._write_parts(row, clean, trunk_rows)
            info = OutboundRouteInfo.of(row)
            audit.record(
                self.actor,
                "update",
                "outbound_route",
                row.name,
                before.to_dict(),
                info.to_dict(),
            )
            self.warnings = uncarried_sentences(uncarried_forwards() - uncarried)
        return info

    def move_outbound(self, name: str, position: int) -> list[OutboundRouteInfo]:
        """Put a route at a position (1 = tried first); the new order."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        with database.atomic():
            row = self._outbound(name)
            ordered = [
                r
                for r in OutboundRoute.select().order_by(OutboundRoute.position)
                if r.id != row.id
            ]
            if not 1 <= position <= len(ordered) + 1:
                raise InvalidInput("position", position, f"1 to {len(ordered) + 1}")
            ordered.insert(position - 1, row)
            for i, r in enumerate(ordered, 1):
                OutboundRoute.update(position=i).where(
                    OutboundRoute.id == r.id
                ).execute()
            audit.record(
                self.actor,
                "update",
                "outbound_route",
                row.name,
                None,
                {"position": position},
            )
        return self.list_outbound()

    def remove_outbound(self, name: str) -> list[str]:
        """Remove a route; what it leaves behind (see ``warnings``)."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        with database.atomic():
            row = self._outbound(name)
            uncarried = uncarried_forwards()
            before = OutboundRouteInfo.of(row).to_dict()
            row.delete_instance()
            for i, r in enumerate(
                OutboundRoute.select().order_by(OutboundRoute.position), 1
            ):
                OutboundRoute.update(position=i).where(
                    OutboundRoute.id == r.id
                ).execute()
            audit.record(self.actor, "delete", "outbound_route", row.name, before, None)
            self.warnings = uncarried_sentences(uncarried_forwards() - uncarried)
        return self.warnings

    def outbound(self, name: str) -> OutboundRouteInfo:
        """One outbound route, or NotFound naming it."""
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        return OutboundRouteInfo.of(self._outbound(name))

    def list_outbound(self) -> list[OutboundRouteInfo]:
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        return [
            OutboundRouteInfo.of(r)
            for r in OutboundRoute.select().order_by(OutboundRoute.position)
        ]

    # -- inbound -------------------------------------------------------------

    def add_inbound(
        self,
        did: str,
        destination: str,
        destination_kind: str = "extension",
        caller_id: str | None = None,
    ) -> InboundRouteInfo:
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        did = rules.did(did)
        caller_id = rules.number("caller_id", caller_id) or ""
        kind = rules.choice("destination_kind", destination_kind, DESTINATION_KINDS)
        kind, destination = check_destination("destination", kind, destination)
        with database.atomic():
            taken = InboundRoute.get_or_none(
                InboundRoute.did == did, InboundRoute.caller_id == caller_id
            )
            if taken is not None:
                who = f" from {caller_id}" if caller_id else ""
                raise AlreadyExists(
                    f'did "{did}": calls{who} already go to '
                    f"{Destination(taken.destination_kind, taken.destination)}",
                    field="did",
                )
            row = InboundRoute.create(
                did=did,
                caller_id=caller_id,
                destination_kind=kind,
                destination=destination,
            )
            info = InboundRouteInfo.of(row)
            audit.record(
                self.actor, "create", "inbound_route", did, None, info.to_dict()
            )
        return info

    def update_inbound(
        self,
        did: str,
        caller_id: str | None = None,
        destination: str | None = None,
        destination_kind: str | None = None,
        new_caller_id: str | None = None,
    ) -> InboundRouteInfo:
        """Change where a DID's calls (from ``caller_id``, or from anyone) go,
        or which caller the route is for; the same rules as adding one."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        did = rules.did(did)
        with database.atomic():
            row = _inbound_route(did, caller_id)
            before = InboundRouteInfo.of(row)
            kind = rules.choice(
                "destination_kind",
                destination_kind or before.destination_kind,
                DESTINATION_KINDS,
            )
            if destination is None:
                # A new kind without a target: hangup, or refused as empty.
                kept = destination_kind is None
                destination = before.destination if kept else ""
            kind, target = check_destination("destination", kind, destination)
            if new_caller_id is not None:
                match = rules.number("caller_id", new_caller_id) or ""
                taken = InboundRoute.get_or_none(
                    InboundRoute.did == did,
                    InboundRoute.caller_id == match,
                    InboundRoute.id != row.id,
                )
                if taken is not None:
                    who = f" from {match}" if match else ""
                    raise AlreadyExists(
                        f'did "{did}": calls{who} already go to '
                        f"{Destination(taken.destination_kind, taken.destination)}",
                        field="caller_id",
                    )
                row.caller_id = match
            row.destination_kind = kind
            row.destination = target
            row.save()
            info = InboundRouteInfo.of(row)
            audit.record(
                self.actor,
                "update",
                "inbound_route",
                did,
                before.to_dict(),
                info.to_dict(),
            )
        return info

    def remove_inbound(self, did: str, caller_id: str | None = None) -> None:
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        did = rules.did(did)
        with database.atomic():
            row = _inbound_route(did, caller_id)
            before = InboundRouteInfo.of(row).to_dict()
            row.delete_instance()
            audit.record(self.actor, "delete", "inbound_route", did, before, None)

    def destination_choices(
        self, kinds: tuple[str, ...] = DESTINATION_KINDS
    ) -> list[tuple[str, str]]:
        """The destinations of kinds that exist, for a form's select."""
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        return choices(kinds)

    def inbound(self, did: str, caller_id: str | None) -> InboundRouteInfo:
        """The inbound route of did for caller_id (or for anyone), or
        NotFound naming the DID."""
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        return InboundRouteInfo.of(_inbound_route(did, caller_id))

    def list_inbound(self) -> list[InboundRouteInfo]:
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        query = InboundRoute.select().order_by(InboundRoute.did, InboundRoute.caller_id)
        return [InboundRouteInfo.of(r) for r in query]


def _inbound_route(did: str, caller_id: str | None) -> InboundRoute:
    """The inbound route of did for caller_id (or for anyone), or NotFound."""
    row = InboundRoute.get_or_none(
        InboundRoute.did == did, InboundRoute.caller_id == (caller_id or "")
    )
    if row is None:
        raise NotFound(f'did "{did}": no inbound route', field="did")
    return row
