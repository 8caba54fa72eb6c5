"""Call forwarding and do-not-disturb pages: a section of the extension's
admin page (``/extensions/{number}``) and the user portal's
``/portal/forwarding``, both over ``agent.extensions.features``.

A refused change is shown beside the field it names, with what was typed
kept in the form; nothing is changed then.
"""

from __future__ import annotations

from collections.abc import Callable

import bottle

from agent.accounts.roles import Principal
from agent.errors import Forbidden, NotFound, PbxError
from agent.extensions.features import FeatureService
from webadmin import access
from webadmin.pages import _field_errors, _form, render
from webadmin.pages_people import refused
from webadmin.pages_portal import SECTIONS, own_number

#: The text fields of the form, in its order (dnd is the checkbox).
TEXT_FIELDS = (
    "forward_always",
    "forward_busy",
    "forward_no_answer",
    "no_answer_s",
    "forward_unreachable",
)
#: Each field's label on the form, which its error messages use too.
LABELS = {
    "dnd": "Do not disturb",
    "call_waiting": "Call waiting",
    "forward_always": "Forward every call to",
    "forward_busy": "When busy, forward to",
    "forward_no_answer": "When not answered, forward to",
    "no_answer_s": "Ring time before forwarding (seconds)",
    "forward_unreachable": "When no phone is registered, forward to",
}
PORTAL_PATH = "/portal/forwarding"
SECTIONS.insert(len(SECTIONS) - 1, (PORTAL_PATH, "Forwarding"))


def _typed() -> dict:
    values: dict = {name: _form(name).strip() for name in TEXT_FIELDS}
    values["dnd"] = _form("dnd") == "on"
    values["call_waiting"] = _form("call_waiting") == "on"
    return values


def section(
    principal: Principal, number: str, values: dict | None, errors: dict | None
) -> dict:
    """The template values of the form: what is set, then what was typed."""
    try:
        current = FeatureService(principal).get(number).to_dict()
    except PbxError:
        return {"features": None, "feature_errors": {}, "feature_labels": LABELS}
    return {
        "features": current | (values or {}),
        "feature_errors": errors or {},
        "feature_labels": LABELS,
    }


def save(principal: Principal, number: str) -> tuple[dict, dict] | None:
    """Apply the posted form; on a refusal, (typed values, field errors)."""
    values = _typed()
    try:
        FeatureService(principal).change(number, **values)
    except (Forbidden, NotFound):
        raise
    except PbxError as exc:
        return values, _field_errors(exc, labels=LABELS)
    return None


def install_admin(app: bottle.Bottle, extension_page: Callable[..., str]) -> None:
    """The extension page's section; extension_page re-renders that page."""

    @app.post("/extensions/<number>/features")
    def save_extension_features(number: str) -> str:
        principal = access.current().principal
        try:
            refusal = save(principal, number)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        if refusal is not None:
            return extension_page(number, refusal[0], refusal[1])
        access.redirect(f"/extensions/{number}?notice=features-saved#features", 303)


def install_portal(app: bottle.Bottle) -> None:
    def page(values: dict | None, errors: dict | None, status: int = 200) -> str:
        try:
            number = own_number()
        except Forbidden as exc:
            return refused(exc)
        return render(
            "portal_forwarding",
            status,
            title="Forwarding",
            number=number,
            sections=SECTIONS,
            action=PORTAL_PATH,
            **section(access.current().principal, number, values, errors),
        )

    @app.get(PORTAL_PATH)
    def my_forwarding() -> str:
        return page(None, None)

    @app.post(PORTAL_PATH)
    def save_my_forwarding() -> str:
        try:
            refusal = save(access.current().principal, own_number())
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        if refusal is not None:
            return page(*refusal, status=422)
        access.redirect(f"{PORTAL_PATH}?notice=features-saved", 303)
