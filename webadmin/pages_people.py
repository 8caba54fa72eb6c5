"""Pages of people and what they may do: accounts, API tokens, custom roles.

Only a super administrator manages these (``Permission.MANAGE_ACCOUNTS``,
checked by the services). A one-time password or a new token is shown
once, on the page the form redirects to, through the flash box.
"""

from __future__ import annotations

import logging

import bottle

from agent.accounts import custom_roles, tokens
from agent.accounts.roles import ACCESS_LEVELS, MODULES, Permission, Role
from agent.accounts.service import AccountInfo
from agent.appliance import Appliance
from agent.errors import Forbidden, InvalidInput, NotFound, PbxError
from webadmin import access, form_versions
from webadmin.flash import FlashBox
from webadmin.pages import _field_errors, _form, render

log = logging.getLogger("edgepbx.web")


def account_row(account: AccountInfo) -> dict:
    """An account as its row on the Accounts page shows it; the row's role
    form carries the version of this (webadmin.form_versions)."""
    return {
        "username": account.username,
        "role": account.role,
        "extension": account.extension,
        "must_change_password": account.must_change_password,
    }


def refused(error: PbxError) -> str:
    if isinstance(error, Forbidden):
        return render("error", 403, title="Forbidden", message=str(error))
    return render("error", 404, title="Not found", message=str(error))


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    flashes = FlashBox(appliance.settings.run_dir, appliance.key)

    def principal():
        return access.current().principal

    def session():
        return access.current().session

    # -- accounts ------------------------------------------------------------

    def accounts_page(values: dict, errors: dict, status: int = 200) -> str:
        try:
            rows = appliance.accounts.list(principal())
        except Forbidden as exc:
            return refused(exc)
        return render(
            "accounts",
            status,
            title="Accounts",
            accounts=rows,
            versions={
                a.username: form_versions.version_of(account_row(a)) for a in rows
            },
            roles=custom_roles.all_role_names(),
            values=values,
            errors=errors,
        )

    @app.get("/accounts")
    def account_list() -> str:
        return accounts_page({"role": Role.OPERATOR.value}, {})

    @app.post("/accounts/new")
    def add_account() -> str:
        values = {"username": _form("username"), "role": _form("role")}
        try:
            info, password = appliance.accounts.add(
                principal(), values["username"], values["role"]
            )
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return accounts_page(values, _field_errors(exc), 422)
        flashes.put_password(session(), f"account/{info.username}", password)
        access.redirect(f"/accounts/{info.username}/password", 303)

    @app.get("/accounts/<username>/password")
    def account_password(username: str) -> str:
        try:
            info = appliance.accounts.get(principal(), username)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        password = flashes.take_password(session(), f"account/{info.username}")
        return render(
            "secret_shown",
            title=f"Account {info.username}",
            what="One-time password",
            secret=password,
            about=(
                f"{info.username} signs in with it once and then chooses a password."
            ),
            back="/accounts",
        )

    @app.post("/accounts/<username>/role")
    def set_account_role(username: str) -> str:
        try:
            current = appliance.accounts.get(principal(), username)
            form_versions.check_edit(
                "account", username, account_row(current), _form("version")
            )
            appliance.accounts.set_role(principal(), username, _form("role"))
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except form_versions.ChangedMeanwhile as exc:
            return accounts_page({}, {"form": str(exc)}, exc.status)
        except PbxError as exc:
            return accounts_page({}, _field_errors(exc), 422)
        access.redirect("/accounts?notice=saved-account", 303)

    @app.post("/accounts/<username>/reset")
    def reset_account(username: str) -> str:
        try:
            info = appliance.accounts.get(principal(), username)
            password = appliance.accounts.reset_password(principal(), info.username)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        flashes.put_password(session(), f"account/{info.username}", password)
        access.redirect(f"/accounts/{info.username}/password", 303)

    @app.post("/accounts/<username>/delete")
    def delete_account(username: str) -> str:
        try:
            appliance.accounts.remove(principal(), username)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return accounts_page({}, _field_errors(exc), 422)
        access.redirect("/accounts?notice=removed", 303)

    # -- API tokens ------------------------------------------------------------

    def tokens_page(values: dict, errors: dict, status: int = 200) -> str:
        try:
            rows = tokens.list_tokens(principal())
        except Forbidden as exc:
            return refused(exc)
        return render(
            "tokens",
            status,
            title="API tokens",
            tokens=rows,
            roles=[r for r in custom_roles.all_role_names() if r != Role.USER],
            values=values,
            errors=errors,
        )

    @app.get("/tokens")
    def token_list() -> str:
        return tokens_page({"role": Role.ADMINISTRATOR.value}, {})

    @app.post("/tokens/new")
    def add_token() -> str:
        values = {"name": _form("name"), "role": _form("role")}
        try:
            info, token = tokens.create(principal(), values["role"], values["name"])
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return tokens_page(values, _field_errors(exc), 422)
        flashes.put_password(session(), f"token/{info.id}", token)
        access.redirect(f"/tokens/{info.id}/made", 303)

    @app.get("/tokens/<token_id:int>/made")
    def token_made(token_id: int) -> str:
        try:
            principal().require(Permission.MANAGE_ACCOUNTS)
        except Forbidden as exc:
            return refused(exc)
        token = flashes.take_password(session(), f"token/{token_id}")
        return render(
            "secret_shown",
            title=f"API token {token_id}",
            what="Token",
            secret=token,
            about="Send it as Authorization: Bearer TOKEN to /api/v1/.",
            back="/tokens",
        )

    @app.post("/tokens/<token_id:int>/revoke")
    def revoke_token(token_id: int) -> str:
        try:
            tokens.revoke(principal(), token_id)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        access.redirect("/tokens?notice=revoked", 303)

    # -- custom roles ---------------------------------------------------------------

    def role_form(
        name: str | None, values: dict, errors: dict, status: int = 200
    ) -> str:
        return render(
            "role_form",
            status,
            title="New role" if name is None else f"Role {name}",
            name=name,
            modules=MODULES,
            levels=ACCESS_LEVELS,
            values=values,
            errors=errors,
        )

    def posted_role() -> dict:
        return {
            "name": _form("name"),
            "description": _form("description"),
            "extension_ranges": _form("extension_ranges"),
            "all_extensions": _form("all_extensions") == "on",
            "modules": {m: _form(f"module_{m}") or "none" for m in MODULES},
        }

    def refuse_repeated_modules() -> None:
        """A module sent twice is refused, as the CLI refuses it, rather than
        the last of its levels quietly winning."""
        for module in MODULES:
            if len(bottle.request.forms.getall(f"module_{module}")) > 1:
                raise InvalidInput(
                    "modules", module, "given twice; give each module once"
                )

    def posted_ranges(values: dict) -> str | None:
        """The form's ranges, or None for every extension; a range typed
        beside a ticked Every extension is refused, not quietly dropped."""
        if not values["all_extensions"]:
            return values["extension_ranges"]
        if values["extension_ranges"].strip():
            raise InvalidInput(
                "extension_ranges",
                values["extension_ranges"],
                "leave this empty when Every extension is ticked, or untick it",
            )
        return None

    @app.get("/roles")
    def role_list() -> str:
        try:
            rows = custom_roles.list_roles(principal())
        except Forbidden as exc:
            return refused(exc)
        return render("roles", title="Roles", roles=rows, predefined=list(Role))

    @app.get("/roles/new")
    def new_role() -> str:
        try:
            principal().require(Permission.MANAGE_ACCOUNTS)
        except Forbidden as exc:
            return refused(exc)
        return role_form(None, {"modules": {}, "all_extensions": True}, {})

    @app.post("/roles/new")
    def add_role() -> str:
        values = posted_role()
        try:
            refuse_repeated_modules()
            info = custom_roles.create(
                principal(),
                values["name"],
                values["modules"],
                posted_ranges(values),
                values["description"],
            )
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return role_form(None, values, _field_errors(exc), 422)
        access.redirect(f"/roles/{info.name}?notice=saved-role", 303)

    @app.get("/roles/<name>")
    def role_page(name: str) -> str:
        try:
            info = custom_roles.get(principal(), name)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        return role_form(
            info.name,
            {
                "description": info.description,
                "extension_ranges": info.extension_ranges or "",
                "all_extensions": info.extension_ranges is None,
                "modules": info.modules,
            },
            {},
        )

    @app.post("/roles/<name>")
    def change_role(name: str) -> str:
        values = posted_role()
        try:
            refuse_repeated_modules()
            custom_roles.update(
                principal(),
                name,
                modules=values["modules"],
                extension_ranges=posted_ranges(values),
                description=values["description"],
                all_extensions=values["all_extensions"],
            )
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return role_form(name, values, _field_errors(exc), 422)
        access.redirect(f"/roles/{name}?notice=saved-role", 303)

    @app.post("/roles/<name>/delete")
    def delete_role(name: str) -> str:
        try:
            custom_roles.remove(principal(), name)
        except (Forbidden, NotFound) as exc:
            return refused(exc)
        except PbxError as exc:
            return render("error", 409, title="Role in use", message=str(exc))
        access.redirect("/roles?notice=removed", 303)
