"""Pages of company phonebooks and contacts, and the extension CSV import.

Imports take a file from the browser (multipart form) or pasted text; a
refused file shows every wrong row and nothing of it is imported.
"""

from __future__ import annotations

import logging

import bottle

from agent import csvimport
from agent.accounts import portal_mail
from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.contacts.service import ContactService
from agent.errors import Forbidden, InvalidInput, NotFound, PbxError
from agent.extensions.service import CSV_COLUMNS as EXTENSION_COLUMNS
from agent.extensions.service import import_csv
from webadmin import access, bodies
from webadmin.flash import FlashBox
from webadmin.pages import _field_errors, _form, render
from webadmin.pages_people import refused

log = logging.getLogger("edgepbx.web")


def uploaded_csv() -> str:
    """The CSV a form sent: the chosen file, else the pasted text."""
    bodies.check_upload("csv")
    upload = bottle.request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.file.read(csvimport.MAX_BYTES + 1)
        if len(raw) > csvimport.MAX_BYTES:
            raise InvalidInput("csv", None, f"at most {csvimport.MAX_BYTES} bytes")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("csv", None, "the file is not UTF-8 text") from None
    return _form("text")


def import_errors(exc: PbxError) -> dict:
    """What an import form shows: the rows at fault, or the one problem."""
    if isinstance(exc, csvimport.ImportRefused):
        return {"rows": exc.errors, "csv": "Nothing was imported; fix these rows."}
    return _field_errors(exc) | {"rows": []}


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    flashes = FlashBox(appliance.settings.run_dir, appliance.key)

    def principal():
        return access.current().principal

    def contacts() -> ContactService:
        return ContactService(principal())

    # -- phonebooks ------------------------------------------------------------

    def phonebooks_page(values: dict, errors: dict, status: int = 200) -> str:
        try:
            rows = contacts().phonebooks()
        except Forbidden as exc:
            return refused(exc)
        return render(
            "phonebooks",
            status,
            title="Contacts",
            phonebooks=rows,
            values=values,
            errors=errors,
        )

    @app.get("/contacts")
    def phonebook_list() -> str:
        return phonebooks_page({}, {})

    @app.post("/contacts/new")
    def add_phonebook() -> str:
        values = {"name": _form("name"), "visible_to": _form("visible_to")}
        try:
            info = contacts().create_phonebook(values["name"], values["visible_to"])
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return phonebooks_page(values, _field_errors(exc), 422)
        access.redirect(f"/contacts/{info.name}", 303)

    def phonebook_page(name: str, values: dict, errors: dict, status: int = 200) -> str:
        service = contacts()
        search = bottle.request.query.getunicode("q", default="") or ""
        try:
            book = next((b for b in service.phonebooks() if b.name == name), None)
            if book is None:
                raise NotFound("phonebook: no such phonebook", field="phonebook")
            rows = service.contacts(name, search)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except InvalidInput as exc:
            rows, errors = [], _field_errors(exc)
        return render(
            "phonebook",
            status,
            title=f"Phonebook {name}",
            book=book,
            contacts=rows,
            search=search,
            values=values,
            errors=errors,
            editable=principal().can(Permission.CHANGE_CONTACTS),
            action=f"/contacts/{name}",
        )

    @app.get("/contacts/<name>")
    def phonebook(name: str) -> str:
        return phonebook_page(name, {}, {})

    @app.post("/contacts/<name>/add")
    def add_contact(name: str) -> str:
        values = {k: _form(k) for k in ("name", "company", "number", "email")}
        try:
            contacts().add(
                name,
                values["name"],
                values["number"],
                values["company"],
                values["email"],
            )
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return phonebook_page(name, values, _field_errors(exc), 422)
        access.redirect(f"/contacts/{name}?notice=contact-added", 303)

    @app.post("/contacts/<name>/import")
    def import_contacts(name: str) -> str:
        try:
            added = contacts().import_csv(name, uploaded_csv())
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return phonebook_page(name, {}, import_errors(exc), bodies.status_of(exc))
        log.info("%d contacts imported into %s", len(added), name)
        access.redirect(f"/contacts/{name}?notice=imported", 303)

    @app.post("/contacts/<name>/visibility")
    def phonebook_visibility(name: str) -> str:
        try:
            contacts().set_visibility(name, _form("visible_to"))
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return phonebook_page(name, {}, _field_errors(exc), 422)
        access.redirect(f"/contacts/{name}?notice=saved-phonebook", 303)

    @app.post("/contacts/<name>/delete")
    def delete_phonebook(name: str) -> str:
        try:
            contacts().remove_phonebook(name)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        access.redirect("/contacts?notice=removed", 303)

    @app.post("/contacts/<name>/<contact_id:int>/delete")
    def delete_contact(name: str, contact_id: int) -> str:
        try:
            contacts().remove(contact_id)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        access.redirect(f"/contacts/{name}?notice=removed", 303)

    # -- extensions from CSV ---------------------------------------------------------

    def import_page(errors: dict, status: int = 200, created: list | None = None):
        return render(
            "extension_import",
            status,
            title="Import extensions",
            columns=EXTENSION_COLUMNS,
            errors=errors,
            created=created,
        )

    @app.get("/extensions/import")
    def extension_import_form() -> str:
        try:
            principal().require(Permission.CHANGE_EXTENSIONS)
        except Forbidden as exc:
            return refused(exc)
        return import_page({})

    @app.post("/extensions/import")
    def extension_import() -> str:
        try:
            created = import_csv(appliance.extensions_as(principal()), uploaded_csv())
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return import_page(import_errors(exc), bodies.status_of(exc))
        log.info("%d extensions imported by %s", len(created), principal().name)
        # The generated SIP passwords are shown on this answer only; it is
        # never cached (Cache-Control: no-store on every page).
        return import_page({}, 201, created)

    # -- a portal account for an extension's user -------------------------------------

    @app.post("/extensions/<number>/portal-account")
    def add_portal_account(number: str) -> str:
        try:
            info, password = appliance.accounts.add_portal_user(principal(), number)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return render("error", 409, title="Not added", message=str(exc))
        mailed = portal_mail.send_credentials(appliance.key, info, password)
        flashes.put_password(access.current().session, f"portal/{number}", password)
        access.redirect(f"/extensions/{number}/portal-account?mailed={mailed}", 303)

    @app.get("/extensions/<number>/portal-account")
    def portal_account_made(number: str) -> str:
        try:
            info = appliance.extensions_as(principal()).get(number)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        password = flashes.take_password(access.current().session, f"portal/{number}")
        where = f" or {info.email}" if info.email else ""
        mailed = bottle.request.query.get("mailed", "")
        if mailed == portal_mail.SENT and info.email:
            sent = f" It was also sent to {info.email}."
        elif mailed in (portal_mail.NO_SERVER, portal_mail.NOT_SENT):
            sent = f" It was {portal_mail.OUTCOMES[mailed]}."
        else:
            sent = ""
        return render(
            "secret_shown",
            title=f"Portal account of extension {number}",
            what="One-time password",
            secret=password,
            about=(
                f"The user signs in with {number}{where} and this password, "
                f"then chooses their own.{sent}"
            ),
            back=f"/extensions/{number}",
        )
