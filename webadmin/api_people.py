"""The REST API of people and what they may do, and of contacts.

``/api/v1/roles``, ``/accounts``, ``/tokens`` (super administrators),
``/extensions/import`` and ``/extensions/{number}/portal-account``,
``/phonebooks`` and their contacts, and ``/me`` for a portal user's own
extension and personal contacts. Every route calls the service layer as
the request's principal; ``webadmin.openapi_people`` describes them.
"""

from __future__ import annotations

import json
import logging

import bottle

from agent import csvimport
from agent.accounts import custom_roles, portal_mail, tokens
from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.contacts.service import ContactService
from agent.errors import Forbidden, InvalidInput
from agent.extensions.presence import presence_of
from agent.extensions.service import import_csv
from webadmin import access, bodies, problems
from webadmin.api import (
    PREFIX,
    BadRequest,
    BodyTooLarge,
    UnsupportedMediaType,
    _json_response,
    api_route,
    extension_route,
    json_object,
    no_fields,
    tagged,
    unchanged_since_read,
)

log = logging.getLogger("edgepbx.web")

CSV_TYPES = frozenset({"text/csv", "text/plain"})


def csv_text() -> str:
    """The request's body as CSV text (text/csv, UTF-8)."""
    media_type = (bottle.request.content_type or "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise UnsupportedMediaType("send the file as text/csv")
    try:
        raw = bodies.read()
    except bodies.BodyTooLarge:
        raise BodyTooLarge(f"the file may be at most {bodies.limit()} bytes") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the file is not UTF-8", field="csv") from None


def refused_import(exc: csvimport.ImportRefused) -> str:
    """A refused import as a problem listing every wrong row."""
    status, body = problems.problem(422, exc.kind, problems.message(exc), "csv")
    details = json.loads(body) | {"rows": [e.to_dict() for e in exc.errors]}
    bottle.response.status = status
    bottle.response.content_type = problems.MEDIA_TYPE
    return json.dumps(details)


def _int_id(raw: str, field: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise InvalidInput(field, raw, "a whole number")
    return int(raw)


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def principal():
        return access.current().principal

    def contacts() -> ContactService:
        return ContactService(principal())

    def created(value: dict, location: str) -> str:
        bottle.response.set_header("Location", f"{PREFIX}{location}")
        return _json_response(value, 201)

    def no_content() -> str:
        bottle.response.status = 204
        return ""

    # -- roles ---------------------------------------------------------------

    role_fields = {
        "name": str,
        "description": str,
        "modules": dict,
        "extension_ranges": str,
    }

    @app.get(f"{PREFIX}/roles")
    @api_route
    def list_roles() -> str:
        return _json_response(
            [r.to_dict() for r in custom_roles.list_roles(principal())]
        )

    @app.post(f"{PREFIX}/roles")
    @api_route
    def add_role() -> str:
        principal().require(Permission.MANAGE_ACCOUNTS)
        body = json_object(role_fields)
        info = custom_roles.create(
            principal(),
            body.get("name") or "",
            body.get("modules") or {},
            body.get("extension_ranges"),
            body.get("description") or "",
        )
        return created(info.to_dict(), f"/roles/{info.name}")

    @app.get(f"{PREFIX}/roles/<name>")
    @api_route
    def get_role(name: str) -> str:
        return _json_response(custom_roles.get(principal(), name).to_dict())

    @app.route(f"{PREFIX}/roles/<name>", method="PATCH")
    @api_route
    def change_role(name: str) -> str:
        principal().require(Permission.MANAGE_ACCOUNTS)
        body = json_object({k: v for k, v in role_fields.items() if k != "name"})
        ranges = body.get("extension_ranges")
        info = custom_roles.update(
            principal(),
            name,
            modules=body.get("modules"),
            extension_ranges=ranges,
            description=body.get("description"),
            all_extensions="extension_ranges" in body and ranges is None,
        )
        return _json_response(info.to_dict())

    @app.delete(f"{PREFIX}/roles/<name>")
    @api_route
    def delete_role(name: str) -> str:
        custom_roles.remove(principal(), name)
        return no_content()

    # -- accounts ----------------------------------------------------------------

    @app.get(f"{PREFIX}/accounts")
    @api_route
    def list_accounts() -> str:
        rows = appliance.accounts.list(principal())
        return _json_response([r.to_dict() for r in rows])

    @app.post(f"{PREFIX}/accounts")
    @api_route
    def add_account() -> str:
        principal().require(Permission.MANAGE_ACCOUNTS)
        body = json_object({"username": str, "role": str})
        info, password = appliance.accounts.add(
            principal(), body.get("username") or "", body.get("role") or ""
        )
        return created(
            info.to_dict() | {"one_time_password": password},
            f"/accounts/{info.username}",
        )

    @app.get(f"{PREFIX}/accounts/<username>")
    @api_route
    def get_account(username: str) -> str:
        info = appliance.accounts.get(principal(), username)
        return _json_response(tagged(info.to_dict()))

    def account_version(username: str) -> dict:
        return appliance.accounts.get(principal(), username).to_dict()

    @app.route(f"{PREFIX}/accounts/<username>", method="PATCH")
    @api_route
    def change_account(username: str) -> str:
        principal().require(Permission.MANAGE_ACCOUNTS)
        body = json_object({"role": str})
        unchanged_since_read("account", username, lambda: account_version(username))
        if "role" not in body:
            info = appliance.accounts.get(principal(), username)
        else:
            info = appliance.accounts.set_role(
                principal(), username, body["role"] or ""
            )
        return _json_response(tagged(info.to_dict()))

    @app.delete(f"{PREFIX}/accounts/<username>")
    @api_route
    def delete_account(username: str) -> str:
        unchanged_since_read("account", username, lambda: account_version(username))
        appliance.accounts.remove(principal(), username)
        return no_content()

    @app.post(f"{PREFIX}/extensions/<number>/portal-account")
    @extension_route
    def add_portal_account(number: str) -> str:
        principal().require(Permission.CHANGE_EXTENSIONS)
        no_fields()
        info, password = appliance.accounts.add_portal_user(principal(), number)
        mailed = portal_mail.send_credentials(appliance.key, info, password)
        return created(
            info.to_dict() | {"one_time_password": password, "mailed": mailed},
            f"/accounts/{info.username}",
        )

    # -- tokens --------------------------------------------------------------------

    @app.get(f"{PREFIX}/tokens")
    @api_route
    def list_tokens() -> str:
        return _json_response([t.to_dict() for t in tokens.list_tokens(principal())])

    @app.post(f"{PREFIX}/tokens")
    @api_route
    def add_token() -> str:
        principal().require(Permission.MANAGE_ACCOUNTS)
        body = json_object({"name": str, "role": str})
        info, token = tokens.create(
            principal(), body.get("role") or "", body.get("name") or ""
        )
        return created(info.to_dict() | {"token": token}, f"/tokens/{info.id}")

    @app.delete(f"{PREFIX}/tokens/<token_id>")
    @api_route
    def delete_token(token_id: str) -> str:
        principal().require(Permission.MANAGE_ACCOUNTS)
        tokens.revoke(principal(), _int_id(token_id, "id"))
        return no_content()

    # -- extension import ------------------------------------------------------------

    @app.post(f"{PREFIX}/extensions/import")
    @api_route
    def import_extensions() -> str:
        principal().require(Permission.CHANGE_EXTENSIONS)
        text = csv_text()
        try:
            made = import_csv(appliance.extensions_as(principal()), text)
        except csvimport.ImportRefused as exc:
            return refused_import(exc)
        log.info("%d extensions imported by %s", len(made), principal().name)
        return _json_response(
            [c.extension.to_dict() | {"password": c.generated_password} for c in made],
            201,
        )

    # -- phonebooks and company contacts --------------------------------------------

    @app.get(f"{PREFIX}/phonebooks")
    @api_route
    def list_phonebooks() -> str:
        return _json_response([b.to_dict() for b in contacts().phonebooks()])

    @app.post(f"{PREFIX}/phonebooks")
    @api_route
    def add_phonebook() -> str:
        principal().require(Permission.CHANGE_CONTACTS)
        body = json_object({"name": str, "visible_to": str})
        info = contacts().create_phonebook(
            body.get("name") or "", body.get("visible_to")
        )
        return created(info.to_dict(), f"/phonebooks/{info.name}")

    @app.route(f"{PREFIX}/phonebooks/<name>", method="PATCH")
    @api_route
    def change_phonebook(name: str) -> str:
        principal().require(Permission.CHANGE_CONTACTS)
        body = json_object({"visible_to": str})
        service = contacts()
        if "visible_to" not in body:
            info = next((b for b in service.phonebooks() if b.name == name), None)
            if info is None:
                service.contacts(name)  # raises NotFound
            return _json_response(info.to_dict())
        return _json_response(
            service.set_visibility(name, body["visible_to"]).to_dict()
        )

    @app.delete(f"{PREFIX}/phonebooks/<name>")
    @api_route
    def delete_phonebook(name: str) -> str:
        contacts().remove_phonebook(name)
        return no_content()

    contact_fields = {"name": str, "number": str, "company": str, "email": str}

    @app.get(f"{PREFIX}/phonebooks/<name>/contacts")
    @api_route
    def list_contacts(name: str) -> str:
        search = bottle.request.query.getunicode("q", default="") or ""
        rows = contacts().contacts(name, search)
        return _json_response([c.to_dict() for c in rows])

    @app.post(f"{PREFIX}/phonebooks/<name>/contacts")
    @api_route
    def add_contact(name: str) -> str:
        principal().require(Permission.CHANGE_CONTACTS)
        body = json_object(contact_fields)
        info = contacts().add(
            name,
            body.get("name") or "",
            body.get("number") or "",
            body.get("company"),
            body.get("email"),
        )
        return created(info.to_dict(), f"/contacts/{info.id}")

    @app.post(f"{PREFIX}/phonebooks/<name>/import")
    @api_route
    def import_contacts(name: str) -> str:
        principal().require(Permission.CHANGE_CONTACTS)
        text = csv_text()
        try:
            added = contacts().import_csv(name, text)
        except csvimport.ImportRefused as exc:
            return refused_import(exc)
        return _json_response([c.to_dict() for c in added], 201)

    @app.delete(f"{PREFIX}/contacts/<contact_id>")
    @api_route
    def delete_contact(contact_id: str) -> str:
        contacts().remove(_int_id(contact_id, "id"))
        return no_content()

    @app.get(f"{PREFIX}/extensions/<number>/contacts")
    @extension_route
    def contacts_of_extension(number: str) -> str:
        rows = contacts().visible_to(number)
        return _json_response([c.to_dict() for c in rows])

    # -- the portal user's own ---------------------------------------------------------

    @app.get(f"{PREFIX}/me")
    @api_route
    def me() -> str:
        p = principal()
        return _json_response(
            {"name": p.name, "role": p.role_name, "extension": p.extension}
        )

    def my_number() -> str:
        number = principal().extension
        if number is None:
            raise Forbidden(f"{principal().name}: this is for the user of an extension")
        return number

    @app.get(f"{PREFIX}/me/presence")
    @api_route
    def my_presence() -> str:
        found = presence_of(principal(), appliance.kamailio, my_number())
        return _json_response(
            {
                "extension": found.extension,
                "phones": found.phones,
                "dnd": found.dnd,
                "forwards": found.forwards,
                "rings": found.rings,
                "why_not": found.why_not(),
            }
        )

    @app.put(f"{PREFIX}/me/profile")
    @extension_route
    def change_my_profile() -> str:
        number = my_number()
        body = json_object({"display_name": str, "email": (str, type(None))})
        info = appliance.extensions_as(principal()).change_profile(
            number,
            display_name=body.get("display_name") or "",
            email=body.get("email") or None,
        )
        return _json_response(info.to_dict())

    @app.get(f"{PREFIX}/me/contacts")
    @api_route
    def my_contacts() -> str:
        search = bottle.request.query.getunicode("q", default="") or ""
        return _json_response([c.to_dict() for c in contacts().personal(search)])

    @app.post(f"{PREFIX}/me/contacts")
    @api_route
    def add_my_contact() -> str:
        service = contacts()
        service.personal()  # refuses one who has no extension, before the body
        body = json_object(contact_fields)
        info = service.add_personal(
            body.get("name") or "",
            body.get("number") or "",
            body.get("company"),
            body.get("email"),
        )
        return created(info.to_dict(), f"/me/contacts/{info.id}")

    @app.post(f"{PREFIX}/me/contacts/import")
    @api_route
    def import_my_contacts() -> str:
        service = contacts()
        service.personal()
        text = csv_text()
        try:
            added = service.import_personal_csv(text)
        except csvimport.ImportRefused as exc:
            return refused_import(exc)
        return _json_response([c.to_dict() for c in added], 201)

    @app.delete(f"{PREFIX}/me/contacts/<contact_id>")
    @api_route
    def delete_my_contact(contact_id: str) -> str:
        contacts().remove_personal(_int_id(contact_id, "id"))
        return no_content()
