"""The admin pages: sign-in, password, extensions, audit log, account.

Server-rendered with bottle's SimpleTemplate, which escapes every ``{{ }}``.
Forms post back to the page that showed them; a refused request shows the
page again with the message next to the field it is about, and writes
nothing (the service layer validates everything before it writes). A form
that succeeded answers with a redirect (Post/Redirect/Get), so reloading
the page after it never posts the form again.
"""

from __future__ import annotations

import functools
import logging
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import bottle

from agent import audit, local_time, setup
from agent.accounts import passwords, sessions
from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.errors import (
    Forbidden,
    InvalidFields,
    InvalidInput,
    NotFound,
    PbxError,
    Refusals,
    TooManyAttempts,
)
from agent.extensions import registrations
from agent.extensions.references import ExtensionInUse
from agent.extensions.service import (
    CALLER_ID_FIELDS,
    SORT_KEYS,
    ExtensionInfo,
    ExtensionService,
)
from agent.feature_codes import current_codes
from agent.recordings import service as recordings
from agent.sip.rpc import RpcError
from agent.wording import counted
from webadmin import access, bodies, form_versions, problems
from webadmin.flash import FlashBox

log = logging.getLogger("edgepbx.web")

VIEWS_DIR = Path(__file__).with_name("views")
AUDIT_PAGE_SIZE = 50
# A page number past this is no page of any list (SQLite integers are 64-bit).
PAGE_DIGITS_MAX = 9
# The password page's fields as it labels them: its refusals use the labels.
PASSWORD_FIELDS = (
    ("current_password", "Current password", "current-password"),
    ("new_password", "New password", "new-password"),
    ("confirm_password", "New password again", "new-password"),
)
PASSWORD_LABELS = {name: label for name, label, _ in PASSWORD_FIELDS}
# Notices a redirect may ask for by name; never text taken from the URL.
NOTICES = {
    "password-changed": "Your password is changed.",
    "deleted": "The extension is deleted.",
    "deleted-from-phones": (
        "The extension is deleted, and the phone lines and BLF keys that "
        "were this extension are now empty: see Phones."
    ),
    "saved": "The extension is saved.",
    "unchanged": "Nothing was changed.",
    "signed-out": "You are signed out.",
    "phone-removed": "The phone is removed.",
    "mail-saved": "The mail settings are saved.",
    "mail-template-saved": "The mail template is saved: mail of its kind uses it.",
    "transcription-saved": "Voicemail transcription is saved: new messages use it.",
    "mail-template-reset": "The mail template is back to its default wording.",
    "phone-saved": "Saved: the phone gets it at its next fetch.",
    "phone-model-replaced": (
        "Saved with the model you named instead of the one the phone reported:"
        " the phone gets it at its next fetch."
    ),
    "firmware-saved": "Saved: phones of that model upgrade at their next fetch.",
    "template-saved": "Saved: phones of this model get it at their next fetch.",
    "setup-done": "The appliance is set up. Add or import the other extensions here.",
    "contact-added": "The contact is added.",
    "imported": "Every row is imported.",
    "saved-phonebook": "The phonebook is saved.",
    "removed": "Removed.",
    "saved-account": "The account is saved.",
    "revoked": "The token is revoked: it no longer signs anything in.",
    "saved-role": "The role is saved.",
    "features-saved": "Forwarding and do-not-disturb are saved.",
    "seen-phone-forgotten": "The phone is off the seen list.",
    "backup-schedule-saved": "The backup schedule is saved.",
    "restore-cancelled": "The uploaded backup is discarded; nothing was changed.",
    "storage-saved": "Saved: the box applies it within the hour.",
    "speed-dial-saved": "The speed dial is saved: every phone can dial it now.",
    "feature-code-saved": "The feature code is saved: phones dial it from now on.",
    "speed-dial-removed": "The speed dial is removed.",
    "report-scheduled": "The report is scheduled: it is e-mailed at its hour.",
    "report-sent": "The report is sent.",
    "site-saved": "Saved: every phone gets it at its next fetch.",
    "prompt-saved": "The prompt is saved: menus that name it play it from now on.",
    "profile-saved": "Your name and e-mail address are saved.",
    "withhold-saved": "Your caller ID setting is saved.",
    "greeting-saved": "The greeting is saved: callers hear it from now on.",
    "music-saved": "The music is saved: callers on hold hear it from now on.",
    "broadcast-sent": "The broadcast is on its way: the members' phones answer "
    "and play it now. One that reaches nobody is an event.",
}


