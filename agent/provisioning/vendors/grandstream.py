"""Grandstream GXP, GRP26xx and GXV: ``cfg.xml`` and ``cfg<mac>.xml``.

Grandstream's XML provisioning wraps "P-values" (``<P47>…</P47>``, one per
field of the phone's web page) in ``<gs_provision version="1"><config
version="1">``. The phone asks for ``cfg<mac>`` (the older binary format,
not served here; ``cfg<mac>.bin`` on newer firmware), then
``cfg<mac>.xml``, then ``cfg<model>.xml`` and the generic ``cfg.xml``
(Grandstream SIP Device Provisioning Guide, "Overview" and "Provisioning
flow"; the ``<gs_provision>`` wrapper and its optional ``<mac>`` check are
from the same guide's XML section). It asks for ``cfg<model>.xml`` and
``cfg.xml`` only when ``cfg<mac>.xml`` could not be downloaded (GXP21xx
and GXP17xx administration guides, "Config File Download"), so a phone the
PBX knows reads its own file alone: that file repeats the site values of
the common file (``COMMON_KEYS``), which serves phones not added yet.

P-values written (``COMMON_KEYS``, ``MAC_FILE_KEYS``), from Grandstream's
configuration templates for the GXP21xx series: account 1 uses P271
(active), P270 (account name), P47 (SIP server, ``host:port``), P35 (SIP
user id), P36 (authenticate id), P34 (password), P3 (display name), P33
(voicemail access number), P130 (SIP transport: 0 UDP, 1 TCP, 2 TLS);
accounts 2 to 4 use the same fields at 100·(N+2) + 1, 2, 4, 5, 6, 7, 17,
26, 48 (the 400, 500 and 600 blocks), and accounts 5 and 6 the same
offsets in the 1700 and 1800 blocks (account 5's SIP server is P1702, its
password P1706, its transport P1748): Grandstream's configuration template
for the GXP2130/2140/2160/2170/2135 (firmware 1.0.9.127, "Account 5 -
GXP2160/2170 only", "Account 6"). Grandstream's configuration template
for the GRP261x (firmware 1.0.5.15) gives the GRP2612 to GRP2616 the same
numbers: "Account 5 GRP2615/GRP2616 only" is P1701, P1717, P1702, P1704
to P1707, P1726, P1748 and P1781, "Account 6 GRP2616 only" P1801, P1817,
P1802, P1804 to P1807, P1826, P1848 and P1881. (A public GRP2616 template
of another PBX writes account 5 in P7xx; Grandstream's own does not.)
Known shortcoming: no Grandstream template for the GRP260x (GRP2601 to
GRP2604) was found; one public integration writes their accounts 5 and 6
in P701 and P801, so a GRP2603's or GRP2604's fifth and sixth lines may
not register with the 1700 and 1800 blocks written here.

P2 is the admin password, P30 the NTP server, P1362 the display language
(a language code). The transport's P-values follow the
same templates; the administration guides name the choices (UDP, TCP,
TLS) but not their numbers, which come from the templates alone.

Lines per model (``MODEL_ACCOUNTS``): a phone gets as many lines as its
model has SIP accounts, and at most the six whose P-values are above. The
templates say which accounts a model has: the GXP21xx template's "Account
5 - GXP2160/2170 only" (so four on a GXP2135 and GXP2140, three on a
GXP2130), the GXP17xx template's accounts 2 to 4 (three on a GXP1760,
four on a GXP1780 and GXP1782), and the GRP261x template's "Account 5
GRP2615/GRP2616 only" and "Account 6 GRP2616 only", with two, three and four accounts
on a GRP2612, GRP2613 and GRP2614 as Grandstream numbers these models
(assumed: the template's words on accounts 2 to 4 are not quoted here). The
GXP16xx counts (one on a GXP1610 and GXP1615, two on a GXP1620, GXP1625
and GXP1628, three on a GXP1630), the GRP260x's (two on a GRP2601, four on
a GRP2602, six on a GRP2603 and GRP2604) and those of the larger GRP26xx
and the GXV are from a public integration's reading of Grandstream's
current template set, not from a template read here. Known shortcoming:
the same integration says current GRP2612, GRP2613 and GRP2614 hardware
and firmware have more accounts than the GRP261x template of firmware
1.0.5.15 gives them (four, six and twelve), so a newer one is held to
fewer lines than it has; and models with more than six accounts (the
GRP2624 on, every GXV) get six, because accounts 7 on are in P-values
(one integration writes account 7 at P50601, each next one 100 further)
that no Grandstream template read here confirms.

GXV video phones (GXV3350, GXV3370, GXV3380, GXV3450, GXV3470, GXV3480,
GXV3500, the models Grandstream lists) are Android phones provisioned
with the same ``cfg<mac>.xml`` and the same account P-values (sixteen
accounts, of which six are written). They have no multi-purpose keys:
their BLF keys are an on-screen application whose P-values are in no
template read here, so no key is written for a GXV and the inventory
refuses keys on one (``model_keys``). Their time zone is not written
either: the integration above says the Android phones take a zone name
such as ``Europe/Berlin`` in P64, not ``customize`` with a P246 rule, and
neither reading is confirmed, so a GXV keeps the zone it has. The NTP
server (P30), the language (P1362), the BLF pickup prefixes, the admin
password, the firmware and phonebook P-values are written as for a GXP;
that a GXV reads each of them the same way is assumed, not checked against
a GXV template. Their
firmware file is uploaded under the name Grandstream gives it (a GXP2170's
is ``gxp2170fw.bin``; a GXV's is assumed to follow it, like
``gxv3480fw.bin``, not confirmed).

A BLF key of a ringing extension picks the call up by dialling a prefix
and the number: the "BLF Call-pickup Prefix" of the GXP21xx user manual
(default ``**``), per account. It is the PBX's directed pickup code, a
site value, written for account 1 (P1347) in both files and for each
further account of a phone in its own file. Account 1's P1347 is from
Grandstream's configuration templates ("Account 1: SIP Settings/Advanced
Features"); the GXP17xx template (firmware 1.0.1.133) gives accounts 2, 3
and 4 as P481, P581 and P681, and the GXP21xx template above gives
accounts 5 and 6 as P1781 and P1881: the block rule with offset 81.
"Force BLF Call-pickup by prefix" (P6752, P6753, ... in the same
templates) keeps the phone's default.

The time zone is P64 ``customize`` ("Self-Defined Time Zone") with the
zone's rule in P246, and P143 ``0`` so that a DHCP server's option 2 (a
bare offset) does not replace it; all three are site values. Their names
and values are from Grandstream's configuration template for the GXP17xx
series ("Settings/Date and Time": P64's list of choices ending in
``customize``, P246 "Self Defined Time zone. Max length allowed is 64
characters", P143 "Allow DHCP Option 2 to override Time Zone setting"); the
GRP261x template above lists the same three, with P64's choices ending in
``customize`` ("Self-Defined Time Zone"); that the GXP21xx's are the same
is assumed, not checked. P246's syntax, ``std offset dst [offset], start
[/time], end [/time]`` with POSIX's signs and ``Mm.w.d`` changes, is from
the administration guides of Grandstream's UCM series ("Self-Defined Time
Zone", default ``MTZ+6MDT+5,M4.1.0,M11.1.0``). P246 is the POSIX TZ string
of the zone's TZif file (``agent.provisioning.zone_rule``), with daylight
saving told as moving the clock forward and a quoted name (``<-03>``)
written ``STD`` or ``DST``, because every example Grandstream gives is
unquoted; the longest such string in tzdata is 44 characters. P64's own
list in the GRP261x template writes 24:00 changes (Santiago's
``M9.1.6/24:00``, Tehran's ``M3.3.5/24:00:00``), so Egypt's and Chile's
``/24`` are within what the firmware is shown to take. Not confirmed by a
public document: that it takes a change time past 24 hours or below 0,
which tzdata writes for Israel and Palestine (``M3.4.4/26``) and Greenland
(``/-1``); phones there may change at the wrong time or not at all.

Programmable keys of a GXP are the multi-purpose keys (MPK) of the GXP21xx:
key K (1 to 7) has its mode in P(322+K) (1 is BLF), its account in
P(298+3K) (0 for account 1), its name in P(299+3K) and its value in
P(300+3K). These P-values are from public templates only: another public
GXP provisioning template writes the first keys with the same numbers (P323
mode, P301 account, P302 description, P303 value; P324, P304, P305, P306
for the second), but no Grandstream administration guide found lists them.
A GRP26xx has virtual multi-purpose keys (VPK) instead, in Grandstream's
GRP261x template ("Settings/Programmable Keys/Virtual Multi-Purpose Keys";
a GRP260x's are assumed the same, not checked): VPK K of 1 to 6 has its key
mode in P(1361+2K) (1 is BLF, as on a GXP), its account in P(1362+2K), its
description in P(1463+2K) and its value in P(1464+2K) (P1363, P1364, P1465,
P1466 for the first); VPK 7 on is P23800, P23801, P23802, P23803 and each
next one four further. The template says a dynamic VPK (one past the
model's fixed ones, which are its lines: 6 on a GRP2616, 5 on a GRP2615)
must not be skipped, or the ones after it are dropped, so keys placed with
a gap there may not show. A park slot is a BLF key on the slot's number.
Line keys are not written: a phone's first keys are its lines already.

The firmware server is P192 (host and path, no scheme) with P6767 the
protocol ("Firmware Upgrade Via": 0 TFTP, 1 HTTP, 2 HTTPS), as the
GXP2130/2140/2160/2170/2135 template (firmware 1.0.11.16) and the GRP261x
template list them; there P212 is "Config Via", how the phone fetches this
very file, which the PBX leaves as the phone found it. The phonebook XML
download is P330 with its own codes, 0 off, 1 HTTP, 2 TFTP and 3 HTTPS, and
P331 the server path ("host/path format", no scheme), as Grandstream's
configuration templates for the GXP series list them ("XML Phonebook":
"Enable Phonebook XML Download", "Phonebook XML Server Path").

P331 is a directory: the phone asks for ``phonebook.xml`` under it, as
public integrations serve it (FusionPBX's Grandstream templates give each
phone a path of its own and answer ``<path>/phonebook.xml`` with that
phone's phonebook). So P331 is the phone's phonebook URL without its last
part, ``host:port/prov/<mac>``, and the phone asks for
``/prov/<mac>/phonebook.xml``, which the provisioning tree serves
(``agent.provisioning.phonebook``). A phonebook URL that does not end in
that name is not written, because the phone could not fetch it. An
administrator's template gets the same two values as ``phonebook_folder``
(P331) and ``phonebook_download`` (P330) beside ``phonebook_url``, the
whole URL, which P331 does not take (``template_values``). Known
shortcoming: no Grandstream guide found says in so many words that the
firmware appends ``phonebook.xml``; the public integrations are the
evidence. Which file name a firmware line appends to P192 is not
confirmed either.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from agent.provisioning.profile import LineAccount, PhoneProfile, SiteProfile
from agent.provisioning.vendors import Vendor, merged
from agent.provisioning.vendors.xml_file import to_bytes

MAX_LINES = 6

# Field -> P-value of account 1, and offset within the block of account N>=2.
_FIRST_ACCOUNT = {
    "blf_pickup_prefix": 1347,
    "active": 271,
    "server": 47,
    "user_id": 35,
    "auth_id": 36,
    "password": 34,
    "display_name": 3,
    "account_name": 270,
    "voicemail": 33,
    "transport": 130,
}
_OTHER_ACCOUNT_OFFSET = {
    "blf_pickup_prefix": 81,
    "active": 1,
    "server": 2,
    "user_id": 4,
    "auth_id": 5,
    "password": 6,
    "display_name": 7,
    "account_name": 17,
    "voicemail": 26,
    "transport": 48,
}
ADMIN_PASSWORD = "P2"
NTP_SERVER = "P30"
# SIP transport of an account: 0 UDP, 1 TCP, 2 TLS (over TCP).
TRANSPORT = {"udp": "0", "tcp": "1", "tls": "2"}
LANGUAGE = "P1362"
BLF_PICKUP_PREFIX = "P1347"  # account 1's BLF call-pickup prefix
TIME_ZONE = "P64"
SELF_DEFINED_TIME_ZONE = "P246"
TIME_ZONE_FROM_DHCP = "P143"
# P64's choice that makes the phone read its zone from P246.
SELF_DEFINED = "customize"


# First P-value of each further account's block: accounts 2 to 4 follow
# one another from 400, accounts 5 and 6 (GXP2160, GXP2170, GRP2615,
# GRP2616) start again at 1700 (see the module's text).
_ACCOUNT_BLOCK = {2: 400, 3: 500, 4: 600, 5: 1700, 6: 1800}


def p_value(field: str, line: int) -> str:
    if line == 1:
        return f"P{_FIRST_ACCOUNT[field]}"
    return f"P{_ACCOUNT_BLOCK[line] + _OTHER_ACCOUNT_OFFSET[field]}"


MAX_KEYS = 7  # multi-purpose keys of a GXP2160
MPK_MODE_BLF = "1"
FIRMWARE_SERVER = "P192"
FIRMWARE_PROTOCOL = "P6767"  # "Firmware Upgrade Via"; P212 is the config's
PHONEBOOK_DOWNLOAD = "P330"
PHONEBOOK_PATH = "P331"
PROTOCOL = {"http": "1", "https": "2"}  # P6767, the firmware's
PHONEBOOK_PROTOCOL = {"http": "1", "https": "3"}  # P330; 2 would be TFTP
# What the phone appends to P331 (see the module's text).
PHONEBOOK_FILE = "phonebook.xml"


def mpk_values(key: int) -> tuple[str, str, str, str]:
    """P-values of multi-purpose key ``key``: mode, account, name, value."""
    return (
        f"P{322 + key}",
        f"P{298 + 3 * key}",
        f"P{299 + 3 * key}",
        f"P{300 + 3 * key}",
    )


FIXED_VPKS = 6  # a GRP2616's VPK 1 to 6: P1363 on; the rest from P23800
FIRST_DYNAMIC_VPK = 23800


def vpk_values(key: int) -> tuple[str, str, str, str]:
    """P-values of a GRP26xx's virtual multi-purpose key ``key``: mode,
    account, description, value (see the module's text)."""
    if key <= FIXED_VPKS:
        return (
            f"P{1361 + 2 * key}",
            f"P{1362 + 2 * key}",
            f"P{1463 + 2 * key}",
            f"P{1464 + 2 * key}",
        )
    first = FIRST_DYNAMIC_VPK + 4 * (key - FIXED_VPKS - 1)
    return (f"P{first}", f"P{first + 1}", f"P{first + 2}", f"P{first + 3}")


#: SIP accounts of each model. GXP: Grandstream's configuration templates
#: (GXP16xx, GXP17xx, GXP2130/2140/2160/2170/2135); GRP261x: the GRP261x
#: template's per-model accounts; GRP260x, the larger GRP26xx and GXV: see
#: the module's text. A variant letter (P, W, G) is the same model.
MODEL_ACCOUNTS = {
    "GXP1610": 1,
    "GXP1615": 1,
    "GXP1620": 2,
    "GXP1625": 2,
    "GXP1628": 2,
    "GXP1630": 3,
    "GXP1760": 3,
    "GXP1780": 4,
    "GXP1782": 4,
    "GXP2130": 3,
    "GXP2135": 4,
    "GXP2140": 4,
    "GXP2160": 6,
    "GXP2170": 6,
    "GRP2601": 2,
    "GRP2602": 4,
    "GRP2603": 6,
    "GRP2604": 6,
    "GRP2612": 2,
    "GRP2613": 3,
    "GRP2614": 4,
    "GRP2615": 5,
    "GRP2616": 6,
    "GRP2624": 8,
    "GRP2634": 8,
    "GRP2636": 16,
    "GRP2650": 16,
    "GRP2670": 16,
    "GXV3350": 16,
    "GXV3370": 16,
    "GXV3380": 16,
    "GXV3450": 16,
    "GXV3470": 16,
    "GXV3480": 16,
    "GXV3500": 16,
}
MODELS = re.compile(
    "(?P<model>" + "|".join(MODEL_ACCOUNTS) + ")(?P<variant>[A-Z]{0,2})", re.I
)


def base_model(model: str) -> str:
    """The model without its variant letters: GRP2612 for GRP2612W."""
    match = MODELS.fullmatch(model)
    return match.group("model").upper() if match else model.upper()


def model_accounts(model: str) -> int:
    """The model's own SIP accounts (more than the six written, on some)."""
    return MODEL_ACCOUNTS.get(base_model(model), MAX_LINES)


def is_gxv(model: str) -> bool:
    return base_model(model).startswith("GXV")


def model_keys(model: str) -> int:
    """Keys written for a model: none on a GXV (see the module's text)."""
    return 0 if is_gxv(model) else MAX_KEYS


def key_values(model: str, key: int) -> tuple[str, str, str, str]:
    """A programmable key's P-values: a VPK on a GRP26xx, else an MPK."""
    if model.upper().startswith("GRP"):
        return vpk_values(key)
    return mpk_values(key)


COMMON_KEYS = frozenset(
    {
        NTP_SERVER,
        LANGUAGE,
        TIME_ZONE,
        SELF_DEFINED_TIME_ZONE,
        TIME_ZONE_FROM_DHCP,
        BLF_PICKUP_PREFIX,
    }
)
MAC_FILE_KEYS = frozenset(
    {
        p_value(field, line)
        for field in _FIRST_ACCOUNT
        for line in range(1, MAX_LINES + 1)
    }
    | {ADMIN_PASSWORD}
    | {p for key in range(1, MAX_KEYS + 1) for p in mpk_values(key)}
    | {p for key in range(1, MAX_KEYS + 1) for p in vpk_values(key)}
    | {FIRMWARE_SERVER, FIRMWARE_PROTOCOL, PHONEBOOK_DOWNLOAD, PHONEBOOK_PATH}
    | COMMON_KEYS
)
OVERRIDE_NAME = re.compile(r"P[0-9]{1,5}")


def _server_path(url: str) -> tuple[str, str]:
    """("http", "host:port/path") of a URL, as Grandstream's fields take it."""
    scheme, _, rest = url.partition("://")
    return scheme.lower(), rest


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
    values = [
        (p_value("active", n), "1"),
        (p_value("account_name", n), account.number),
        (p_value("server", n), f"{site.server}:{site.port}"),
        (p_value("user_id", n), account.number),
        (p_value("auth_id", n), account.number),
        (p_value("password", n), account.password),
        (p_value("display_name", n), account.display_name),
        (p_value("voicemail", n), site.voicemail_code),
        (p_value("transport", n), TRANSPORT[site.transport]),
    ]
    # Account 1's prefix is a site value (BLF_PICKUP_PREFIX), in both files.
    if n > 1:
        values.append((p_value("blf_pickup_prefix", n), site.directed_pickup_code))
    return values


def _site_values(site: SiteProfile, model: str | None = None) -> list[tuple[str, str]]:
    values = [
        (NTP_SERVER, site.ntp_server),
        (LANGUAGE, site.language),
        (TIME_ZONE, SELF_DEFINED),
        (SELF_DEFINED_TIME_ZONE, site.zone_rule().text(plain_names=True)),
        (TIME_ZONE_FROM_DHCP, "0"),
        (BLF_PICKUP_PREFIX, site.directed_pickup_code),
    ]
    if model is not None and is_gxv(model):
        # A GXV's time zone setting is not known to take P64's "customize"
        # (see the module's text): the phone keeps its own zone.
        zone = {TIME_ZONE, SELF_DEFINED_TIME_ZONE, TIME_ZONE_FROM_DHCP}
        values = [(name, value) for name, value in values if name not in zone]
    return values


def render_common(site: SiteProfile) -> bytes:
    return _provision(_site_values(site), None)


def render_mac_file(phone: PhoneProfile) -> bytes:
    # The phone reads no other file once it has this one.
    values = _site_values(phone.site, phone.model)
    for account in phone.lines:
        values += _account(account, phone.site)
    values.append((ADMIN_PASSWORD, phone.admin_password))
    # The inventory refuses keys a model has not; none are written for it.
    keys = phone.keys_of("blf", "park") if model_keys(phone.model) else ()
    for key in keys:
        mode, account, name, value = key_values(phone.model, key.position)
        values += [
            (mode, MPK_MODE_BLF),
            (account, str(key.line - 1)),
            (name, key.label),
            (value, key.target),
        ]
    if phone.firmware_url:
        scheme, path = _server_path(phone.firmware_url)
        values += [
            (FIRMWARE_SERVER, path.rsplit("/", 1)[0]),
            (FIRMWARE_PROTOCOL, PROTOCOL.get(scheme, "1")),
        ]
    phonebook = phonebook_fields(phone)
    if phonebook["phonebook_folder"] is not None:
        values += [
            (PHONEBOOK_DOWNLOAD, phonebook["phonebook_download"]),
            (PHONEBOOK_PATH, phonebook["phonebook_folder"]),
        ]
    return _provision(merged(values, phone.overrides), phone.mac)


def phonebook_fields(phone: PhoneProfile) -> dict[str, str | None]:
    """P331's folder (``host:port/path``, no scheme, no file name: the phone
    appends ``phonebook.xml``) and P330's download code, or None for both
    without a phonebook URL that ends in that file name."""
    fields: dict[str, str | None] = {
        "phonebook_folder": None,
        "phonebook_download": None,
    }
    if phone.phonebook_url:
        scheme, path = _server_path(phone.phonebook_url)
        directory, _, file = path.rpartition("/")
        if file == PHONEBOOK_FILE:
            fields["phonebook_folder"] = directory
            fields["phonebook_download"] = PHONEBOOK_PROTOCOL.get(scheme, "1")
    return fields


VENDOR = Vendor(
    name="grandstream",
    title="Grandstream",
    models=MODELS,
    models_rule="one of " + ", ".join(MODEL_ACCOUNTS) + " (like GXP2170)",
    content_type="text/xml; charset=utf-8",
    common_file=re.compile(r"cfg\.xml", re.IGNORECASE),
    mac_file=re.compile(r"cfg(?P<mac>[0-9a-f]{12})\.xml", re.IGNORECASE),
    render_common=render_common,
    render_mac_file=render_mac_file,
    max_lines=MAX_LINES,
    max_keys=MAX_KEYS,
    model_lines=model_accounts,
    model_keys=model_keys,
    override_name=OVERRIDE_NAME,
    override_rule="a P-value like P2",
    template_values=phonebook_fields,
)
