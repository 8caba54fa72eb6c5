"""The user portal: an extension's user manages what is theirs.

Its pages are at ``/portal``: the user's extension, its presence as callers
meet it (phones registered, do-not-disturb, forwards) and their profile,
which they may change (the name their calls show and their e-mail address),
their caller ID (read only) and whether their number is withheld on outside
calls;
their password (``/password``, as for everyone), and their personal contacts.
``SECTIONS`` lists the portal's parts for its navigation; voicemail, the
call log and forwarding add themselves there as they are built.
"""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.contacts.service import ContactService
from agent.errors import Forbidden, InvalidInput, NotFound, PbxError
from agent.extensions.presence import FORWARD_WHEN, presence_of
from agent.feature_codes import current_codes
from webadmin import access, bodies
from webadmin.pages import _field_errors, _form, render
from webadmin.pages_contacts import import_errors, uploaded_csv
from webadmin.pages_people import refused

#: (path, title) of each part of the portal, in the order of its navigation.
SECTIONS: list[tuple[str, str]] = [
    ("/portal", "My extension"),
    ("/portal/contacts", "My contacts"),
    ("/password", "Password"),
]


def own_number() -> str:
    """The signed-in user's extension number; anyone else is Forbidden, as
    the portal is only for the user of an extension."""
    principal = access.current().principal
    if principal.extension is None:
        raise Forbidden(f"{principal.name}: the portal is for the user of an extension")
    return principal.extension


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def principal():
        return access.current().principal

    def own_extension():
        return appliance.extensions.get(own_number())

    def home(values: dict | None = None, errors: dict | None = None, status=200):
        try:
            extension = own_extension()
            presence = presence_of(principal(), appliance.kamailio, extension.number)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        shown = {
            "name": extension.display_name,
            "email": extension.email or "",
        } | (values or {})
        return render(
            "portal",
            status,
            title=f"Extension {extension.number}",
            extension=extension,
            presence=presence,
            forward_when=FORWARD_WHEN,
            sections=SECTIONS,
            values=shown,
            errors=errors or {},
            withhold_code=current_codes()["withhold_once"],
        )

    @app.get("/portal")
    def portal_home() -> str:
        return home()

    @app.post("/portal/profile")
    def change_profile() -> str:
        values = {"name": _form("name"), "email": _form("email")}
        try:
            number = own_extension().number
            appliance.extensions_as(principal()).change_profile(
                number, display_name=values["name"], email=values["email"] or None
            )
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return home(values, _field_errors(exc), 422)
        access.redirect("/portal?notice=profile-saved", 303)

    @app.post("/portal/withhold")
    def change_withhold() -> str:
        try:
            number = own_extension().number
            appliance.extensions_as(principal()).set_withhold_number(
                number, _form("withhold_number") == "on"
            )
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return home({}, _field_errors(exc), 422)
        access.redirect("/portal?notice=withhold-saved", 303)

    def contacts_page(values: dict, errors: dict, status: int = 200) -> str:
        search = bottle.request.query.getunicode("q", default="") or ""
        try:
            extension = own_extension()
            rows = ContactService(principal()).personal(search)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except InvalidInput as exc:
            rows, errors = [], _field_errors(exc)
        return render(
            "portal_contacts",
            status,
            title="My contacts",
            extension=extension,
            sections=SECTIONS,
            contacts=rows,
            search=search,
            values=values,
            errors=errors,
            editable=True,
            action="/portal/contacts",
        )

    @app.get("/portal/contacts")
    def my_contacts() -> str:
        return contacts_page({}, {})

    @app.post("/portal/contacts/add")
    def add_my_contact() -> str:
        values = {k: _form(k) for k in ("name", "company", "number", "email")}
        try:
            ContactService(principal()).add_personal(
                values["name"], values["number"], values["company"], values["email"]
            )
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return contacts_page(values, _field_errors(exc), 422)
        access.redirect("/portal/contacts?notice=contact-added", 303)

    @app.post("/portal/contacts/import")
    def import_my_contacts() -> str:
        try:
            ContactService(principal()).import_personal_csv(uploaded_csv())
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return contacts_page({}, import_errors(exc), bodies.status_of(exc))
        access.redirect("/portal/contacts?notice=imported", 303)

    @app.post("/portal/contacts/<contact_id:int>/delete")
    def delete_my_contact(contact_id: int) -> str:
        try:
            ContactService(principal()).remove_personal(contact_id)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        access.redirect("/portal/contacts?notice=removed", 303)
