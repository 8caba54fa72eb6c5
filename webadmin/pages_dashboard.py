"""The dashboard: the PBX at a glance for the people who run it.

Counts come from indexed SQL counts and one ``ul.dump`` of the SIP core,
so the page costs about the same with ten extensions or thousands.
"""

from __future__ import annotations

import bottle

from agent import audit
from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.contacts.service import ContactService
from agent.errors import Forbidden
from agent.extensions import registrations
from agent.provisioning.inventory import PhoneService
from agent.security.jail import BanService
from agent.sip.rpc import RpcError
from webadmin import access
from webadmin.pages import render
from webadmin.pages_people import refused

RECENT_CHANGES = 5


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    @app.get("/dashboard")
    def dashboard() -> str:
        principal = access.current().principal
        extensions = appliance.extensions_as(principal)
        try:
            total = extensions.count()
        except Forbidden as exc:
            return refused(exc)
        try:
            registered = registrations.all_current(appliance.kamailio)
            online = sum(1 for number in registered if principal.sees_extension(number))
            sip_core_error = ""
        except RpcError as exc:
            online, sip_core_error = None, str(exc)
        phones = len(PhoneService(appliance.key, principal).list())
        phonebooks = (
            len(ContactService(principal).phonebooks())
            if principal.can(Permission.VIEW_CONTACTS)
            else None
        )
        bans = (
            len(BanService(principal).list())
            if principal.can(Permission.VIEW_SECURITY)
            else None
        )
        changes = (
            audit.recent(principal, 1, RECENT_CHANGES)[0]
            if principal.can(Permission.VIEW_AUDIT_LOG)
            else None
        )
        return render(
            "dashboard",
            title="Dashboard",
            total=total,
            online=online,
            sip_core_error=sip_core_error,
            phones=phones,
            phonebooks=phonebooks,
            bans=bans,
            changes=changes,
        )
