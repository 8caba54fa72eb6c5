"""The admin page for the network settings: what each port has, a form to
try new settings, and Keep / Undo while a change is on trial.

Same service as ``edgepbx network`` and ``/api/v1/network``. After Apply
the page shows the seconds left: if the new address is still reachable the
person presses Keep from it; if not, the appliance undoes the change alone.
"""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, PbxError
from agent.network.service import NetworkService
from webadmin import access
from webadmin.pages import render

NOTICES = {
    "applied": "Applied on trial: press Keep before the time runs out.",
    "kept": "The network settings are kept.",
    "undone": "The previous network settings are back.",
}
FORM_FIELDS = ("interface", "mode", "address", "gateway", "dns", "hostname")
FORM_FIELDS += ("ntp", "timezone", "vlan_id", "vlan_address")


def _form_values() -> dict:
    forms = bottle.request.forms
    values = {name: (forms.getunicode(name, default="") or "").strip()
              for name in FORM_FIELDS}  # fmt: skip
    changes: dict = {
        "interface": values["interface"],
        "mode": values["mode"] or "dhcp",
        "dns": values["dns"],
        "hostname": values["hostname"],
        "ntp": values["ntp"],
        "timezone": values["timezone"],
        "voice_vlan": {"id": values["vlan_id"], "address": values["vlan_address"]}
        if values["vlan_id"]
        else {},
    }
    if changes["mode"] == "static":
        changes["address"] = values["address"]
        changes["gateway"] = values["gateway"]
    return changes


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def network() -> NetworkService:
        return NetworkService(appliance.settings, access.current().principal)

    def page(status: int = 200, error: str = "", form: dict | None = None) -> str:
        try:
            report = network().status()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        shown = form or network().with_changes({})
        return render(
            "network",
            status,
            title="Network",
            report=report,
            form=shown,
            error=error,
            done=NOTICES.get(bottle.request.query.get("done", ""), ""),
        )

    @app.get("/network")
    def network_page() -> str:
        return page()

    def act(action, done: str) -> str:
        try:
            action()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(422, str(exc))
        bottle.redirect(f"/network?done={done}", 303)

    @app.post("/network")
    def apply_network() -> str:
        changes = _form_values()
        service = network()
        try:
            service.apply(service.with_changes(changes))
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(422, str(exc), service.with_changes(changes))
        bottle.redirect("/network?done=applied", 303)

    @app.post("/network/confirm")
    def confirm_network() -> str:
        return act(lambda: network().confirm(), "kept")

    @app.post("/network/revert")
    def revert_network() -> str:
        return act(lambda: network().revert(), "undone")
