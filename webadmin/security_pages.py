"""The admin page for security: banned addresses (search, ban, lift), the
networks each extension may register from, and the firewall's state, over
the same services as ``edgepbx ban`` and ``edgepbx allowed-networks``.
"""

from __future__ import annotations

import logging
import urllib.parse

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, NotFound, PbxError
from agent.security.certificates import CertificateService
from agent.security.extension_networks import ExtensionNetworkService
from agent.security.firewall import FirewallService
from agent.security.jail import BanService, JailPolicy
from webadmin import access
from webadmin.pages import render

log = logging.getLogger("edgepbx.web")

NOTICES = {
    "banned": "The address is banned.",
    "lifted": "The ban is lifted.",
    "networks": "The extension's allowed networks are changed.",
    "certificate": "The certificate is installed; it takes effect at the next "
    "start of the web admin and the SIP core.",
}


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def bans() -> BanService:
        return BanService(access.current().principal)

    def page(
        status: int = 200,
        error: str = "",
        address: str = "",
        networks_error: str = "",
        networks_form: dict | None = None,
        certificate_error: str = "",
    ) -> str:
        search = bottle.request.query.getunicode("q", default="") or ""
        principal = access.current().principal
        try:
            listed = bans().list(search)
            firewall = FirewallService(appliance.settings, principal).status()
            restricted = ExtensionNetworkService(principal).restricted()
            certificate = CertificateService(appliance.settings, principal).show()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        notice = NOTICES.get(bottle.request.query.get("done", ""), "")
        return render(
            "security",
            status,
            title="Security",
            bans=listed,
            search=search,
            firewall=firewall,
            policy=JailPolicy.load(),
            error=error,
            address=address,
            done=notice,
            restricted=restricted,
            networks_error=networks_error,
            networks_form=networks_form or {"extension": "", "networks": ""},
            certificate=certificate,
            certificate_error=certificate_error,
        )

    @app.get("/security")
    def security_page() -> str:
        return page()

    @app.post("/security/bans")
    def add_ban() -> str:
        forms = bottle.request.forms
        address = forms.getunicode("address", default="") or ""
        seconds_text = (forms.getunicode("seconds", default="") or "").strip()
        try:
            seconds = int(seconds_text) if seconds_text else None
            bans().add(
                address,
                seconds,
                reason=f"banned by {access.current().principal.name}",
                requester=access.client_ip(),
            )
        except ValueError:
            return page(422, "seconds: a whole number", address)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(422, str(exc), address)
        bottle.redirect("/security?done=banned", 303)

    @app.post("/security/bans/<address>/lift")
    def lift_ban(address: str) -> str:
        try:
            bans().remove(address)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except NotFound as exc:
            return page(404, str(exc))
        log.info("ban of %s: lifted by %s", address, access.current().principal.name)
        bottle.redirect("/security?done=lifted", 303)

    @app.post("/security/allowed-networks")
    def set_allowed_networks() -> str:
        forms = bottle.request.forms
        number = (forms.getunicode("extension", default="") or "").strip()
        typed = forms.getunicode("networks", default="") or ""
        try:
            ExtensionNetworkService(access.current().principal).set(
                number, typed.replace(",", " ").split()
            )
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            form = {"extension": number, "networks": typed}
            return page(422, networks_error=str(exc), networks_form=form)
        log.info(
            "extension %s: allowed networks changed by %s",
            number,
            access.current().principal.name,
        )
        bottle.redirect("/security?done=networks", 303)

    @app.post("/security/certificate")
    def upload_certificate() -> str:
        forms = bottle.request.forms
        try:
            result = CertificateService(
                appliance.settings, access.current().principal
            ).upload(
                forms.getunicode("certificate", default="") or "",
                forms.getunicode("private_key", default="") or "",
            )
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(422, certificate_error=str(exc))
        log.info(
            "certificate %s: uploaded by %s",
            result["fingerprint_sha256"],
            access.current().principal.name,
        )
        bottle.redirect("/security?done=certificate", 303)


def lift_action(address: str) -> str:
    return f"/security/bans/{urllib.parse.quote(address, safe='')}/lift"
