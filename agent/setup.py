"""The installation wizard's state and the settings it makes.

The wizard runs on the first administrator's first sign-in: password (the
one-time one is replaced before anything else), time zone, a summary of
the network, the mail server with a test message, and the first
extensions. ``setup.completed`` records that it was finished, so it is not
offered again; every step can be changed later on its own page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from agent import audit, system_settings, time_zones
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.errors import InvalidInput
from agent.network import system_files
from agent.settings import Settings

log = logging.getLogger("edgepbx")

COMPLETED = "setup.completed"
TIMEZONE = "system.timezone"
DEFAULT_TIMEZONE = "UTC"


def is_complete() -> bool:
    return bool(system_settings.get(COMPLETED, False))


def needs_wizard(actor: Principal) -> bool:
    """Whether the home page should send this person into the wizard: the
    one who owns the appliance (a super administrator), until it is done."""
    return (
        actor.can(Permission.MANAGE_ACCOUNTS)
        and actor.can(Permission.CHANGE_SYSTEM_SETTINGS)
        and not is_complete()
    )


def complete(actor: Principal) -> None:
    actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
    if is_complete():
        return
    with database.atomic():
        system_settings.put(COMPLETED, True)
        audit.record(actor, "complete", "setup", "wizard", None, {"completed": True})
    log.info("installation wizard: completed by %s", actor.name)


def timezones() -> list[str]:
    return sorted(time_zones.names())


def timezone() -> str:
    return system_settings.get(TIMEZONE, DEFAULT_TIMEZONE)


def set_timezone(actor: Principal, name: str) -> str:
    """Set the appliance's one time zone: the PBX's clocks (call logs, time
    conditions, voicemail dates) and, on the device, the system's own
    (/etc/localtime, which the network settings used to set apart)."""
    actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
    name = (name or "").strip()
    if not time_zones.is_zone(name):
        raise InvalidInput("timezone", name, "a time zone such as Europe/Berlin")
    with database.atomic():
        before = timezone()
        if before != name:
            system_settings.put(TIMEZONE, name)
            audit.record(
                actor, "update", "setting", TIMEZONE, {"value": before}, {"value": name}
            )
            # Broadcasts at "08:00" mean 08:00 in the new zone.
            from agent.paging import broadcasts

            broadcasts.reschedule()
    if system_files.owns_time_zone():
        try:
            system_files.write_time_zone(name)
        except OSError as exc:
            log.warning("time zone %s: system files not written: %s", name, exc)
    return name


@dataclass(frozen=True)
class InterfaceAddress:
    interface: str
    address: str
    prefix: int


def network_summary(settings: Settings) -> dict:
    """The addresses of this machine and where the PBX listens on them."""
    addresses: list[InterfaceAddress] = []
    try:
        from pyroute2 import IPRoute

        with IPRoute() as ip:
            names = {
                link["index"]: link.get_attr("IFLA_IFNAME") for link in ip.get_links()
            }
            for entry in ip.get_addr():
                addresses.append(
                    InterfaceAddress(
                        names.get(entry["index"], "?"),
                        entry.get_attr("IFA_ADDRESS"),
                        entry["prefixlen"],
                    )
                )
    except Exception as exc:
        log.warning("network summary: addresses unknown: %s", exc)
    return {
        "addresses": addresses,
        "bind": settings.bind,
        "sip_port": settings.sip_port,
        "sip_tls_port": settings.sip_tls_port,
        "https_port": settings.https_port,
        "http_port": settings.http_port,
        "tftp_port": settings.tftp_port,
    }
