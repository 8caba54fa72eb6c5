"""Site settings every provisioned phone gets: time zone, NTP server,
language, and the SIP transport it registers over.

They live in the system_setting table under ``provisioning.*``. A value
never set follows the appliance: the phones' time zone is the appliance's
own (``agent.setup.timezone``), which is what an office expects of its desk
phones unless it says otherwise. An empty time zone (null in the API) goes
back to following the appliance's. Vendor modules turn the values into their
own names (``agent.provisioning.vendors``); a change reaches each phone at
its next fetch, because its files are rendered per request and their ETag is
a digest of the content (``webadmin.provisioning``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass

from agent import audit, setup, system_settings, time_zones
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.errors import InvalidInput

TIME_ZONE = "provisioning.time_zone"
NTP_SERVER = "provisioning.ntp_server"
LANGUAGE = "provisioning.language"
TRANSPORT = "provisioning.transport"
KEYS = {
    "time_zone": TIME_ZONE,
    "ntp_server": NTP_SERVER,
    "language": LANGUAGE,
    "transport": TRANSPORT,
}

# The public pool answers anywhere; an office with its own server sets it.
DEFAULT_NTP_SERVER = "pool.ntp.org"
DEFAULT_LANGUAGE = "en"
# UDP is what every phone does out of the box (RFC 3261 section 18 requires
# UDP and TCP of every element; phones ship with UDP selected).
DEFAULT_TRANSPORT = "udp"
#: Languages every vendor module has a name for (ISO 639-1 codes).
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
LANGUAGE_TITLES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
}
#: udp and tcp on the SIP port, tls on the SIP TLS port (Kamailio listens
#: on all three, ``agent.sip.kamailio_config.render``).
TRANSPORTS = ("udp", "tcp", "tls")
# RFC 1123 section 2.1 host names: labels of letters, digits and inner
# dashes, 63 characters each, 253 in all.
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)


@dataclass(frozen=True)
class SiteSettings:
    time_zone: str
    ntp_server: str
    language: str
    transport: str
    #: Whether the time zone was set for the phones, or follows the
    #: appliance's.
    time_zone_set: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def time_zone(value: str | None) -> str | None:
    """An IANA zone; None when empty: the phones follow the appliance's."""
    value = (value or "").strip()
    if not value:
        return None
    if not time_zones.is_zone(value):
        raise InvalidInput("time_zone", value, "an IANA time zone like Europe/Berlin")
    return value


def ntp_server(value: str) -> str:
    value = (value or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not _HOST_NAME.fullmatch(value):
        raise InvalidInput(
            "ntp_server",
            value,
            "a host name like ntp.example.com or an IP address (no URL, no spaces)",
        )
    return value.rstrip(".").lower()


def language(value: str) -> str:
    value = (value or "").strip().lower()
    if value not in LANGUAGES:
        raise InvalidInput("language", value, "one of " + ", ".join(LANGUAGES))
    return value


def transport(value: str) -> str:
    value = (value or "").strip().lower()
    if value not in TRANSPORTS:
        raise InvalidInput("transport", value, "one of " + ", ".join(TRANSPORTS))
    return value


_RULES = {
    "time_zone": time_zone,
    "ntp_server": ntp_server,
    "language": language,
    "transport": transport,
}


def current() -> SiteSettings:
    """The values phones get now (no permission: the files need them)."""
    zone = system_settings.get(TIME_ZONE)
    return SiteSettings(
        time_zone=zone or setup.timezone(),
        ntp_server=system_settings.get(NTP_SERVER, DEFAULT_NTP_SERVER),
        language=system_settings.get(LANGUAGE, DEFAULT_LANGUAGE),
        transport=system_settings.get(TRANSPORT, DEFAULT_TRANSPORT),
        time_zone_set=bool(zone),
    )


class SiteSettingsService:
    """Reading needs the right to view extensions, changing them the right
    to change them, as for the phones these settings go to. A role limited
    to some extensions may read them but not change them: they reach every
    phone, its extensions' and all others."""

    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    def get(self) -> SiteSettings:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        return current()

    def update(self, values: dict[str, object]) -> SiteSettings:
        """Check every given value, then save them all or none.

        ``values`` maps ``time_zone``, ``ntp_server``, ``language`` and
        ``transport`` to new values; a name left out keeps its value. A
        time zone of None or "" follows the appliance's from then on.
        """
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        self.actor.require_every_extension("site settings")
        for name in values:
            if name not in _RULES:
                raise InvalidInput(name, "", "not a site setting for phones")
        checked = {}
        for name, value in values.items():
            if name == "time_zone" and value is None:
                checked[name] = None
                continue
            if not isinstance(value, str):
                raise InvalidInput(name, str(value), "a string")
            checked[name] = _RULES[name](value)
        with database.atomic():
            before = current()
            changed = {
                name: value
                for name, value in checked.items()
                if name != "time_zone" and getattr(before, name) != value
            }
            if "time_zone" in checked:
                zone = checked["time_zone"]
                # A zone named while following the appliance is saved even
                # when it is the same: the phones keep it if the appliance
                # moves. None while following changes nothing.
                if zone != (before.time_zone if before.time_zone_set else None):
                    changed["time_zone"] = zone
            for name, value in changed.items():
                if value is None:
                    system_settings.delete(KEYS[name])
                else:
                    system_settings.put(KEYS[name], value)
            if changed:
                audit.record(
                    self.actor,
                    "update",
                    "setting",
                    "provisioning.site",
                    {name: _as_saved(before, name) for name in changed},
                    changed,
                )
        return current()


def _as_saved(settings: SiteSettings, name: str) -> str | None:
    """A value as the audit log keeps it: None for a followed time zone."""
    if name == "time_zone" and not settings.time_zone_set:
        return None
    return getattr(settings, name)
