"""The phone pages: the list with an add form, one phone, removal.

The same ``PhoneService`` as the CLI and the API. A phone's admin password
is shown on its own page to those who may change phones, since the person
at the desk needs it to open the phone's web page.
"""

from __future__ import annotations

import logging
import re

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, InvalidInput, NotFound, PbxError
from agent.provisioning.credentials import PHONE_MODES, CredentialService
from agent.provisioning.inventory import PhoneService
from agent.provisioning.keys import (
    PhoneKeyService,
    key_spec,
    parse_key_spec,
    parse_override_lines,
)
from agent.provisioning.seen import SeenPhoneService
from agent.provisioning.sightings import NEW_ROW_WINDOW_S
from agent.provisioning.vendors import VENDORS
from webadmin import access, pages_phone_site, pages_seen_phones
from webadmin.pages import _field_errors, _form, render

#: The service says "extension" of the numbers the form's "extensions" holds.
PHONE_FIELDS = {"extension": "extensions"}

# A model as phones report it (in a User-Agent) and the service keeps it;
# anything else in the query is not shown.
REPORTED_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+-]{0,31}")


def _reported_model(used: str) -> str | None:
    """After an assignment that replaced the reported model: that model."""
    query = bottle.request.query
    reported = query.get("reported", "")
    if query.get("notice") != "phone-model-replaced" or reported == used:
        return None
    return reported if REPORTED_MODEL.fullmatch(reported) else None


# Up to this many seen phones the list is short enough that a phone missing
# from it may be one held back by the one-a-minute rule: the page says so.
SEEN_SHORT_LIST = 10

log = logging.getLogger("edgepbx.web")


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def phones() -> PhoneService:
        return PhoneService(appliance.key, access.current().principal)

    def refused(error: PbxError) -> str:
        if isinstance(error, Forbidden):
            return render("error", 403, title="Forbidden", message=str(error))
        return render("error", 404, title="Not found", message=str(error))

    def list_page(
        values: dict,
        errors: dict,
        status: int = 200,
        seen_values: dict | None = None,
        seen_errors: dict | None = None,
    ) -> str:
        try:
            rows = phones().list()
            seen = SeenPhoneService(appliance.key, access.current().principal).list()
        except Forbidden as exc:
            return refused(exc)
        return render(
            "phones",
            status,
            title="Phones",
            phones=rows,
            vendors=sorted(VENDORS.values(), key=lambda v: v.title),
            values=values,
            errors=errors,
            seen=seen,
            seen_short=len(seen) < SEEN_SHORT_LIST,
            seen_window_s=int(NEW_ROW_WINDOW_S),
            seen_values=seen_values or {},
            seen_errors=seen_errors or {},
        )

    pages_seen_phones.install(app, appliance, list_page)
    pages_phone_site.install(app, appliance)

    @app.get("/phones")
    def phone_list() -> str:
        return list_page({"vendor": "yealink"}, {})

    @app.post("/phones/new")
    def add_phone() -> str:
        values = {
            name: _form(name) for name in ("mac", "vendor", "model", "extensions")
        }
        try:
            info = phones().add(
                values["mac"],
                values["vendor"],
                values["model"],
                values["extensions"].replace(",", " ").split(),
            )
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            status = 422 if isinstance(exc, InvalidInput) else 409
            if isinstance(exc, NotFound):
                status = 422
            errors = _field_errors(exc, PHONE_FIELDS)
            return list_page(values, errors, status)
        log.info("phone %s: added by %s", info.mac, access.current().principal.name)
        bottle.redirect(f"/phones/{info.mac}", 303)

    def phone_view(
        mac: str, values: dict | None = None, errors: dict | None = None, status=200
    ) -> str:
        service = phones()
        principal = access.current().principal
        try:
            info = service.get(mac)
            keys = PhoneKeyService(principal)
            key_list = keys.keys(info.mac)
            no_keys = keys.no_keys_reason(info.mac)
            overrides = keys.overrides(info.mac)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        try:
            password = service.admin_password(info.mac)
            credentials = CredentialService(appliance.key, principal).credentials(
                info.mac
            )
        except Forbidden:
            password = credentials = None
        shown = {
            "keys": "\n".join(key_spec(key) for key in key_list),
            "overrides": "\n".join(f"{k} = {v}" for k, v in overrides.items()),
        } | (values or {})
        return render(
            "phone",
            status,
            title=f"Phone {info.mac}",
            phone=info,
            admin_password=password,
            keys=key_list,
            no_keys=no_keys,
            credentials=credentials,
            modes=PHONE_MODES,
            values=shown,
            errors=errors or {},
            reported_model=_reported_model(info.model),
        )

    @app.get("/phones/<mac>")
    def phone_page(mac: str) -> str:
        return phone_view(mac)

    def change(mac: str, field: str, action) -> str:
        try:
            action()
        except Forbidden as exc:
            return refused(exc)
        except NotFound as exc:
            if exc.field == "mac":
                return refused(exc)
            return phone_view(mac, {field: _form(field)}, {field: str(exc)}, 422)
        except PbxError as exc:
            return phone_view(mac, {field: _form(field)}, {field: str(exc)}, 422)
        log.info(
            "phone %s: %s changed by %s", mac, field, access.current().principal.name
        )
        bottle.redirect(f"/phones/{mac}?notice=phone-saved", 303)

    @app.post("/phones/<mac>/keys")
    def set_keys(mac: str) -> str:
        def action() -> None:
            lines = [line for line in _form("keys").splitlines() if line.strip()]
            specs = [parse_key_spec(line, n) for n, line in enumerate(lines, 1)]
            PhoneKeyService(access.current().principal).set_keys(mac, specs)

        return change(mac, "keys", action)

    @app.post("/phones/<mac>/overrides")
    def set_overrides(mac: str) -> str:
        def action() -> None:
            values = parse_override_lines(_form("overrides"))
            PhoneKeyService(access.current().principal).set_overrides(mac, values)

        return change(mac, "overrides", action)

    @app.post("/phones/<mac>/http-auth")
    def set_http_auth(mac: str) -> str:
        def action() -> None:
            service = CredentialService(appliance.key, access.current().principal)
            if _form("renew"):
                service.renew_password(mac)
            else:
                service.set_mode(mac, _form("mode"))

        return change(mac, "mode", action)

    @app.post("/phones/<mac>/delete")
    def delete_phone(mac: str) -> str:
        service = phones()
        try:
            service.remove(mac)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        log.info("phone %s: removed by %s", mac, service.actor.name)
        bottle.redirect("/phones?notice=phone-removed", 303)
