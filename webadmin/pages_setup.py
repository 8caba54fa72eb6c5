"""The installation wizard, offered on the first administrator's first
sign-in: time zone, network summary, mail server with a test message, and
the first extensions. (The one-time password is replaced before, on
``/password``, as on every first sign-in.)

Each step posts to itself and goes on to the next; any step may be
skipped, and each setting can be changed later on its own page.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging

import bottle

from agent import setup
from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.errors import Forbidden, PbxError
from agent.extensions.service import import_csv
from agent.mail import MailService
from webadmin import access, problems
from webadmin.pages import _field_errors, _form, render
from webadmin.pages_contacts import import_errors
from webadmin.pages_people import refused

log = logging.getLogger("edgepbx.web")

#: (step, title) in order; "password" is done on /password before any.
STEPS = (
    ("password", "Password"),
    ("timezone", "Time zone"),
    ("network", "Network"),
    ("mail", "Mail server"),
    ("extensions", "First extensions"),
)
FIRST_STEP = "timezone"
#: Rows of the first-extensions form; more are added on the Extensions page
#: or imported from CSV.
EXTENSION_ROWS = 5
EXTENSION_COLUMNS = ("number", "display_name", "email")
#: Every field the first-extensions form posts; a post with any other (a row
#: the form does not offer) is refused as a whole.
EXTENSION_FIELDS = frozenset(
    {access.CSRF_FIELD, "skip"}
    | {f"{name}_{i}" for name in EXTENSION_COLUMNS for i in range(EXTENSION_ROWS)}
)
MAIL_FIELDS = ("host", "port", "security", "username", "password", "sender")


def _next(step: str) -> str:
    names = [name for name, _ in STEPS]
    index = names.index(step)
    return names[index + 1] if index + 1 < len(names) else "done"


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def principal():
        return access.current().principal

    def step_page(step: str, status: int = 200, **values: object) -> str:
        return render(
            f"setup_{step}",
            status,
            title="Set up the phone system",
            steps=STEPS,
            step=step,
            errors=values.pop("errors", {}),
            **values,
        )

    def allowed() -> None:
        principal().require(Permission.CHANGE_SYSTEM_SETTINGS)

    def go_on(step: str) -> None:
        following = _next(step)
        if following == "done":
            setup.complete(principal())
            access.redirect("/extensions?notice=setup-done", 303)
        access.redirect(f"/setup/{following}", 303)

    @app.get("/setup")
    def setup_start() -> None:
        access.redirect(f"/setup/{FIRST_STEP}", 303)

    @app.get("/setup/<step>")
    def setup_step(step: str) -> str:
        try:
            allowed()
        except Forbidden as exc:
            return refused(exc)
        if step == "timezone":
            return step_page(step, zones=setup.timezones(), chosen=setup.timezone())
        if step == "network":
            return step_page(step, net=setup.network_summary(appliance.settings))
        if step == "mail":
            shown = MailService(appliance.key, principal()).show()
            return step_page(step, mail=shown, sent="")
        if step == "extensions":
            return step_page(step, rows=[{}] * EXTENSION_ROWS, created=None)
        raise bottle.HTTPError(404, "No such step.")

    @app.post("/setup/<step>")
    def setup_post(step: str) -> str:
        try:
            allowed()
        except Forbidden as exc:
            return refused(exc)
        if _form("skip"):
            go_on(step)
        if step == "timezone":
            try:
                setup.set_timezone(principal(), _form("timezone"))
            except PbxError as exc:
                return step_page(
                    step,
                    422,
                    zones=setup.timezones(),
                    chosen=_form("timezone"),
                    errors=_field_errors(exc),
                )
        elif step == "mail":
            return mail_step()
        elif step == "extensions":
            return extensions_step()
        elif step != "network":
            raise bottle.HTTPError(404, "No such step.")
        go_on(step)

    def mail_step() -> str:
        service = MailService(appliance.key, principal())
        form = {name: _form(name) for name in MAIL_FIELDS}
        changes: dict = {k: v for k, v in form.items() if k not in {"port", "password"}}
        changes["port"] = form["port"].strip() or None
        if form["password"]:
            changes["password"] = form["password"]
        shown = form | {"password_set": bool(form["password"])}
        shown.pop("password")
        saved = False
        try:
            service.change(**changes)
            saved = True
            if _form("test_to"):
                sent = service.send_test(_form("test_to"))
                return render_mail(
                    service.show(), f"A test message was sent to {sent['to']}."
                )
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            errors = (
                {"test_to": problems.message(exc)}
                if exc.field == "to" or exc.kind == "mail-not-sent"
                else _field_errors(exc)
            )
            if saved:
                # The settings stand; only the test failed, and the page
                # must not read as if nothing was kept.
                errors = {
                    "test_to": "The mail server settings were saved; the test "
                    "message was not sent: " + problems.message(exc)
                }
            return render_mail(shown | {"test_to": _form("test_to")}, "", errors, 422)
        go_on("mail")
        return ""

    def render_mail(mail: dict, sent: str, errors=None, status: int = 200) -> str:
        return step_page("mail", status, mail=mail, sent=sent, errors=errors or {})

    def extensions_step() -> str:
        unknown = sorted(set(bottle.request.forms) - EXTENSION_FIELDS)
        if unknown:
            rows = [
                {name: _form(f"{name}_{i}") for name in EXTENSION_COLUMNS}
                for i in range(EXTENSION_ROWS)
            ]
            message = (
                f"{unknown[0]}: not a field of this form, which has rows 1 to "
                f"{EXTENSION_ROWS} (number_0 to email_{EXTENSION_ROWS - 1}); "
                "nothing was added"
            )
            return step_page(
                "extensions", 422, rows=rows, created=None, errors={"form": message}
            )
        rows = [
            {
                "number": _form(f"number_{i}"),
                "display_name": _form(f"display_name_{i}"),
                "email": _form(f"email_{i}"),
            }
            for i in range(EXTENSION_ROWS)
        ]
        used = [i for i, r in enumerate(rows) if any(v.strip() for v in r.values())]
        filled = [rows[i] for i in used]
        if not filled:
            go_on("extensions")
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=["number", "display_name", "email"])
        writer.writeheader()
        writer.writerows(filled)
        try:
            created = import_csv(appliance.extensions_as(principal()), text.getvalue())
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            errors = import_errors(exc)
            # Line 2 of the CSV is the first filled row of the form: say
            # which row of the form, counting from 1, is wrong.
            errors["rows"] = [
                dataclasses.replace(e, row=used[e.row - 2] + 1) for e in errors["rows"]
            ]
            return step_page("extensions", 422, rows=rows, created=None, errors=errors)
        setup.complete(principal())
        log.info("installation wizard: %d first extensions added", len(created))
        return step_page("extensions", 201, rows=[], created=created)
