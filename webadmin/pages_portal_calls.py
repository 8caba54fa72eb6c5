"""The portal's call log: the calls a user made and took on their own
extension, from the same call records the administrators search."""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.cdr import records
from agent.errors import Forbidden, InvalidInput
from webadmin import access, api_recordings
from webadmin.pages import _field_errors, render
from webadmin.pages_people import refused
from webadmin.pages_portal import SECTIONS

BASE = "/portal/calls"
# A page of the log; older calls are found by date.
SHOWN_CALLS = 200

SECTIONS.insert(2, (BASE, "My calls"))


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    @app.get(BASE)
    def call_log() -> str:
        principal = access.current().principal
        values = {
            name: bottle.request.query.getunicode(name, default="") or ""
            for name in ("since", "until")
        }
        errors: dict = {}
        try:
            calls = records.own_calls(
                principal, values["since"] or None, values["until"] or None,
                SHOWN_CALLS,
            )  # fmt: skip
        except Forbidden as exc:
            return refused(exc)
        except InvalidInput as exc:
            calls, errors = [], _field_errors(exc)
        return render(
            "portal_calls",
            422 if errors else 200,
            title="My calls",
            sections=SECTIONS,
            own=principal.extension,
            calls=calls,
            audio=api_recordings.players(
                principal, appliance.settings.recordings_dir, calls
            ),
            values=values,
            errors=errors,
        )