# The caller-ID fields as the extension page labels them, so a refusal
# reads "Outside number: …", not the service's field name.
EXTENSION_CALLER_ID_LABELS = {
    "outside_cid_number": "Outside number",
    "outside_cid_name": "Outside name",
    "internal_cid_name": "Internal name",
}


def render(template: str, status: int = 200, **values: object) -> str:
    auth = access.current_or_none()
    principal = auth.principal if auth else None
    bottle.response.status = status
    bottle.response.content_type = "text/html; charset=utf-8"
    # The zone is read once per page, when the page first shows a time, not
    # once for every row of a long call log.
    zone = functools.cache(local_time.zone)
    return bottle.template(
        template,
        template_lookup=[str(VIEWS_DIR)],
        principal=principal,
        csrf_token=auth.session.csrf_token if auth and auth.session else "",
        can=(lambda p: principal is not None and principal.can(p)),
        Permission=Permission,
        size_text=bodies.size_text,
        counted=counted,
        local_clock=lambda moment: local_time.shown(moment, zone()),
        local_time_of_day=lambda moment: local_time.local(moment, zone()).strftime(
            local_time.TIME_OF_DAY
        ),
        local_moment=lambda moment: local_time.local(moment, zone()),
        zone_name=lambda: zone().key,
        notice=NOTICES.get(bottle.request.query.get("notice", ""), ""),
        **values,
    )


def _form(name: str) -> str:
    return bottle.request.forms.getunicode(name, default="") or ""


