"""Phones → Site settings: the time zone, NTP server, language and SIP
transport every provisioned phone gets.

The same ``SiteSettingsService`` as the CLI and the API. A refused value is
shown beside its field with what was typed, and nothing is saved.
"""

from __future__ import annotations

import logging

import bottle

from agent import setup
from agent.appliance import Appliance
from agent.errors import Forbidden, InvalidInput, PbxError
from agent.provisioning.site import (
    KEYS,
    LANGUAGE_TITLES,
    LANGUAGES,
    TRANSPORTS,
    SiteSettingsService,
)
from webadmin import access
from webadmin.pages import _field_errors, _form, render

log = logging.getLogger("edgepbx.web")


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def service() -> SiteSettingsService:
        return SiteSettingsService(access.current().principal)

    def page(values: dict | None, errors: dict, status: int = 200) -> str:
        principal = access.current().principal
        try:
            shown = service().get()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        if values is None:
            # An empty field is the appliance's zone, so that saving the page
            # does not pin the zone the appliance has today.
            values = shown.to_dict()
            values["time_zone"] = shown.time_zone if shown.time_zone_set else ""
        return render(
            "phone_site",
            status,
            title="Site settings for phones",
            site=shown,
            values=values,
            errors=errors,
            zones=setup.timezones(),
            appliance_zone=setup.timezone(),
            languages=[(code, LANGUAGE_TITLES[code]) for code in LANGUAGES],
            transports=TRANSPORTS,
            tls_port=appliance.settings.sip_tls_port,
            editable=principal.extensions is None,
        )

    @app.get("/phones/site")
    def site_page() -> str:
        return page(None, {})

    @app.post("/phones/site")
    def save_site() -> str:
        values = {name: _form(name) for name in KEYS}
        try:
            service().update(values)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            status = 422 if isinstance(exc, InvalidInput) else 409
            return page(values, _field_errors(exc), status)
        log.info(
            "site settings for phones: saved by %s", access.current().principal.name
        )
        bottle.redirect("/phones/site?notice=site-saved", 303)
