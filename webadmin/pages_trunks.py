"""The pages for calls to and from the outside world: trunks (with their
live state), outbound and inbound routes, and the call records with their
Master.csv download. The same services as the CLI and the REST API."""

from __future__ import annotations

import logging

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.cdr import records
from agent.destinations import Destination, destination_parts
from agent.errors import Forbidden, InvalidInput, PbxError
from agent.recordings import service as recordings
from agent.routes.service import (
    InboundRouteInfo,
    OutboundRouteInfo,
    PatternSpec,
    RouteService,
)
from agent.trunks import rules
from agent.trunks.service import TrunkInfo, TrunkService
from webadmin import access, api_recordings, form_versions, problems
from webadmin.pages import _field_errors, _form, render

log = logging.getLogger("edgepbx.web")

TRUNK_FORM = (
    "name",
    "kind",
    "host",
    "port",
    "transport",
    "username",
    "password",
    "caller_id_header",
    "did_header",
    "codecs",
    "main_number",
)
ROUTE_FORM = ("name", "patterns", "trunks", "extensions", "caller_id")
ROUTE_EDIT_FORM = (*ROUTE_FORM, "enabled", "editing", "version")
INBOUND_FORM = ("did", "destination", "caller_id")
INBOUND_EDIT_FORM = (
    *("in_" + name for name in INBOUND_FORM),
    "in_editing",
    "in_editing_caller",
    "in_version",
)
SEARCH_FIELDS = ("since", "until", "number", "disposition")


def trunk_row(trunk: TrunkInfo) -> dict:
    """A trunk as its row on the Trunks page shows it; the row's forms
    (codecs, main number, recording) carry the version of this
    (webadmin.form_versions)."""
    return {
        "name": trunk.name,
        "kind": trunk.kind,
        "server": f"{trunk.host}:{trunk.port} {trunk.transport}",
        "account": trunk.username,
        "dids": trunk.dids,
        "codecs": ",".join(trunk.codecs) if trunk.codecs else rules.ANY_CODEC,
        "main_number": trunk.main_number or "",
        "recording": trunk.recording,
    }


def outbound_values(route: OutboundRouteInfo) -> dict:
    """An outbound route as its edit form shows it."""
    return {
        "name": route.name,
        "patterns": " ".join(str(p) for p in route.patterns),
        "trunks": " ".join(route.trunks),
        "extensions": " ".join(route.extensions),
        "caller_id": route.caller_id or "",
        "enabled": "on" if route.enabled else "",
        "editing": route.name,
    }


def inbound_values(route: InboundRouteInfo) -> dict:
    """An inbound route as its edit form shows it."""
    return {
        "in_did": route.did,
        "in_caller_id": route.caller_id,
        "in_destination": str(Destination(route.destination_kind, route.destination)),
        "in_editing": route.did,
        "in_editing_caller": route.caller_id,
    }


def with_version(values: dict, field: str) -> dict:
    """The form's values with the version of the row they show (an edit or
    remove form refuses to act on a row changed since: form_versions)."""
    return values | {field: form_versions.version_of(values)}


