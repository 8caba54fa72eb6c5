"""The speed dials page: the company list, with a form to add one and an
edit form for each.

The same ``SpeedDialService`` as the CLI and the API; a refused form comes
back with the field's error beside it and nothing saved.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, NotFound, PbxError
from agent.sip.outside import SPEED_DIAL_PREFIX
from agent.speed_dial.service import SpeedDialService
from webadmin import access, form_versions
from webadmin.pages import _field_errors, _form, render

log = logging.getLogger("edgepbx.web")

FIELDS = ("code", "number", "name")


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def actor():
        return access.current().principal

    def page(values: dict, errors: dict, status: int = 200) -> str:
        try:
            entries = SpeedDialService(actor()).list()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        return render(
            "speed_dials",
            status,
            title="Speed dials",
            entries=entries,
            prefix=SPEED_DIAL_PREFIX,
            values=values,
            errors=errors,
        )

    def edit_form(code: str) -> dict:
        """The edit form of a speed dial as it is now, with its version."""
        info = SpeedDialService(actor()).show(code)
        return {
            "code": info.code,
            "number": info.number,
            "name": info.name,
            "version": form_versions.version_of(info.to_dict()),
        }

    @app.get("/speed-dials")
    def speed_dial_list() -> str:
        editing = bottle.request.query.get("edit")
        if not editing:
            return page({}, {})
        try:
            return page(edit_form(editing), {})
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page({}, {"form": str(exc)}, 404)

    @app.post("/speed-dials")
    def speed_dial_save() -> str:
        values = {n: _form(n) for n in FIELDS}
        values["version"] = _form("version")
        service = SpeedDialService(actor())
        try:
            try:
                current = service.show(values["code"]).to_dict()
            except NotFound:
                current = None
            form_versions.check(
                "speed dial", values["code"], current, values["version"], "code"
            )
            service.save(values["code"], number=values["number"], name=values["name"])
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except form_versions.ChangedMeanwhile as exc:
            return page(edit_form(values["code"]), {"form": str(exc)}, exc.status)
        except PbxError as exc:
            return page(values, _field_errors(exc), 422)
        log.info("speed dial %s: saved by %s", values["code"], actor().name)
        access.redirect("/speed-dials?notice=speed-dial-saved", 303)

    @app.post("/speed-dials/<code>/remove")
    def speed_dial_remove(code: str) -> str:
        try:
            SpeedDialService(actor()).remove(code)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page({}, {"form": str(exc)}, 404)
        log.info("speed dial %s: removed by %s", code, actor().name)
        access.redirect("/speed-dials?notice=speed-dial-removed", 303)
