"""The template pages: the saved templates, and one template's editor with
its preview, over the same ``TemplateService`` as the CLI and the API."""

from __future__ import annotations

import logging
import urllib.parse

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, PbxError
from agent.provisioning.templates import TemplateService
from agent.provisioning.vendors import VENDORS
from webadmin import access
from webadmin.pages import _form, render

log = logging.getLogger("edgepbx.web")


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def templates() -> TemplateService:
        return TemplateService(access.current().principal)

    def refused(error: PbxError) -> str:
        status = 403 if isinstance(error, Forbidden) else 404
        title = "Forbidden" if status == 403 else "Not found"
        return render("error", status, title=title, message=str(error))

    @app.get("/phones/templates")
    def template_list() -> str:
        query = bottle.request.query
        if query.get("vendor"):
            where = "/".join(
                urllib.parse.quote(query.get(name, ""), safe="*")
                for name in ("vendor", "model", "file")
            )
            bottle.redirect(f"/phones/templates/{where}", 303)
        try:
            rows = templates().list()
        except Forbidden as exc:
            return refused(exc)
        return render(
            "phone_templates",
            title="Phone templates",
            templates=rows,
            vendors=sorted(VENDORS.values(), key=lambda v: v.title),
        )

    def editor(
        vendor: str,
        model: str,
        file: str,
        body: str | None = None,
        preview: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> str:
        try:
            info = templates().get(vendor, model, file)
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return render("error", 404, title="Not found", message=str(exc))
        return render(
            "phone_template",
            status,
            title=f"Template {info.vendor} {info.model} ({info.file} file)",
            saved=info,
            body=info.body if body is None else body,
            preview=preview,
            error=error,
        )

    @app.get("/phones/templates/<vendor>/<model>/<file>")
    def template_page(vendor: str, model: str, file: str) -> str:
        return editor(vendor, model, file)

    @app.post("/phones/templates/<vendor>/<model>/<file>")
    def template_change(vendor: str, model: str, file: str) -> str:
        body = _form("body").replace("\r\n", "\n")
        service = templates()
        try:
            if _form("action") == "preview":
                content = service.preview(vendor, model, file, body)
                return editor(vendor, model, file, body, content.decode("utf-8"))
            if _form("action") == "reset":
                service.reset(vendor, model, file)
            else:
                service.save(vendor, model, file, body)
        except Forbidden as exc:
            return refused(exc)
        except PbxError as exc:
            return editor(vendor, model, file, body, error=str(exc), status=422)
        log.info(
            "template %s/%s/%s: changed by %s", vendor, model, file, service.actor.name
        )
        where = bottle.request.path
        bottle.redirect(
            f"{urllib.parse.quote(where, safe='/*')}?notice=template-saved", 303
        )
