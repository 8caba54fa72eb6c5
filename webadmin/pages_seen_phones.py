"""The Phones page's "Seen, not assigned" section: one form per phone that
asked for its files but is not in the inventory, to assign it to
extensions in one click, and a button to forget it.

The same ``SeenPhoneService`` as the CLI and the API. A refused assignment
shows the Phones page again with the error beside the field of that row.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Callable

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, InvalidInput, NotFound, PbxError
from agent.provisioning.seen import SeenPhoneService
from webadmin import access
from webadmin.pages import _field_errors, _form, render

log = logging.getLogger("edgepbx.web")

#: The service's fields as the row's form names them; a MAC no longer on
#: the list is said above the row's fields.
SEEN_FIELDS = {"extension": "extensions", "mac": "form"}

#: Renders the Phones page: values and errors of one seen phone's row, by MAC.
ListPage = Callable[..., str]


def install(app: bottle.Bottle, appliance: Appliance, list_page: ListPage) -> None:
    def seen() -> SeenPhoneService:
        return SeenPhoneService(appliance.key, access.current().principal)

    def forbidden(error: Forbidden) -> str:
        return render("error", 403, title="Forbidden", message=str(error))

    @app.post("/phones/seen/<mac>/assign")
    def assign_seen_phone(mac: str) -> str:
        values = {name: _form(name) for name in ("extensions", "model", "vendor")}
        try:
            service = seen()
            info = service.assign(
                mac,
                values["extensions"].replace(",", " ").split(),
                values["model"] or None,
                values["vendor"] or None,
            )
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            status = 422 if isinstance(exc, InvalidInput | NotFound) else 409
            errors = _field_errors(exc, SEEN_FIELDS)
            return list_page({}, {}, status, {mac: values}, {mac: errors})
        log.info("phone %s: assigned by %s", info.mac, access.current().principal.name)
        reported = service.reported_model
        if reported:
            query = urllib.parse.urlencode(
                {"notice": "phone-model-replaced", "reported": reported}
            )
            bottle.redirect(f"/phones/{info.mac}?{query}", 303)
        bottle.redirect(f"/phones/{info.mac}?notice=phone-saved", 303)

    @app.post("/phones/seen/<mac>/forget")
    def forget_seen_phone(mac: str) -> str:
        try:
            seen().forget(mac)
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            return list_page({}, {}, 404, {}, {mac: _field_errors(exc, SEEN_FIELDS)})
        log.info("seen phone %s: forgotten by %s", mac, access.current().principal.name)
        bottle.redirect("/phones?notice=seen-phone-forgotten", 303)
