"""The Storage page: what fills the disk, each kind's retention and quota,
and a clean-up now (``agent.storage.service``, as the CLI and the API)."""

from __future__ import annotations

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.errors import Forbidden, InvalidInput, PbxError
from agent.storage.service import DAYS_RULE, KINDS, LABELS, StorageService
from webadmin import access, problems
from webadmin.pages import _form, render

MB_RULE = "a whole number of MB, 1 or more, or empty for any size"


def _limit(field: str, text: str, rule: str) -> int | None:
    """A form's limit: empty is off; the range is the service's to check."""
    text = text.strip()
    if not text:
        return None
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidInput(field, text, rule)
    return int(text)


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def service() -> StorageService:
        return StorageService(appliance.settings, access.current().principal)

    def page(
        status: int = 200,
        errors: dict[str, str] | None = None,
        form: dict | None = None,
        cleanups: list | None = None,
    ) -> str:
        storage = service()
        try:
            usage = storage.usage()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        policy = {r.kind: r.to_dict() for r in storage.policy()}
        for kind, values in (form or {}).items():
            policy[kind] |= values
        return render(
            "storage",
            status,
            title="Storage",
            usage=usage,
            policy=policy,
            counts=storage.counts(),
            kinds=KINDS,
            labels=LABELS,
            editable=access.current().principal.can(Permission.CHANGE_SYSTEM_SETTINGS),
            errors=errors or {},
            cleanups=cleanups,
        )

    @app.get("/storage")
    def storage_page() -> str:
        return page()

    @app.post("/storage/<kind>")
    def change_retention(kind: str) -> str:
        form = {"max_days": _form("max_days"), "max_mb": _form("max_mb")}
        try:
            service().set_retention(
                kind,
                max_days=_limit("max_days", form["max_days"], DAYS_RULE),
                max_mb=_limit("max_mb", form["max_mb"], MB_RULE),
            )
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            key = f"{kind}.{exc.field}" if exc.field in form else "form"
            errors = {key: problems.message(exc)}
            shown = {kind: form} if kind in KINDS else None
            return page(422, errors, form=shown)
        access.redirect(f"/storage?notice=storage-saved#{kind}", 303)

    @app.post("/storage-clean")
    def clean_now() -> str:
        try:
            done = service().clean()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        return page(cleanups=done)
