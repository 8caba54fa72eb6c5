"""The pages for calls to and from the outside world: trunks (with their
live state), outbound and inbound routes, and the call records with their
Master.csv download. The same services as the CLI and the REST API."""

from __future__ import annotations

import logging

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.cdr import records
from agent.destinations import destination_parts
from agent.errors import Forbidden, InvalidInput, PbxError
from agent.recordings import service as recordings
from agent.routes.service import PatternSpec, RouteService
from agent.trunks import rules
from agent.trunks.service import TrunkInfo, TrunkService
from webadmin import access, api_recordings, form_versions
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
)
ROUTE_FORM = ("name", "patterns", "trunks", "caller_id")
INBOUND_FORM = ("did", "destination", "caller_id")
SEARCH_FIELDS = ("since", "until", "number", "disposition")


def trunk_row(trunk: TrunkInfo) -> dict:
    """A trunk as its row on the Trunks page shows it; the row's forms
    (codecs, recording) carry the version of this (webadmin.form_versions)."""
    return {
        "name": trunk.name,
        "kind": trunk.kind,
        "server": f"{trunk.host}:{trunk.port} {trunk.transport}",
        "account": trunk.username,
        "dids": trunk.dids,
        "codecs": ",".join(trunk.codecs) if trunk.codecs else rules.ANY_CODEC,
        "recording": trunk.recording,
    }


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
            )
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            values["password"] = ""
            return trunks_page(values, _field_errors(exc), 422)
        log.info("trunk %s: added by %s", info.name, access.current().principal.name)
        bottle.redirect("/trunks", 303)

    def routes_page(values: dict, errors: dict, status: int = 200) -> str:
        try:
            outbound = routes().list_outbound()
            inbound = routes().list_inbound()
            destinations = routes().destination_choices()
        except Forbidden as exc:
            return forbidden(exc)
        return render(
            "routes",
            status,
            title="Routes",
            outbound=outbound,
            inbound=inbound,
            destinations=destinations,
            values=values,
            errors=errors,
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
                caller_id=values["caller_id"] or None,
            )
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            return routes_page(values, _field_errors(exc), 422)
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
            errors = {
                "in_" + k if k != "form" else k: v
                for k, v in _field_errors(exc).items()
            }
            return routes_page(values, errors, 422)
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
