"""The feature codes page: every feature and its code, each changeable.

The same ``FeatureCodeService`` as the CLI and the API; a refused form comes
back with the error beside the code and nothing saved.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, PbxError
from agent.feature_codes import CODE_RULE, FeatureCodeService
from webadmin import access
from webadmin.pages import _field_errors, _form, render

log = logging.getLogger("edgepbx.web")


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def actor():
        return access.current().principal

    def page(typed: dict, errors: dict, status: int = 200) -> str:
        try:
            entries = FeatureCodeService(actor()).list()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        return render(
            "feature_codes",
            status,
            title="Feature codes",
            entries=entries,
            typed=typed,
            errors=errors,
            rule=CODE_RULE,
        )

    @app.get("/feature-codes")
    def feature_code_list() -> str:
        return page({}, {})

    def change(feature: str, reset: bool) -> str:
        code = _form("code").strip()
        service = FeatureCodeService(actor())
        try:
            info = service.reset(feature) if reset else service.set(feature, code)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            errors = _field_errors(exc)
            message = errors.get("code") or errors.get("form") or str(exc)
            return page({feature: code}, {feature: message}, 422)
        log.info("feature code %s: %s by %s", feature, info.code, actor().name)
        access.redirect(f"/feature-codes?notice=feature-code-saved#{feature}", 303)

    @app.post("/feature-codes/<feature>")
    def feature_code_save(feature: str) -> str:
        return change(feature, reset=False)

    @app.post("/feature-codes/<feature>/reset")
    def feature_code_reset(feature: str) -> str:
        return change(feature, reset=True)
