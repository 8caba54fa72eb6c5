"""What a phone's configuration files say, as values independent of vendor.

``SiteProfile`` is the same for every phone of the appliance (where to
register, time, language); ``PhoneProfile`` adds one phone's lines and its
admin password. Vendor modules turn these into their own file formats.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from agent.feature_codes import current_codes
from agent.provisioning import site
from agent.provisioning.zone_rule import ZoneRule, for_zone
from agent.settings import Settings
from agent.sip.feature_codes import DEFAULT_CODES
from agent.sip.kamailio_config import sip_domain, uri_host

# The feature code that dials the caller's own mailbox, by default; the site
# profile carries the one the feature-code table holds now.
VOICEMAIL_ACCESS_CODE = DEFAULT_CODES["voicemail_own"]


@dataclass(frozen=True)
class LineAccount:
    """One SIP account on a phone: user and auth name are the extension."""

    line: int
    number: str
    display_name: str
    password: str


@dataclass(frozen=True)
class FunctionKey:
    """One programmable key of a phone, numbered from 1 on the phone.

    ``kind`` is ``line`` (the key shows line ``line``), ``blf`` (the key
    watches extension ``target`` and calls it when pressed) or ``park``
    (the key watches park slot ``target``: lit while a call is parked
    there, and pressing it fetches the call).
    """

    position: int
    kind: str
    target: str
    label: str
    line: int = 1


@dataclass(frozen=True)
class SiteProfile:
    server: str
    port: int
    transport: str
    time_zone: str
    ntp_server: str
    language: str
    voicemail_code: str = VOICEMAIL_ACCESS_CODE
    #: Call pickup (agent/sip/pickup.py): the prefix a phone dials before
    #: the number of a ringing BLF key to pick up its call, and the code
    #: of group pickup.
    directed_pickup_code: str = DEFAULT_CODES["pickup_directed"]
    group_pickup_code: str = DEFAULT_CODES["pickup_group"]
    #: Where phones fetch files over HTTP: ``http://<address>:<port>/prov/``.
    http_base: str = ""

    def standard_utc_offset(self) -> dt.timedelta:
        """The zone's offset from UTC outside daylight saving time."""
        zone = zoneinfo.ZoneInfo(self.time_zone)
        january = dt.datetime(2025, 1, 15, 12, tzinfo=zone)
        july = dt.datetime(2025, 7, 15, 12, tzinfo=zone)
        # Outside DST is the smaller offset in the north and the south alike.
        return min(january.utcoffset(), july.utcoffset())

    def zone_rule(self) -> ZoneRule:
        """The zone's rule, daylight saving included, from its TZif file
        (``agent.provisioning.zone_rule``). A zone whose file holds no rule
        (a version 1 file, or one no TZ string describes) gets its standard
        offset alone, so its phones miss the daylight-saving changes."""
        try:
            return for_zone(self.time_zone).with_forward_saving()
        except ValueError:
            offset = int(self.standard_utc_offset().total_seconds())
            return ZoneRule("STD", offset)


@dataclass(frozen=True)
class PhoneProfile:
    mac: str
    vendor: str
    model: str
    admin_password: str
    lines: tuple[LineAccount, ...]
    site: SiteProfile
    keys: tuple[FunctionKey, ...] = ()
    #: Settings written last into the phone's own file, in the vendor's own
    #: names (``key = value`` for Yealink, an element for XML vendors).
    overrides: tuple[tuple[str, str], ...] = ()
    #: Where the phone fetches the firmware its model should run (None:
    #: keep its firmware).
    firmware_url: str | None = None
    #: Where the phone fetches its remote phonebook (None: no phonebook).
    phonebook_url: str | None = None

    def keys_of(self, *kinds: str) -> list[FunctionKey]:
        return [key for key in self.keys if key.kind in kinds]


def site_profile(settings: Settings) -> SiteProfile:
    """The site's values, from the settings and the site settings for
    phones (``agent.provisioning.site``). Phones on TLS register on the
    SIP TLS port (5061 unless set; RFC 3261 section 19.1.2)."""
    values = site.current()
    codes = current_codes()
    return SiteProfile(
        server=sip_domain(settings),
        port=settings.sip_tls_port if values.transport == "tls" else settings.sip_port,
        transport=values.transport,
        time_zone=values.time_zone,
        ntp_server=values.ntp_server,
        language=values.language,
        voicemail_code=codes["voicemail_own"],
        directed_pickup_code=codes["pickup_directed"],
        group_pickup_code=codes["pickup_group"],
        http_base=f"http://{uri_host(sip_domain(settings))}:{settings.http_port}/prov/",
    )