def _inbound_errors(exc: PbxError) -> dict:
    """A refusal beside the inbound form's field (its names start in_)."""
    shown = _field_errors(exc, {"destination_kind": "destination"})
    return {"in_" + k: v for k, v in shown.items()}


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def trunks() -> TrunkService:
        return TrunkService(
            appliance.key, access.current().principal, appliance.kamailio
        )

    def routes() -> RouteService:
        return RouteService(access.current().principal)

    def forbidden(exc: Forbidden) -> str:
        return render("error", 403, title="Forbidden", message=str(exc))

    def trunks_page(values: dict, errors: dict, status: int = 200) -> str:
        try:
            service = trunks()
            rows = service.list()
            states = {s.name: s.state for s in service.status()}
        except Forbidden as exc:
            return forbidden(exc)
        return render(
            "trunks",
            status,
            title="Trunks",
            trunks=rows,
            states=states,
            values=values,
            errors=errors,
            rules=rules,
            versions={t.name: form_versions.version_of(trunk_row(t)) for t in rows},
        )

    def check_trunk_version(name: str) -> None:
        """Refuse a row's form loaded before the trunk changed (or went)."""
        current = next((t for t in trunks().list() if t.name == name), None)
        form_versions.check_edit(
            "trunk",
            name,
            None if current is None else trunk_row(current),
            _form("version"),
        )

    @app.post("/trunks/<name>/recording")
    def set_trunk_recording(name: str) -> str:
        principal = access.current().principal
        choice = _form("recording")
        try:
            if choice not in {"on", "off"}:
                raise InvalidInput("recording", choice, "on or off")
            check_trunk_version(name)
            recordings.set_trunk_recording(principal, name, choice == "on")
        except Forbidden as exc:
            return forbidden(exc)
        except form_versions.ChangedMeanwhile as exc:
            return trunks_page({}, {"changed": str(exc)}, exc.status)
        except PbxError as exc:
            return trunks_page({}, _field_errors(exc), 422)
        log.info("trunk %s: recording %s, by %s", name, choice, principal.name)
        bottle.redirect("/trunks", 303)

    @app.post("/trunks/<name>/codecs")
    def set_trunk_codecs(name: str) -> str:
        try:
            check_trunk_version(name)
            info = trunks().update(name, codecs=_form("codecs"))
        except Forbidden as exc:
            return forbidden(exc)
        except form_versions.ChangedMeanwhile as exc:
            return trunks_page({}, {"changed": str(exc)}, exc.status)
        except PbxError as exc:
            return trunks_page({}, _field_errors(exc), 422)
        shown = ",".join(info.codecs) if info.codecs else rules.ANY_CODEC
        log.info(
            "trunk %s: codecs %s, by %s",
            name,
            shown,
            access.current().principal.name,
        )
        bottle.redirect("/trunks", 303)

    @app.post("/trunks/<name>/main-number")
    def set_trunk_main_number(name: str) -> str:
        try:
            check_trunk_version(name)
            info = trunks().update(name, main_number=_form("main_number"))
        except Forbidden as exc:
            return forbidden(exc)
        except form_versions.ChangedMeanwhile as exc:
            return trunks_page({}, {"changed": str(exc)}, exc.status)
        except PbxError as exc:
            # Beside the row's field, where the refused number was typed.
            shown = _field_errors(exc, labels={"main_number": "Main number"})
            errors = {f"{field}:{name}": text for field, text in shown.items()}
            return trunks_page({}, errors, 422)
        log.info(
            "trunk %s: main number %s, by %s",
            name,
            info.main_number or "the first DID",
            access.current().principal.name,
        )
        bottle.redirect("/trunks", 303)

    @app.get("/trunks")
    def trunk_list() -> str:
        return trunks_page(
            {
                "kind": "register",
                "port": "5060",
                "caller_id_header": "pai",
                "codecs": rules.ANY_CODEC,
            },
            {},
        )

    @app.post("/trunks/new")
    def add_trunk() -> str:
        values = {name: _form(name) for name in TRUNK_FORM}
        try:
            info = trunks().add(
                values["name"],
                values["kind"],
                values["host"],
                port=values["port"] or rules.DEFAULT_SIP_PORT,
                transport=values["transport"] or "udp",
                username=values["username"] or None,
                password=values["password"] or None,
                caller_id_header=values["caller_id_header"] or "pai",
                did_header=values["did_header"] or "to",
                codecs=values["codecs"] or rules.ANY_CODEC,
                main_number=values["main_number"],
            )
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            values["password"] = ""
            shown = _field_errors(exc, labels={"main_number": "Main number"})
            return trunks_page(values, shown, 422)
        log.info("trunk %s: added by %s", info.name, access.current().principal.name)
        bottle.redirect("/trunks", 303)

    def routes_page(
        values: dict, errors: dict, status: int = 200, notices: list | None = None
    ) -> str:
        try:
            outbound = routes().list_outbound()
            inbound = routes().list_inbound()
            destinations = routes().destination_choices()
        except Forbidden as exc:
            return forbidden(exc)
        values = dict(values)
        editing = bottle.request.query.getunicode("outbound", "")
        for route in outbound:
            if route.name == editing and "name" not in values:
                values.update(with_version(outbound_values(route), "version"))
        editing = bottle.request.query.getunicode("inbound", "")
        caller = bottle.request.query.getunicode("caller", "") or ""
        for route in inbound:
            chosen = (route.did, route.caller_id) == (editing, caller)
            if chosen and "in_did" not in values:
                values.update(with_version(inbound_values(route), "in_version"))
        return render(
            "routes",
            status,
            title="Routes",
            outbound=outbound,
            inbound=inbound,
            destinations=destinations,
            values=values,
            errors=errors,
            notices=notices or [],
            outbound_versions={
                r.name: form_versions.version_of(outbound_values(r)) for r in outbound
            },
            inbound_versions={
                (r.did, r.caller_id): form_versions.version_of(inbound_values(r))
                for r in inbound
            },
        )

    def may_change() -> None:
        """Refuse a role that may not change routes before anything else, so
        it learns nothing from a version check."""
        access.current().principal.require(Permission.MANAGE_CALL_ROUTING)

    def outbound_now(name: str) -> OutboundRouteInfo | None:
        return next((r for r in routes().list_outbound() if r.name == name), None)

    def inbound_now(did: str, caller: str) -> InboundRouteInfo | None:
        return next(
            (
                r
                for r in routes().list_inbound()
                if (r.did, r.caller_id) == (did, caller)
            ),
            None,
        )

    @app.get("/routes")
    def route_list() -> str:
        return routes_page({}, {})

    @app.post("/routes/outbound/new")
    def add_outbound() -> str:
        values = {name: _form(name) for name in ROUTE_FORM}
        try:
            routes().add_outbound(
                values["name"],
                [PatternSpec.parse(p) for p in values["patterns"].split()],
                values["trunks"].replace(",", " ").split(),
                extensions=values["extensions"].replace(",", " ").split(),
                caller_id=values["caller_id"] or None,
            )
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            return routes_page(values, _field_errors(exc), 422)
        bottle.redirect("/routes", 303)

    @app.post("/routes/outbound/edit")
    def change_outbound() -> str:
        values = {name: _form(name) for name in ROUTE_EDIT_FORM}
        name = values["editing"]
        now = None
        try:
            may_change()
            now = outbound_now(name)
            form_versions.check_edit(
                "outbound route",
                name,
                None if now is None else outbound_values(now),
                values["version"],
            )
            service = routes()
            service.update_outbound(
                name,
                patterns=[PatternSpec.parse(p) for p in values["patterns"].split()],
                trunks=values["trunks"].replace(",", " ").split(),
                extensions=values["extensions"].replace(",", " ").split(),
                caller_id=values["caller_id"],
                enabled=values["enabled"] == "on",
            )
        except Forbidden as exc:
            return forbidden(exc)
        except form_versions.ChangedMeanwhile as exc:
            shown = with_version(outbound_values(now), "version")
            return routes_page(shown, {"form": str(exc)}, exc.status)
        except PbxError as exc:
            return routes_page(values, _field_errors(exc), 422)
        log.info(
            "outbound route %s: changed by %s", name, access.current().principal.name
        )
        if service.warnings:
            return routes_page({}, {}, 200, service.warnings)
        bottle.redirect("/routes", 303)

    @app.post("/routes/outbound/remove")
    def remove_outbound() -> str:
        name = _form("name")
        try:
            may_change()
            now = outbound_now(name)
            form_versions.check_edit(
                "outbound route",
                name,
                None if now is None else outbound_values(now),
                _form("version"),
            )
            warnings = routes().remove_outbound(name)
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            status = getattr(exc, "status", None) or problems.status_of(exc)
            return routes_page({}, {"removal": str(exc)}, status)
        log.info(
            "outbound route %s: removed by %s", name, access.current().principal.name
        )
        if warnings:
            return routes_page({}, {}, 200, warnings)
        bottle.redirect("/routes", 303)

    @app.post("/routes/inbound/new")
    def add_inbound() -> str:
        values = {"in_" + name: _form("in_" + name) for name in INBOUND_FORM}
        kind, name = destination_parts(values["in_destination"])
        try:
            routes().add_inbound(
                values["in_did"],
                name,
                destination_kind=kind,
                caller_id=values["in_caller_id"] or None,
            )
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            return routes_page(values, _inbound_errors(exc), 422)
        bottle.redirect("/routes", 303)

    @app.post("/routes/inbound/edit")
    def change_inbound() -> str:
        values = {name: _form(name) for name in INBOUND_EDIT_FORM}
        did, caller = values["in_editing"], values["in_editing_caller"]
        kind, target = destination_parts(values["in_destination"])
        now = None
        try:
            may_change()
            now = inbound_now(did, caller)
            form_versions.check_edit(
                "inbound route",
                did,
                None if now is None else inbound_values(now),
                values["in_version"],
            )
            routes().update_inbound(
                did,
                caller,
                destination=target,
                destination_kind=kind,
                new_caller_id=values["in_caller_id"],
            )
        except Forbidden as exc:
            return forbidden(exc)
        except form_versions.ChangedMeanwhile as exc:
            shown = with_version(inbound_values(now), "in_version")
            return routes_page(shown, {"in_form": str(exc)}, exc.status)
        except PbxError as exc:
            return routes_page(values, _inbound_errors(exc), 422)
        log.info(
            "inbound route %s: changed by %s", did, access.current().principal.name
        )
        bottle.redirect("/routes", 303)

    @app.post("/routes/inbound/remove")
    def remove_inbound() -> str:
        did, caller = _form("did"), _form("caller_id")
        try:
            may_change()
            now = inbound_now(did, caller)
            form_versions.check_edit(
                "inbound route",
                did,
                None if now is None else inbound_values(now),
                _form("version"),
            )
            routes().remove_inbound(did, caller)
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            status = getattr(exc, "status", None) or problems.status_of(exc)
            return routes_page({}, {"removal": str(exc)}, status)
        log.info(
            "inbound route %s: removed by %s", did, access.current().principal.name
        )
        bottle.redirect("/routes", 303)

    def search() -> tuple[dict, list, dict]:
        values = {
            name: bottle.request.query.getunicode(name, "") or ""
            for name in SEARCH_FIELDS
        }
        try:
            rows = records.search(
                access.current().principal,
                since=values["since"] or None,
                until=values["until"] or None,
                number=values["number"] or None,
                disposition=values["disposition"] or None,
                limit=records.PAGE_MAX,
            )
        except Forbidden:
            raise
        except PbxError as exc:
            return values, [], _field_errors(exc)
        return values, rows, {}

    @app.get("/calls")
    def call_list() -> str:
        try:
            values, rows, errors = search()
        except Forbidden as exc:
            return forbidden(exc)
        query = bottle.request.query_string
        principal = access.current().principal
        audio = api_recordings.players(
            principal, appliance.settings.recordings_dir, rows
        )
        return render(
            "calls",
            422 if errors else 200,
            title="Call records",
            calls=rows,
            values=values,
            errors=errors,
            dispositions=records.DISPOSITIONS,
            csv_link="/calls.csv" + (f"?{query}" if query else ""),
            can_listen=principal.can(Permission.LISTEN_RECORDINGS),
            audio=audio,
        )

    @app.get("/calls.csv")
    def call_csv() -> str:
        try:
            _, rows, errors = search()
        except Forbidden as exc:
            return forbidden(exc)
        if errors:
            bottle.response.status = 422
        bottle.response.content_type = "text/csv; charset=utf-8"
        bottle.response.set_header(
            "Content-Disposition", 'attachment; filename="Master.csv"'
        )
        return records.master_csv(rows)
