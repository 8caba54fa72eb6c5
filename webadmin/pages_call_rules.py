"""The page of ring groups, time conditions (with the day/night switch) and
the toll-fraud guards. The same services as the CLI and the REST API."""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, InvalidInput, PbxError
from agent.routes import groups
from agent.routes import guard as call_guard
from webadmin import access
from webadmin.pages import _field_errors, _form, render

GUARD_NUMBERS = ("per_extension_calls", "total_calls", "window_s", "concurrent_calls")


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def principal():
        return access.current().principal

    def page(errors: dict, status: int = 200) -> str:
        try:
            service = groups.GroupService(principal())
            ring_groups = service.list_ring_groups()
            conditions = service.list_time_conditions()
            guard = call_guard.current(principal())
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        return render(
            "call_rules",
            status,
            title="Call rules",
            ring_groups=ring_groups,
            conditions=conditions,
            guard=guard,
            errors=errors,
        )

    @app.get("/call-rules")
    def call_rules() -> str:
        return page({})

    @app.post("/call-rules/time-conditions/mode")
    def set_mode() -> str:
        try:
            groups.GroupService(principal()).set_time_condition(
                _form("name"), mode=_form("mode")
            )
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(_field_errors(exc), 422)
        bottle.redirect("/call-rules", 303)

    @app.post("/call-rules/guard")
    def set_guard() -> str:
        changes: dict = {}
        countries = _form("allowed_countries").strip()
        changes["allowed_countries"] = (
            None
            if countries in {"", "any"}
            else [c for c in countries.replace(" ", "").split(",") if c]
        )
        try:
            for name in GUARD_NUMBERS:
                text = _form(name).strip() or "0"
                if not (text.isascii() and text.isdigit()):
                    raise InvalidInput(name, text, "a whole number, 0 or more")
                changes[name] = int(text)
            call_guard.change(principal(), **changes)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(_field_errors(exc), 422)
        bottle.redirect("/call-rules", 303)