def _field_errors(
    error: PbxError,
    names: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The error beside its field; labels (field: its label on the page) make
    the message speak of the field as the person sees it, not by its name in
    the service ("New PIN: digits only", not "pin: digits only"). Several
    fields refused at once (``InvalidFields``) are each shown beside theirs,
    the first refusal of a field where one field was refused twice."""
    if isinstance(error, InvalidFields):
        shown: dict[str, str] = {}
        for refusal in reversed(error.refusals):
            shown |= _field_errors(refusal, names, labels)
        return shown
    field = problems.field_name(error.field, names) or "form"
    text = problems.message(error)
    label = (labels or {}).get(field)
    if label and error.field and text.startswith(error.field):
        text = label + text[len(error.field) :]
    return {field: text}


def _safe_next(target: str) -> str:
    """Only a path on this site is a place to go after signing in."""
    # Browsers drop tabs and newlines inside URLs, so "/\t/evil.example"
    # would become "//evil.example": only printable text without spaces.
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and " " not in target
    ):
        return target
    return "/"


def _int_query(name: str, default: int) -> int:
    raw = bottle.request.query.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > PAGE_DIGITS_MAX:
        return default
    return int(raw) if int(raw) > 0 else default


def install(app: bottle.Bottle, appliance: Appliance, secret: bytes) -> None:
    """Add every page route to app."""
    # Imported here: the features pages render with this module's helpers.
    from webadmin import pages_features

    flashes = FlashBox(appliance.settings.run_dir, appliance.key)

    def extensions() -> ExtensionService:
        return appliance.extensions_as(access.current().principal)

    @app.error(400)
    @app.error(403)
    @app.error(404)
    @app.error(405)
    @app.error(500)
    def error_page(error: bottle.HTTPError) -> str:
        message = str(error.body or problems.TITLES.get(error.status_code, ""))
        if error.status_code == 500:
            # The traceback goes to gunicorn's log, never to the person.
            message = "Something went wrong on the appliance; its log says what."
        if access.is_api(bottle.request.path):
            _, body = problems.problem(
                error.status_code,
                "not-found" if error.status_code == 404 else "error",
                message,
            )
            bottle.response.content_type = problems.MEDIA_TYPE
            return body
        return render(
            "error",
            status=error.status_code,
            title=problems.TITLES.get(error.status_code, "Error"),
            message=message,
        )

    def refused(error: PbxError) -> str:
        if isinstance(error, Forbidden):
            return render("error", 403, title="Forbidden", message=str(error))
        if isinstance(error, NotFound):
            return render("error", 404, title="Not found", message=str(error))
        raise error

    # -- sign-in -------------------------------------------------------------

    @app.get("/signin")
    def signin_form() -> str:
        if access.current_or_none():
            access.redirect("/", 303)
        return render(
            "signin",
            title="Sign in",
            signin_token=access.signin_csrf(secret),
            username="",
            next=_safe_next(bottle.request.query.get("next", "/")),
            errors={},
        )

    @app.post("/signin")
    def signin() -> str:
        username = _form("username")
        target = _safe_next(_form("next") or "/")

        def again(status: int, errors: dict[str, str]) -> str:
            return render(
                "signin",
                status,
                title="Sign in",
                signin_token=access.signin_csrf(secret),
                username=username,
                next=target,
                errors=errors,
            )

        if not access.signin_csrf_ok(secret, _form(access.CSRF_FIELD)):
            return again(403, {"form": "The form had expired. Please try again."})
        try:
            session = appliance.accounts.sign_in(
                username, _form("password"), access.client_ip()
            )
        except TooManyAttempts as exc:
            bottle.response.set_header("Retry-After", str(exc.retry_after_s))
            return again(429, {"form": str(exc)})
        except InvalidInput as exc:
            return again(422, {"form": exc.rule})
        access.start_session(session)
        access.redirect("/password" if session.must_change_password else target, 303)

    @app.post("/signout")
    def signout() -> None:
        auth = access.current()
        if auth.session:
            sessions.end(auth.session.token)
            log.info("account %s: signed out", auth.session.username)
        access.clear_cookie(access.SESSION_COOKIE)
        access.redirect("/signin?notice=signed-out", 303)

    # -- own account -----------------------------------------------------------

    @app.get("/password")
    def password_form() -> str:
        auth = access.current()
        return render(
            "password",
            title="Choose your password",
            pending=auth.session.must_change_password if auth.session else False,
            rule=passwords.RULE,
            errors={},
            fields=PASSWORD_FIELDS,
        )

    @app.post("/password")
    def change_password() -> str:
        auth = access.current()
        if auth.session is None:
            raise bottle.HTTPError(403, "Only a signed-in person has a password here.")
        try:
            renewed = appliance.accounts.change_password(
                auth.session,
                _form("current_password"),
                _form("new_password"),
                _form("confirm_password"),
                access.client_ip(),
            )
        except TooManyAttempts as exc:
            bottle.response.set_header("Retry-After", str(exc.retry_after_s))
            return render(
                "password",
                429,
                title="Choose your password",
                pending=auth.session.must_change_password,
                rule=passwords.RULE,
                errors={"current_password": str(exc)},
                fields=PASSWORD_FIELDS,
            )
        except InvalidInput as exc:
            return render(
                "password",
                422,
                title="Choose your password",
                pending=auth.session.must_change_password,
                rule=passwords.RULE,
                errors=_field_errors(exc, labels=PASSWORD_LABELS),
                fields=PASSWORD_FIELDS,
            )
        access.start_session(renewed)
        access.redirect("/?notice=password-changed", 303)

    @app.get("/")
    def home() -> None:
        auth = access.current()
        notice = bottle.request.query.get("notice", "")
        suffix = f"?notice={notice}" if notice in NOTICES else ""
        if setup.needs_wizard(auth.principal):
            access.redirect("/setup", 303)
        if auth.principal.extension is not None:
            access.redirect(f"/portal{suffix}", 303)
        if auth.principal.can(Permission.VIEW_EXTENSIONS):
            access.redirect(f"/extensions{suffix}", 303)
        access.redirect(f"/account{suffix}", 303)

    @app.get("/account")
    def account() -> str:
        return render("account", title="Your account")

    # -- extensions --------------------------------------------------------------

    @app.get("/extensions")
    def extension_list() -> str:
        query = bottle.request.query
        sort = query.get("sort", "number")
        try:
            page = extensions().page(
                search=query.getunicode("q", default="") or "",
                sort=sort if sort in SORT_KEYS else "number",
                descending=query.get("order") == "desc",
                page=_int_query("page", 1),
            )
        except Forbidden as exc:
            return refused(exc)
        except InvalidInput as exc:
            return render(
                "error", 422, title="Invalid search", message=problems.message(exc)
            )
        try:
            registered = registrations.all_current(appliance.kamailio)
            sip_core_error = ""
        except RpcError as exc:
            registered, sip_core_error = {}, str(exc)

        def link(**changes: object) -> str:
            params = {
                "q": page.search,
                "sort": page.sort,
                "order": "desc" if page.descending else "asc",
                "page": page.page,
            } | changes
            kept = {k: v for k, v in params.items() if v not in ("", None)}
            return "/extensions?" + urllib.parse.urlencode(kept)

        return render(
            "extensions",
            title="Extensions",
            page=page,
            registered=registered,
            sip_core_error=sip_core_error,
            link=link,
        )

    @app.get("/extensions/new")
    def new_extension_form() -> str:
        try:
            access.current().principal.require(Permission.CHANGE_EXTENSIONS)
        except Forbidden as exc:
            return refused(exc)
        return render(
            "extension_form", title="New extension", values={}, errors={}, number=None
        )

    @app.post("/extensions/new")
    def add_extension() -> str:
        values = {name: _form(name) for name in ("number", "display_name", "email")}
        try:
            created = extensions().add(
                values["number"], values["display_name"], email=values["email"] or None
            )
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:  # invalid input, or the number is taken
            return render(
                "extension_form",
                422 if isinstance(exc, InvalidInput) else 409,
                title="New extension",
                values=values,
                errors=_field_errors(exc, problems.EXTENSION_FIELDS),
                number=None,
            )
        number = created.extension.number
        log.info("extension %s: added by %s", number, access.current().principal.name)
        if created.generated_password:
            flashes.put_password(
                access.current().session, number, created.generated_password
            )
        access.redirect(f"/extensions/{number}/added", 303)

    @app.get("/extensions/<number>/added")
    def extension_added(number: str) -> str:
        try:
            info = extensions().get(number)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        # Taken from the flash, so shown this once: a reload finds none, and
        # the page is never cached (Cache-Control: no-store on every page).
        password = flashes.take_password(access.current().session, number)
        return render(
            "extension_created",
            title=f"Extension {info.number} added",
            extension=info,
            password=password,
        )

    @app.get("/extensions/<number>")
    def extension_page(number: str) -> str:
        try:
            info = extensions().get(number)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        return _extension_page(info, {}, {})

    def _extension_page(
        info: ExtensionInfo,
        values: dict,
        errors: dict,
        status: int = 200,
        features: tuple[dict, dict] = ({}, {}),
    ) -> str:
        try:
            regs = registrations.current(appliance.kamailio, info.number)
            sip_core_error = ""
        except RpcError as exc:
            regs, sip_core_error = [], str(exc)
        shown = {
            "display_name": info.display_name,
            "email": info.email or "",
            "enabled": info.enabled,
            "pickup_group": info.pickup_group,
            "recording": info.recording,
            "outside_cid_number": info.outside_cid_number,
            "outside_cid_name": info.outside_cid_name,
            "internal_cid_name": info.internal_cid_name,
            "withhold_number": info.withhold_number,
            "version": form_versions.version_of(info.to_dict()),
        } | values
        return render(
            "extension_form",
            status,
            withhold_code=current_codes()["withhold_once"],
            title=f"Extension {info.number}",
            number=info.number,
            extension=info,
            values=shown,
            errors=errors,
            registrations=regs,
            sip_core_error=sip_core_error,
            **pages_features.section(
                access.current().principal, info.number, *features
            ),
        )

    def _features_refused(number: str, values: dict, errors: dict) -> str:
        return _extension_page(
            extensions().get(number), {}, {}, 422, features=(values, errors)
        )

    pages_features.install_admin(app, _features_refused)

    @app.post("/extensions/<number>")
    def update_extension(number: str) -> str:
        values = {
            "display_name": _form("display_name"),
            "email": _form("email"),
            "enabled": _form("enabled") == "on",
            "pickup_group": _form("pickup_group"),
            "recording": _form("recording") or "off",
            "outside_cid_number": _form("outside_cid_number"),
            "outside_cid_name": _form("outside_cid_name"),
            "internal_cid_name": _form("internal_cid_name"),
            "withhold_number": _form("withhold_number") == "on",
        }
        service = extensions()
        try:
            service.actor.require(Permission.CHANGE_EXTENSIONS)
            current = service.get(number)
            form_versions.check_edit(
                "extension", number, current.to_dict(), _form("version")
            )
            changes = {
                name: value
                for name, value in {
                    "display_name": values["display_name"],
                    "email": values["email"] or None,
                    "enabled": values["enabled"],
                    "pickup_group": (values["pickup_group"] or "").strip(),
                }.items()
                if getattr(current, name) != value
            }
            caller_id = {
                name: values[name]
                for name in CALLER_ID_FIELDS
                if getattr(current, name) != values[name]
            }
            if caller_id:
                changes["caller_id"] = caller_id
            # Every field checked before anything is saved, and every
            # refusal shown at once: a refused one leaves the form unsaved.
            refusals = Refusals()
            recording = refusals.check(recordings.mode, values["recording"])
            refusals.check(functools.partial(service.checked_changes, **changes))
            refusals.raise_any()
            if changes:
                service.update(number, **changes)
            if recording != current.recording:
                recordings.set_extension_recording(service.actor, number, recording)
                changes["recording"] = recording
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except form_versions.ChangedMeanwhile as exc:
            return _extension_page(current, {}, {"form": str(exc)}, exc.status)
        except InvalidInput as exc:
            errors = _field_errors(
                exc, problems.EXTENSION_FIELDS, labels=EXTENSION_CALLER_ID_LABELS
            )
            return _extension_page(current, values, errors, 422)
        if not changes:
            # Saving the form as it was shown is not a change: no audit entry.
            access.redirect(f"/extensions/{number}?notice=unchanged", 303)
        log.info("extension %s: changed by %s", number, service.actor.name)
        access.redirect(f"/extensions/{number}?notice=saved", 303)

    @app.post("/extensions/<number>/delete")
    def delete_extension(number: str) -> str:
        service = extensions()
        try:
            lines = service.remove(number)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except ExtensionInUse as exc:
            return render("error", 409, title="Still in use", message=str(exc))
        log.info("extension %s: deleted by %s", number, service.actor.name)
        notice = "deleted-from-phones" if lines else "deleted"
        access.redirect(f"/extensions?notice={notice}", 303)

    # -- audit log -----------------------------------------------------------------

    @app.get("/audit")
    def audit_log() -> str:
        page = _int_query("page", 1)
        try:
            records, total = audit.recent(
                access.current().principal, page, AUDIT_PAGE_SIZE
            )
        except Forbidden as exc:
            return refused(exc)
        pages = max(1, -(-total // AUDIT_PAGE_SIZE))
        return render(
            "audit", title="Audit log", records=records, page=page, pages=pages
        )
