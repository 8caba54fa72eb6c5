"""``/api/v1`` for calls to and from the outside world: trunks, outbound and
inbound routes, ring groups, time conditions, the toll-fraud guard and call
records. The same services as the CLI, as the principal of the token or
session; refusals are problem details naming the field.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.cdr import records
from agent.errors import NotFound
from agent.routes import groups
from agent.routes import guard as call_guard
from agent.routes.service import PatternSpec, RouteService
from agent.trunks.service import TrunkService
from webadmin import access
from webadmin.api import (
    PREFIX,
    BadRequest,
    _json_response,
    api_route,
    json_object,
    known_query,
    tagged,
    unchanged_since_read,
)

log = logging.getLogger("edgepbx.web")

TRUNK_FIELDS = {
    "name": str,
    "kind": str,
    "host": str,
    "port": int,
    "transport": str,
    "outbound_proxy": str,
    "username": str,
    "auth_username": str,
    "password": str,
    "realm": str,
    "caller_id_header": str,
    "did_header": str,
    "dids": list,
    "enabled": bool,
    "codecs": (list, str),
    "main_number": str,
}
ROUTE_FIELDS = {
    "name": str,
    "patterns": list,
    "trunks": list,
    "extensions": list,
    "caller_id": str,
    "position": int,
    "enabled": bool,
}
INBOUND_FIELDS = {
    "did": str,
    "caller_id": str,
    "destination_kind": str,
    "destination": str,
}
GROUP_FIELDS = {
    "number": str,
    "name": str,
    "strategy": str,
    "members": list,
    "ring_time_s": int,
    "failover": str,
}
CONDITION_FIELDS = {
    "name": str,
    "timezone": str,
    "hours": dict,
    "holidays": list,
    "open_destination": str,
    "closed_destination": str,
    "mode": str,
    "add_holidays": list,
    "remove_holidays": list,
}
GUARD_FIELDS = {
    "allowed_countries": list,
    "extension_countries": dict,
    "international_prefixes": list,
    "per_extension_calls": int,
    "total_calls": int,
    "window_s": int,
    "concurrent_calls": int,
}


def _body(fields: dict[str, type]) -> dict:
    """The JSON object sent (the API's one reader), each field of its type."""
    return json_object(fields)


def _target(text: str | None, field: str) -> tuple[str, str]:
    kind, sep, name = (text or "").partition(":")
    if not sep and kind != "hangup":
        raise BadRequest(
            f"{field}: KIND:TARGET, like extension:101, or hangup", field=field
        )
    return kind, name


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def principal():
        return access.current().principal

    def trunks() -> TrunkService:
        return TrunkService(appliance.key, principal(), appliance.kamailio)

    def routes() -> RouteService:
        return RouteService(principal())

    def group_service() -> groups.GroupService:
        return groups.GroupService(principal())

    # -- trunks --------------------------------------------------------------

    @app.get(f"{PREFIX}/trunks")
    @api_route
    def list_trunks() -> str:
        return _json_response([t.to_dict() for t in trunks().list()])

    @app.post(f"{PREFIX}/trunks")
    @api_route
    def add_trunk() -> str:
        body = _body(TRUNK_FIELDS)
        body.pop("enabled", None)
        info = trunks().add(
            body.pop("name", ""),
            body.pop("kind", ""),
            body.pop("host", ""),
            **{k: v for k, v in body.items() if v is not None},
        )
        log.info("trunk %s: added by %s", info.name, principal().name)
        bottle.response.set_header("Location", f"{PREFIX}/trunks/{info.name}")
        return _json_response(info.to_dict(), 201)

    @app.get(f"{PREFIX}/trunks/<trunk>")
    @api_route
    def get_trunk(trunk: str) -> str:
        return _json_response(tagged(trunks().get(trunk).to_dict()))

    @app.patch(f"{PREFIX}/trunks/<trunk>")
    @api_route
    def change_trunk(trunk: str) -> str:
        body = _body(
            {k: v for k, v in TRUNK_FIELDS.items() if k not in {"name", "dids"}}
        )
        password = body.pop("password", None)
        service = trunks()
        unchanged_since_read("trunk", trunk, lambda: service.get(trunk).to_dict())
        return _json_response(
            tagged(service.update(trunk, password=password, **body).to_dict())
        )

    @app.delete(f"{PREFIX}/trunks/<trunk>")
    @api_route
    def delete_trunk(trunk: str) -> str:
        service = trunks()
        unchanged_since_read("trunk", trunk, lambda: service.get(trunk).to_dict())
        service.remove(trunk)
        bottle.response.status = 204
        return ""

    @app.get(f"{PREFIX}/trunks/<trunk>/status")
    @api_route
    def trunk_status(trunk: str) -> str:
        return _json_response(trunks().status(trunk)[0].to_dict())

    @app.post(f"{PREFIX}/trunks/<trunk>/dids")
    @api_route
    def add_dids(trunk: str) -> str:
        body = _body({"dids": list})
        return _json_response(
            trunks().add_dids(trunk, body.get("dids") or []).to_dict()
        )

    @app.delete(f"{PREFIX}/trunks/<trunk>/dids/<did>")
    @api_route
    def remove_did(trunk: str, did: str) -> str:
        return _json_response(trunks().remove_did(trunk, did).to_dict())

    # -- outbound routes -----------------------------------------------------

    def patterns(body: dict) -> list[PatternSpec] | None:
        items = body.get("patterns")
        if items is None:
            return None
        out = []
        for item in items:
            if isinstance(item, str):
                out.append(PatternSpec.parse(item))
            elif isinstance(item, dict) and isinstance(item.get("pattern"), str):
                strip = item.get("strip", 0)
                if not isinstance(strip, int) or isinstance(strip, bool):
                    raise BadRequest("strip: must be a whole number", field="strip")
                out.append(
                    PatternSpec(item["pattern"], strip, str(item.get("prepend", "")))
                )
            else:
                raise BadRequest(
                    "patterns: strings or {pattern, strip, prepend}", field="patterns"
                )
        return out

    @app.get(f"{PREFIX}/outbound-routes")
    @api_route
    def list_outbound() -> str:
        return _json_response([r.to_dict() for r in routes().list_outbound()])

    @app.post(f"{PREFIX}/outbound-routes")
    @api_route
    def add_outbound() -> str:
        body = _body(ROUTE_FIELDS)
        info = routes().add_outbound(
            body.get("name") or "",
            patterns(body) or [],
            body.get("trunks") or [],
            extensions=body.get("extensions") or [],
            caller_id=body.get("caller_id"),
            position=body.get("position"),
        )
        return _json_response(info.to_dict(), 201)

    def outbound(service: RouteService, name: str) -> dict:
        """One outbound route as the API shows it (and its ETag covers)."""
        return service.outbound(name).to_dict()

    @app.get(f"{PREFIX}/outbound-routes/<route>")
    @api_route
    def get_outbound(route: str) -> str:
        return _json_response(tagged(outbound(routes(), route)))

    @app.patch(f"{PREFIX}/outbound-routes/<route>")
    @api_route
    def change_outbound(route: str) -> str:
        body = _body({k: v for k, v in ROUTE_FIELDS.items() if k != "name"})
        service = routes()
        unchanged_since_read("outbound route", route, lambda: outbound(service, route))
        info = service.update_outbound(
            route,
            patterns=patterns(body),
            trunks=body.get("trunks"),
            extensions=body.get("extensions"),
            caller_id=body.get("caller_id"),
            enabled=body.get("enabled"),
        )
        warnings = service.warnings
        if body.get("position") is not None:
            service.move_outbound(route, body["position"])
            info = next(r for r in service.list_outbound() if r.name == info.name)
        return _json_response(
            tagged(info.to_dict() | {"warnings": warnings}, info.to_dict())
        )

    @app.delete(f"{PREFIX}/outbound-routes/<route>")
    @api_route
    def delete_outbound(route: str) -> str:
        service = routes()
        unchanged_since_read("outbound route", route, lambda: outbound(service, route))
        warnings = service.remove_outbound(route)
        if warnings:
            return _json_response({"warnings": warnings})
        bottle.response.status = 204
        return ""

    # -- inbound routes ------------------------------------------------------

    @app.get(f"{PREFIX}/inbound-routes")
    @api_route
    def list_inbound() -> str:
        return _json_response([r.to_dict() for r in routes().list_inbound()])

    @app.post(f"{PREFIX}/inbound-routes")
    @api_route
    def add_inbound() -> str:
        body = _body(INBOUND_FIELDS)
        info = routes().add_inbound(
            body.get("did") or "",
            body.get("destination") or "",
            destination_kind=body.get("destination_kind") or "extension",
            caller_id=body.get("caller_id"),
        )
        return _json_response(info.to_dict(), 201)

    def inbound(service: RouteService, did: str) -> dict:
        """The inbound route of did for the query's caller_id (or for
        anyone), as the API shows it (and its ETag covers)."""
        caller_id = bottle.request.query.get("caller_id") or ""
        return service.inbound(did, caller_id).to_dict()

    def inbound_unchanged(service: RouteService, did: str) -> None:
        unchanged_since_read("inbound route", did, lambda: inbound(service, did))

    @app.get(f"{PREFIX}/inbound-routes/<did>")
    @api_route
    def get_inbound(did: str) -> str:
        known_query("caller_id")
        return _json_response(tagged(inbound(routes(), did)))

    @app.patch(f"{PREFIX}/inbound-routes/<did>")
    @api_route
    def change_inbound(did: str) -> str:
        known_query("caller_id")
        body = _body({k: v for k, v in INBOUND_FIELDS.items() if k != "did"})
        service = routes()
        inbound_unchanged(service, did)
        info = service.update_inbound(
            did,
            bottle.request.query.get("caller_id"),
            destination=body.get("destination"),
            destination_kind=body.get("destination_kind"),
            new_caller_id=body.get("caller_id"),
        )
        return _json_response(tagged(info.to_dict()))

    @app.delete(f"{PREFIX}/inbound-routes/<did>")
    @api_route
    def delete_inbound(did: str) -> str:
        service = routes()
        inbound_unchanged(service, did)
        service.remove_inbound(did, bottle.request.query.get("caller_id"))
        bottle.response.status = 204
        return ""

    # -- ring groups and time conditions -------------------------------------

    @app.get(f"{PREFIX}/ring-groups")
    @api_route
    def list_groups() -> str:
        return _json_response([g.to_dict() for g in group_service().list_ring_groups()])

    @app.post(f"{PREFIX}/ring-groups")
    @api_route
    def add_group() -> str:
        return save_group(None)

    def ring_group(number: str) -> dict:
        """One ring group as the API shows it (and its ETag covers)."""
        for info in group_service().list_ring_groups():
            if info.number == number:
                return info.to_dict()
        raise NotFound(f'ring group "{number}": no such group', field="group")

    @app.get(f"{PREFIX}/ring-groups/<group>")
    @api_route
    def get_group(group: str) -> str:
        return _json_response(tagged(ring_group(group)))

    @app.put(f"{PREFIX}/ring-groups/<group>")
    @api_route
    def replace_group(group: str) -> str:
        return save_group(group)

    def save_group(number: str | None) -> str:
        """Add a ring group, or (number given) replace every field of one."""
        body = _body(GROUP_FIELDS)
        members = []
        for m in body.get("members") or []:
            if not isinstance(m, dict) or not isinstance(m.get("extension"), str):
                raise BadRequest(
                    "members: {extension, ring_time_s} objects", field="members"
                )
            members.append((m["extension"], m.get("ring_time_s")))
        if number is not None:
            unchanged_since_read("ring group", number, lambda: ring_group(number))
        info = group_service().add_ring_group(
            number or body.get("number") or "",
            body.get("name") or "",
            body.get("strategy") or "all",
            members,
            ring_time_s=body.get("ring_time_s") or 20,
            failover=body.get("failover"),
            replace=number is not None,
        )
        return _json_response(tagged(info.to_dict()), 201 if number is None else 200)

    @app.delete(f"{PREFIX}/ring-groups/<group>")
    @api_route
    def delete_group(group: str) -> str:
        unchanged_since_read("ring group", group, lambda: ring_group(group))
        group_service().remove_ring_group(group)
        bottle.response.status = 204
        return ""

    def spans(items, field: str) -> list[list[str]]:
        out = []
        for item in items or []:
            if not isinstance(item, str):
                raise BadRequest(f"{field}: dates or ranges as strings", field=field)
            out.append(groups.parse_holiday(item))
        return out

    @app.get(f"{PREFIX}/time-conditions")
    @api_route
    def list_conditions() -> str:
        items = group_service().list_time_conditions()
        return _json_response([c.to_dict() for c in items])

    @app.post(f"{PREFIX}/time-conditions")
    @api_route
    def add_condition() -> str:
        return save_condition(None)

    @app.put(f"{PREFIX}/time-conditions/<condition>")
    @api_route
    def replace_condition(condition: str) -> str:
        return save_condition(condition)

    def save_condition(name: str | None) -> str:
        """Add a time condition, or (name given) replace its hours, holidays
        and targets."""
        body = _body(CONDITION_FIELDS)
        hours = body.get("hours") or {}
        items = [
            f"{day}={span[0]}-{span[1]}"
            for day, day_spans in hours.items()
            for span in (day_spans if isinstance(day_spans, list) else [None])
            if isinstance(span, list) and len(span) == 2
        ]
        info = group_service().add_time_condition(
            name or body.get("name") or "",
            body.get("timezone") or "",
            groups.parse_hours(items),
            _target(body.get("open_destination"), "open_destination"),
            _target(body.get("closed_destination"), "closed_destination"),
            spans(body.get("holidays"), "holidays"),
            replace=name is not None,
        )
        return _json_response(info.to_dict(), 201 if name is None else 200)

    @app.patch(f"{PREFIX}/time-conditions/<condition>")
    @api_route
    def change_condition(condition: str) -> str:
        body = _body({"mode": str, "add_holidays": list, "remove_holidays": list})
        info = group_service().set_time_condition(
            condition,
            mode=body.get("mode"),
            add_holidays=spans(body.get("add_holidays"), "add_holidays"),
            remove_holidays=spans(body.get("remove_holidays"), "remove_holidays"),
        )
        return _json_response(info.to_dict())

    # -- toll-fraud guard and call records -----------------------------------

    @app.get(f"{PREFIX}/call-guard")
    @api_route
    def get_guard() -> str:
        return _json_response(call_guard.current(principal()).to_dict())

    @app.patch(f"{PREFIX}/call-guard")
    @api_route
    def change_guard() -> str:
        body = _body(GUARD_FIELDS)
        return _json_response(call_guard.change(principal(), **body).to_dict())

    @app.get(f"{PREFIX}/cdr")
    @api_route
    def list_cdr() -> str:
        known_query("since", "until", "number", "disposition", "limit", "format")
        query = bottle.request.query
        limit = query.get("limit") or "100"
        if not (limit.isascii() and limit.isdigit()):
            raise BadRequest("limit: a whole number", field="limit")
        rows = records.search(
            principal(),
            since=query.get("since") or None,
            until=query.get("until") or None,
            number=query.get("number") or None,
            disposition=query.get("disposition") or None,
            limit=int(limit),
        )
        if query.get("format") == "csv":
            bottle.response.content_type = "text/csv; charset=utf-8"
            bottle.response.set_header(
                "Content-Disposition", 'attachment; filename="Master.csv"'
            )
            return records.master_csv(rows)
        return _json_response([r.to_dict() for r in rows])
