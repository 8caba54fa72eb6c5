"""Poly (Polycom) VVX and Edge E phones: ``<mac>.cfg`` and its files.

A VVX asks for its master configuration file ``<mac>.cfg``: an
``<APPLICATION>`` element whose ``CONFIG_FILES`` names the configuration
files to read, the leftmost winning. Here that is the phone's own
``phone<mac>.cfg`` and then the site file ``edgepbx-polycom.cfg``; both hold
one ``<polycomConfig>`` element whose attributes are the parameters.
``APP_FILE_PATH`` names the model's target firmware when it has one and
is left empty otherwise, so the phone keeps its firmware. The phone file
is not named ``<mac>-phone.cfg``:
that name is the phone's own override file, which UC Software phones
(3.3.0 on) create and upload to the provisioning server when a setting is
changed on the phone or its web page, and ask for again at boot (Poly
community FAQ "What files does my phone download or upload and why", for
a SoundPoint IP 650 on UC Software 4.1.0; UC Software 5.0.1 administrator
guide, "Set Up the Provisioning Server": override files stored on the
server); it is not one the master file lists, and is not served here.

Parameters written (``COMMON_KEYS``, ``MAC_FILE_KEYS``), from Poly's UC
Software administration guides: per line ``reg.N.address``,
``reg.N.auth.userId``, ``reg.N.auth.password``, ``reg.N.displayName``,
``reg.N.label``, ``reg.N.server.1.address``, ``reg.N.server.1.port``,
``reg.N.server.1.transport`` (``UDPOnly``), ``msg.mwi.N.callBackMode``
(``contact``) and ``msg.mwi.N.callBack`` (the voicemail code);
``device.set``, ``device.auth.localAdminPassword.set`` and
``device.auth.localAdminPassword`` for the admin password. The site file
sets ``tcpIpApp.sntp.address`` (with ``.overrideDHCP``),
``tcpIpApp.sntp.gmtOffset`` (the standard offset in seconds), the
daylight-saving rule (below) and ``lcl.ml.lang``, and for call pickup from a BLF key
``call.directedCallPickupMethod`` (``legacy``: dial a string and the
number) with ``call.directedCallPickupString``. Not confirmed by a public
Poly document here: the language names (``English_United_States``,
``German_Germany`` and the like, as UC Software's language files are
named) and whether every firmware accepts an empty ``APP_FILE_PATH``. The transports are
``UDPOnly``, ``TCPOnly`` and ``TLS`` of ``reg.N.server.1.transport``.

Programmable keys: a line key adds one to ``reg.N.lineKeys`` of its line;
BLF and park keys are the busy lamp field list, ``attendant.resourceList.K``
``.address``, ``.label`` and ``.type`` (``normal``), with ``attendant.reg``
naming the line that subscribes. Poly places these keys itself after the
line keys, in list order, so positions order them but do not pin them.
When the model has a firmware version set, ``APP_FILE_PATH`` names its
file. The phone fetches its contact directory itself as
``<mac>-directory.xml`` from the provisioning server. Per-device overrides
replace or add a parameter of the phone file.

Poly Edge E phones (E100, E220, E300, E320, E350, E400, E450, E500,
E550) get the same files as a VVX. Poly documents them in the same terms:
its Edge E feature profiles ("Customizing LED Indicators on Poly Edge E
Series Phones", 3725-47514-001) set parameters by editing "the
configuration file" and point to a "Poly Edge E Series Phones Parameter
Reference Guide", and they run the same family of software, with the
master file, its ``CONFIG_FILES`` and ``APP_FILE_PATH``, and the
``<polycomConfig>`` parameter files. Registrations: sixteen are written,
as for a VVX, and eight on an E100; one public integration, reading the
Edge E parameter reference (software 8.2.1), gives the E100 8, the E220
16, the E300, E320 and E350 32 and the E400 to E550 34, which are more
than the phones' line keys: the keys past the screen are pages of the
same keys. Not confirmed by a Poly document read here: these counts, that
every parameter written has the VVX's name and values on an Edge E (the
busy lamp field list, ``reg.N.lineKeys``, the language names, the
daylight-saving parameters), and the name of an Edge E's firmware file,
which the administrator uploads under the name Poly gave it and which
``APP_FILE_PATH`` names as it is. (Poly's own default master file, as
published copies of ``000000000000.cfg`` show it, names the firmware
``[PHONE_PART_NUMBER].sip.ld``, which each phone fills in with its part
number; here the target is set per model, so ``APP_FILE_PATH`` names that
model's one file.) Poly Edge B phones (B10, B20, B30) are
an Obihai design with another provisioning format: they are refused by
name (``refused_models``), not provisioned.

Daylight saving is the zone's TZif rule (``agent.provisioning.zone_rule``)
in the ``tcpIpApp.sntp.daylightSavings.*`` parameters of the site file, as
Poly's SoundPoint IP administration guides (UC Software 1.4 to 2.x) list
them: ``enable``, ``fixedDayEnable`` 0 (a weekday, not a fixed date), and
for ``start`` and ``stop`` the ``month``, the ``dayOfWeek`` (1 Sunday to 7
Saturday) on or after ``date`` (1, 8, 15, 22 for the first to fourth) or,
with ``dayOfWeek.lastInMonth`` 1, the month's last one, and ``time`` (a
whole hour, 0 to 23). Berlin starts on the last Sunday of March at 2 and
stops on the last Sunday of October at 3. ``enable`` is 0 for a zone
without daylight saving: the phone's default is on, with US dates. It is
0 too, and the phone shows standard time all year, where the parameters
cannot say the rule: a saving other than one hour (Lord Howe's half
hour), a change off the hour (Chatham's 2:45), or a month's last weekday
moved to the day after (Egypt's end of daylight saving, the Friday after
the last Thursday of October, which may be the first of November: see
``DayOfMonth``). A last weekday moved to the day before is the weekday on
or after a day: Greenland starts on the Saturday on or after March 24 at
23 and stops on the last Sunday of October at 0. The guides' parameter
tables (SoundPoint IP 1.4.x, SIP 2.0.3 and 2.2.0) list only the
parameters above, with ``time`` a whole hour of a 24-hour clock, and no
amount of saving, so one hour is assumed. Not confirmed by a Poly
document: that a ``date`` other than 1, 8, 15 and 22 (Israel's Friday on
or after the 23rd, Greenland's Saturday on or after the 24th) is read as
"on or after" like those, that a change's time is the local time in
force before it, that a start later in the year than the stop (Sydney)
runs over the new year, and that VVX firmware reads these
parameters as the SoundPoint guides give them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from agent.provisioning.profile import PhoneProfile, SiteProfile
from agent.provisioning.vendors import Vendor
from agent.provisioning.vendors.xml_file import to_bytes
from agent.provisioning.zone_rule import DayOfMonth, ZoneRule

MAX_LINES = 16  # registrations of a VVX 600
SITE_FILE = "edgepbx-polycom.cfg"
TRANSPORT = {"udp": "UDPOnly", "tcp": "TCPOnly", "tls": "TLS"}
LANGUAGES = {
    "en": "English_United_States",
    "de": "German_Germany",
    "fr": "French_France",
    "es": "Spanish_Spain",
    "it": "Italian_Italy",
    "nl": "Dutch_Netherlands",
    "pt": "Portuguese_Portugal",
}
LINE_KEYS = (
    "reg.N.address",
    "reg.N.auth.userId",
    "reg.N.auth.password",
    "reg.N.displayName",
    "reg.N.label",
    "reg.N.server.1.address",
    "reg.N.server.1.port",
    "reg.N.server.1.transport",
    "msg.mwi.N.callBackMode",
    "msg.mwi.N.callBack",
)
ADMIN_KEYS = (
    "device.set",
    "device.auth.localAdminPassword.set",
    "device.auth.localAdminPassword",
)
MAX_KEYS = 48  # the busy lamp field list, with an expansion module
RESOURCE_KEYS = ("address", "label", "type")
MAC_FILE_KEYS = frozenset(
    {key.replace(".N.", f".{n}.") for key in LINE_KEYS for n in range(1, 17)}
    | set(ADMIN_KEYS)
    | {f"reg.{n}.lineKeys" for n in range(1, 17)}
    | {
        f"attendant.resourceList.{k}.{key}"
        for k in range(1, MAX_KEYS + 1)
        for key in RESOURCE_KEYS
    }
    | {"attendant.reg"}
)
COMMON_KEYS = frozenset(
    {
        "tcpIpApp.sntp.address",
        "tcpIpApp.sntp.address.overrideDHCP",
        "tcpIpApp.sntp.gmtOffset",
        "tcpIpApp.sntp.daylightSavings.enable",
        "tcpIpApp.sntp.daylightSavings.fixedDayEnable",
        *(
            f"tcpIpApp.sntp.daylightSavings.{end}.{key}"
            for end in ("start", "stop")
            for key in ("month", "date", "time", "dayOfWeek", "dayOfWeek.lastInMonth")
        ),
        "lcl.ml.lang",
        "call.directedCallPickupMethod",
        "call.directedCallPickupString",
    }
)
MASTER_ATTRIBUTES = (
    "APP_FILE_PATH",
    "CONFIG_FILES",
    "MISC_FILES",
    "LOG_FILE_DIRECTORY",
    "OVERRIDES_DIRECTORY",
    "CONTACTS_DIRECTORY",
    "LICENSE_DIRECTORY",
)


def _polycom_config(values: dict[str, str]) -> bytes:
    return to_bytes(ET.Element("polycomConfig", values))


def render_master(phone: PhoneProfile) -> bytes:
    attributes = dict.fromkeys(MASTER_ATTRIBUTES, "")
    attributes["CONFIG_FILES"] = f"phone{phone.mac}.cfg, {SITE_FILE}"
    if phone.firmware_url:
        attributes["APP_FILE_PATH"] = phone.firmware_url
    return to_bytes(ET.Element("APPLICATION", attributes))


def render_phone_file(phone: PhoneProfile) -> bytes:
    site = phone.site
    values: dict[str, str] = {}
    for account in phone.lines:
        n = account.line
        values |= {
            f"reg.{n}.address": account.number,
            f"reg.{n}.auth.userId": account.number,
            f"reg.{n}.auth.password": account.password,
            f"reg.{n}.displayName": account.display_name,
            f"reg.{n}.label": account.number,
            f"reg.{n}.server.1.address": site.server,
            f"reg.{n}.server.1.port": str(site.port),
            f"reg.{n}.server.1.transport": TRANSPORT[site.transport],
            f"msg.mwi.{n}.callBackMode": "contact",
            f"msg.mwi.{n}.callBack": site.voicemail_code,
        }
    values |= {
        "device.set": "1",
        "device.auth.localAdminPassword.set": "1",
        "device.auth.localAdminPassword": phone.admin_password,
    }
    for line in {key.line for key in phone.keys_of("line")}:
        count = len([k for k in phone.keys_of("line") if k.line == line])
        values[f"reg.{line}.lineKeys"] = str(count)
    watched = phone.keys_of("blf", "park")
    for k, key in enumerate(watched, start=1):
        values |= {
            f"attendant.resourceList.{k}.address": key.target,
            f"attendant.resourceList.{k}.label": key.label,
            f"attendant.resourceList.{k}.type": "normal",
        }
    if watched:
        values["attendant.reg"] = str(watched[0].line)
    return _polycom_config(values | dict(phone.overrides))


#: The phone moves its clock by one hour; it has no setting for another
#: saving.
SAVING = 3600
DAYLIGHT_SAVINGS = "tcpIpApp.sntp.daylightSavings"


def _dst_change(end: str, change: DayOfMonth) -> dict[str, str]:
    """One change: the weekday (1 Sunday to 7 Saturday) on or after
    ``date``, or the month's last one, at a whole hour."""
    prefix = f"{DAYLIGHT_SAVINGS}.{end}"
    values = {
        f"{prefix}.month": str(change.month),
        f"{prefix}.time": str(change.at // 3600),
        f"{prefix}.dayOfWeek": str(change.weekday + 1),
        f"{prefix}.dayOfWeek.lastInMonth": "1" if change.day is None else "0",
    }
    if change.day is not None:
        values[f"{prefix}.date"] = str(change.day)
    return values


def daylight_saving(rule: ZoneRule) -> dict[str, str]:
    """The daylight-saving parameters for a zone rule: its two changes, or
    ``enable`` 0 for a zone without daylight saving and for one whose
    changes the parameters cannot say (a saving other than an hour, a
    change off the hour, or one ``DayOfMonth`` refuses)."""
    off = {f"{DAYLIGHT_SAVINGS}.enable": "0"}
    if rule.start is None or rule.end is None or rule.saving != SAVING:
        return off
    start, stop = DayOfMonth.of(rule.start), DayOfMonth.of(rule.end)
    if start is None or stop is None or start.at % 3600 or stop.at % 3600:
        return off
    return {
        f"{DAYLIGHT_SAVINGS}.enable": "1",
        f"{DAYLIGHT_SAVINGS}.fixedDayEnable": "0",
        **_dst_change("start", start),
        **_dst_change("stop", stop),
    }


def render_common(site: SiteProfile) -> bytes:
    rule = site.zone_rule()
    return _polycom_config(
        {
            "tcpIpApp.sntp.address": site.ntp_server,
            "tcpIpApp.sntp.address.overrideDHCP": "1",
            "tcpIpApp.sntp.gmtOffset": str(rule.standard_offset),
            **daylight_saving(rule),
            "lcl.ml.lang": LANGUAGES.get(site.language, LANGUAGES["en"]),
            # "legacy": a BLF key of a ringing extension dials the string
            # and the number, the PBX's directed pickup.
            "call.directedCallPickupMethod": "legacy",
            "call.directedCallPickupString": site.directed_pickup_code,
        }
    )


MASTER_FILE = re.compile(r"(?P<mac>[0-9a-f]{12})\.cfg", re.IGNORECASE)
PHONE_FILE = re.compile(r"phone(?P<mac>[0-9a-f]{12})\.cfg", re.IGNORECASE)


#: Poly Edge E models and the registrations written for each: the E100's
#: eight, and for the others the sixteen this module writes of their more
#: (see the module's text).
EDGE_E_LINES = {
    "E100": 8,
    "E220": MAX_LINES,
    "E300": MAX_LINES,
    "E320": MAX_LINES,
    "E350": MAX_LINES,
    "E400": MAX_LINES,
    "E450": MAX_LINES,
    "E500": MAX_LINES,
    "E550": MAX_LINES,
}
MODELS = re.compile(r"VVX[0-9]{3}|" + "|".join(EDGE_E_LINES), re.IGNORECASE)
# Poly Edge B phones are an Obihai design with their own provisioning.
EDGE_B = re.compile(r"(EDGE[-_]?)?B[0-9]{2}", re.IGNORECASE)


def model_lines(model: str) -> int:
    return EDGE_E_LINES.get(model.upper(), MAX_LINES)


VENDOR = Vendor(
    name="polycom",
    title="Poly",
    models=MODELS,
    models_rule="a VVX model like VVX450 or an Edge E model, E100 to E550",
    content_type="application/xml; charset=utf-8",
    common_file=re.compile(re.escape(SITE_FILE), re.IGNORECASE),
    mac_file=MASTER_FILE,
    render_common=render_common,
    render_mac_file=render_master,
    max_lines=MAX_LINES,
    max_keys=MAX_KEYS,
    extra_mac_files=((PHONE_FILE, render_phone_file),),
    model_lines=model_lines,
    refused_models=(
        (
            EDGE_B,
            "an Edge B phone (B10, B20, B30) is Obihai-based and takes another "
            "format, which the PBX does not write; Edge E and VVX models are "
            "provisioned",
        ),
    ),
)
