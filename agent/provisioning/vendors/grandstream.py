"""Grandstream GXP1xxx, GXP2xxx and GRP26xx: ``cfg.xml`` and ``cfg<mac>.xml``.

Grandstream's XML provisioning wraps "P-values" (``<P47>…</P47>``, one per
field of the phone's web page) in ``<gs_provision version="1"><config
version="1">``. The phone asks for ``cfg<mac>`` (the older binary format,
not served here), then ``cfg<mac>.xml``, then the generic ``cfg.xml``.

P-values written (``COMMON_KEYS``, ``MAC_FILE_KEYS``), from Grandstream's
configuration templates for the GXP21xx series: account 1 uses P271
(active), P270 (account name), P47 (SIP server, ``host:port``), P35 (SIP
user id), P36 (authenticate id), P34 (password), P3 (display name), P33
(voicemail access number); account N from 2 on uses the same fields at
100·(N+2) + 1, 2, 4, 5, 6, 7, 17, 26. P2 is the admin password, P30 the
NTP server, P1362 the display language (a language code).

Not written yet, because the value lists differ between firmware lines:
the time zone (P64) and the transport (UDP, the phones' default, is what
the PBX offers anyway). GXP models have six accounts at most, so six lines.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from agent.provisioning.profile import LineAccount, PhoneProfile, SiteProfile
from agent.provisioning.vendors import Vendor
from agent.provisioning.vendors.xml_file import to_bytes

MAX_LINES = 6

# Field -> P-value of account 1, and offset within the block of account N>=2.
_FIRST_ACCOUNT = {
    "active": 271,
    "server": 47,
    "user_id": 35,
    "auth_id": 36,
    "password": 34,
    "display_name": 3,
    "account_name": 270,
    "voicemail": 33,
}
_OTHER_ACCOUNT_OFFSET = {
    "active": 1,
    "server": 2,
    "user_id": 4,
    "auth_id": 5,
    "password": 6,
    "display_name": 7,
    "account_name": 17,
    "voicemail": 26,
}
ADMIN_PASSWORD = "P2"
NTP_SERVER = "P30"
LANGUAGE = "P1362"


def p_value(field: str, line: int) -> str:
    if line == 1:
        return f"P{_FIRST_ACCOUNT[field]}"
    return f"P{100 * (line + 2) + _OTHER_ACCOUNT_OFFSET[field]}"


COMMON_KEYS = frozenset({NTP_SERVER, LANGUAGE})
MAC_FILE_KEYS = frozenset(
    {p_value(field, line) for field in _FIRST_ACCOUNT for line in range(1, 7)}
    | {ADMIN_PASSWORD}
)


def _provision(values: list[tuple[str, str]], mac: str | None) -> bytes:
    root = ET.Element("gs_provision", version="1")
    if mac:
        ET.SubElement(root, "mac").text = mac
    config = ET.SubElement(root, "config", version="1")
    for key, value in values:
        ET.SubElement(config, key).text = value
    return to_bytes(root)


def _account(account: LineAccount, site: SiteProfile) -> list[tuple[str, str]]:
    n = account.line
    return [
        (p_value("active", n), "1"),
        (p_value("account_name", n), account.number),
        (p_value("server", n), f"{site.server}:{site.port}"),
        (p_value("user_id", n), account.number),
        (p_value("auth_id", n), account.number),
        (p_value("password", n), account.password),
        (p_value("display_name", n), account.display_name),
        (p_value("voicemail", n), site.voicemail_code),
    ]


def render_common(site: SiteProfile) -> bytes:
    return _provision([(NTP_SERVER, site.ntp_server), (LANGUAGE, site.language)], None)


def render_mac_file(phone: PhoneProfile) -> bytes:
    values: list[tuple[str, str]] = []
    for account in phone.lines:
        values += _account(account, phone.site)
    values.append((ADMIN_PASSWORD, phone.admin_password))
    return _provision(values, phone.mac)


VENDOR = Vendor(
    name="grandstream",
    title="Grandstream",
    models=re.compile(r"(GXP1[0-9]{3}|GXP2[0-9]{3}|GRP26[0-9]{2})[A-Z]{0,2}", re.I),
    models_rule="a GXP1xxx, GXP2xxx or GRP26xx model like GXP2170",
    content_type="text/xml; charset=utf-8",
    common_file=re.compile(r"cfg\.xml", re.IGNORECASE),
    mac_file=re.compile(r"cfg(?P<mac>[0-9a-f]{12})\.xml", re.IGNORECASE),
    render_common=render_common,
    render_mac_file=render_mac_file,
    max_lines=MAX_LINES,
)
