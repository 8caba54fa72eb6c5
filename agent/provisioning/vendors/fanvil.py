"""Fanvil X series (X3S, X4, X5, X6, X7 and their U/G variants): a common
file named after the model and hardware version, and ``<mac>.cfg``.

At boot a Fanvil phone asks for its model's common file, named by the
firmware after the model and hardware release (``f0X4hw1.100.cfg`` for an
X4, ``F0V00X600000.cfg`` for an X6, ``F0000X600000.cfg`` for an X6 V2), and
then for its own file, ``<mac>.cfg`` with the MAC in lower case. Every such
common name gets the same common file here, as with Yealink.

Both files are Fanvil's XML format: ``<VOIP_CONFIG_FILE>`` holding a
``<version>`` (2.0002) and one element per configuration module
(``GLOBAL_CONFIG_MODULE``, ``SIP_CONFIG_MODULE``, ``MMI_CONFIG_MODULE``,
``PHONE_CONFIG_MODULE``, ``AUTOUPDATE_CONFIG_MODULE``), whose children are
the settings of the phone's web page with spaces written as ``_``. Lists
(lines, web accounts, function keys) are ``<X_List>`` or ``<X>`` of
``<X_Entry>`` elements, each with an ``<ID>`` (``SIP1``, ``Account1``,
``Fkey1``).

Settings written (``COMMON_KEYS`` and ``MAC_FILE_KEYS``, as
``MODULE/setting``; a test holds every rendered file to them), from
Fanvil's auto-provisioning and configuration-file references:

- per line: ``Phone_Number``, ``Display_Name``, ``Register_Addr``,
  ``Register_Port``, ``Register_User``, ``Register_Pswd``, ``Enable_Reg``,
  ``Transport`` (0 UDP, 1 TCP, 3 TLS) and ``MWI_Num`` (the voicemail code);
- the phone's own web account ``admin`` (level 10) and ``Menu_Password``;
- function (DSS) keys: ``Type`` 2 with value ``SIPn`` is a line key,
  ``Type`` 1 with value ``<number>@<line>/ba<pickup>`` a BLF key that
  calls the number when pressed and picks up a call ringing there with
  ``<pickup>`` (below); park slots are BLF keys on the slot's number;
- ``Auto_Image_URL`` for the firmware, and a soft key of type 7 (the XML
  browser) on the phonebook URL;
- ``SNTP_Server``, ``Enable_SNTP``, ``Language`` (the two-letter code),
  ``Time_Zone``, ``Time_Zone_Name`` and the daylight-saving rule (below)
  in the common file.

The time zone is ``Time_Zone``, the standard offset in quarter hours
(``4`` for UTC+1, ``-20`` for UTC-5), with ``Time_Zone_Name`` its name in
the firmware's list (``UTC+1``, ``UTC-05``, ``UCT`` for UTC), in
``GLOBAL_CONFIG_MODULE`` of the common file. Both come from public
provisioning templates for the X series (Wazo's Fanvil plugin, its time
zone table for the X3S to X7C), not from a Fanvil document: none found
gives the values. That table lists whole hours from -12 to +12 only, so a
zone whose offset is not a whole number of hours (India, Newfoundland,
Nepal) or is beyond +12 (Kiribati, Tonga) gets neither setting and the
phone keeps its own.

Daylight saving is written as the currently maintained public
integration for these phones writes it in this file format (Wazo's Fanvil
plugin: ``_extract_dst_change`` in its ``common.py`` and the template
``base.tpl``), in ``GLOBAL_CONFIG_MODULE`` of the common file:
``Enable_DST`` ``2`` with the rule, or ``0`` for a zone without daylight
saving (Tokyo, Phoenix), so that the phone takes no saving of its own;
``DST_Min_Offset``, the saving in minutes; and for the start and the end
``DST_Start_Mon``/``DST_End_Mon`` (month 1 to 12), ``_Hour`` (0 to 23,
the local time in force before the change, as POSIX's), ``_Wday`` (0
Sunday to 6 Saturday), ``_Week`` (1 to 4 for the first to fourth such
weekday, ``-1`` for the month's last) and ``_Min`` (``0``: the template
writes no other minute). Central Europe's last Sunday of March at 02:00 is
month ``3``, week ``-1``, weekday ``0``, hour ``2``. A rule starting later
in the year than it ends (Sydney: October to April) is written as it is;
the plugin does the same. The plugin's newer ``<sysConf>`` template also
writes ``DSTFixedType`` ``2``; its ``<VOIP_CONFIG_FILE>`` template, the
format written here, writes no ``DST_Fixed_Type``, and neither does this
module.

This rests on that one public integration, not on a Fanvil document: none
found gives these numbers. The same plugin wrote weekday ``1`` for Sunday
in an older version, and its current version, with the time zone library
it now uses, is handed this year's dates (``D`` days, written as a day of
the month with no week) rather than weekday rules, which a phone would
keep past that year; only the weekday form is written here. A rule this
encoding cannot say exactly gets ``Enable_DST`` ``0`` and no rule, so the
phone shows standard time all year rather than a wrong rule: a change off
the whole hour (as Chatham's 2:45, a zone not written anyway) or outside
the day (Israel's ``/26``, Egypt's ``/24``, Greenland's ``/-1``), or a
saving not of whole minutes or beyond the plugin's 60 minutes (Troll's two
hours). A zone whose ``Time_Zone`` is not
written (above) gets no daylight-saving setting either: the phone keeps
its own zone and its own rule.

A phone-side mode by area would do as well, but cannot be written:
a door-phone manual whose time page has the same fields describes a
``Location`` (the user's area) and a choice between the firmware's preset
rule for it and a hand-made one, and public templates write a
``Location`` number, but no source found lists which number is which
area.

Searched: Fanvil's administration, auto-provisioning and
configuration-file material, the X-series and door-phone user manuals'
time and date pages, public templates for both file formats
(``<VOIP_CONFIG_FILE>`` and ``<sysConf>``), and issue trackers. Cisco's
rule, by contrast, is documented (``agent.provisioning.vendors.cisco``).

The phonebook soft key (``Soft_Dss_Key_Entry`` of type 7 on the URL) is
what public templates for this file format write; they also place it on
the idle screen with ``SCREEN_KEY_CONFIG_MODULE/Desktop_Softkey``, which
is not written here, so the key may need placing on the phone. Known
shortcoming: the same templates give newer X models (X4U, X5U, X6U, X7,
X7C, X210 and their Pro and V2 variants) another format, a ``<sysConf>``
element with ``<phone><date>``, ``<sip><line>`` and ``<dsskey>`` (the
phonebook a soft key of type 21), in ``<mac>.cfg``, and list no common
file name for those models; whether their firmware still reads
``<VOIP_CONFIG_FILE>``, and which common file they ask for, is not
confirmed by a Fanvil document, so those models may ignore these files.

A BLF key of a ringing extension picks the call up by dialling its
pickup number, which Fanvil's X7 user manual ("Use the BLF Function")
has configured on the key; public templates write it after the ``/ba``
of the key's value, ``<number>@<line>/ba<pickup number>``. Here it is
the PBX's directed pickup code and the number. Not confirmed by a Fanvil
document: that suffix syntax.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from agent.provisioning.profile import FunctionKey, PhoneProfile, SiteProfile
from agent.provisioning.vendors import Vendor
from agent.provisioning.vendors.xml_file import to_bytes
from agent.provisioning.zone_rule import LAST_WEEK, Change, ZoneRule

FORMAT_VERSION = "2.0002"
MAX_LINES = 6  # SIP lines of an X6; an X3S has 4 and ignores the rest
ADMIN_USER = "admin"
ADMIN_LEVEL = "10"  # Fanvil's administrator level of a web account
TRANSPORT = {"udp": "0", "tcp": "1", "tls": "3"}
# Function key types and value suffixes.
KEY_TYPE_MEMORY = "1"
KEY_TYPE_LINE = "2"
SOFT_KEY_TYPE_XML_BROWSER = "7"
BLF_SUFFIX = "ba"  # BLF; pressing the key calls the number
QUARTER_HOURS_AN_HOUR = 4  # Time_Zone counts the offset in quarter hours
# Daylight saving as the public integration writes it (see the module's text).
DST_OFF = "0"
DST_ON = "2"  # Enable_DST with the rule below
DST_LAST_WEEK = "-1"  # the month's last such weekday (POSIX's week 5)
DST_MINUTE = "0"  # DST_Start_Min/DST_End_Min: the only value written there
MAX_SAVING_MINUTES = 60  # the largest DST_Min_Offset the integration writes

COMMON_KEYS = frozenset(
    {
        "GLOBAL_CONFIG_MODULE/SNTP_Server",
        "GLOBAL_CONFIG_MODULE/Enable_SNTP",
        "GLOBAL_CONFIG_MODULE/Language",
        "GLOBAL_CONFIG_MODULE/Time_Zone",
        "GLOBAL_CONFIG_MODULE/Time_Zone_Name",
        "GLOBAL_CONFIG_MODULE/Enable_DST",
        "GLOBAL_CONFIG_MODULE/DST_Min_Offset",
    }
    | {
        f"GLOBAL_CONFIG_MODULE/DST_{edge}_{part}"
        for edge in ("Start", "End")
        for part in ("Mon", "Hour", "Wday", "Week", "Min")
    }
)
LINE_KEYS = (
    "ID",
    "Phone_Number",
    "Display_Name",
    "Register_Addr",
    "Register_Port",
    "Register_User",
    "Register_Pswd",
    "Enable_Reg",
    "Transport",
    "MWI_Num",
)
MAC_FILE_KEYS = frozenset(
    {f"SIP_CONFIG_MODULE/SIP_Line_List/SIP_Line_List_Entry/{k}" for k in LINE_KEYS}
    | {
        f"MMI_CONFIG_MODULE/MMI_Account/MMI_Account_Entry/{k}"
        for k in ("ID", "Name", "Password", "Level")
    }
    | {
        f"PHONE_CONFIG_MODULE/Function_Key/Function_Key_Entry/{k}"
        for k in ("ID", "Type", "Value", "Title")
    }
    | {
        f"PHONE_CONFIG_MODULE/Soft_Dss_Key/Soft_Dss_Key_Entry/{k}"
        for k in ("ID", "Type", "Value", "Title")
    }
    | {"PHONE_CONFIG_MODULE/Menu_Password", "AUTOUPDATE_CONFIG_MODULE/Auto_Image_URL"}
)
# An override names a module and a setting in it: PHONE_CONFIG_MODULE.X.
OVERRIDE_NAME = re.compile(r"(?P<module>[A-Z_]+_MODULE)\.(?P<setting>[A-Za-z0-9_]+)")


def _file() -> tuple[ET.Element, dict[str, ET.Element]]:
    root = ET.Element("VOIP_CONFIG_FILE")
    ET.SubElement(root, "version").text = FORMAT_VERSION
    return root, {}


def _module(root: ET.Element, modules: dict[str, ET.Element], name: str) -> ET.Element:
    if name not in modules:
        modules[name] = ET.SubElement(root, name)
    return modules[name]


def _entry(parent: ET.Element, tag: str, values: list[tuple[str, str]]) -> None:
    entry = ET.SubElement(parent, tag)
    for key, value in values:
        ET.SubElement(entry, key).text = value


def time_zone(offset: dt.timedelta) -> list[tuple[str, str]]:
    """``Time_Zone`` and ``Time_Zone_Name`` for a standard offset; none for
    an offset that is not a whole number of hours from -12 to +12 (see the
    module's text)."""
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest or not -12 <= hours <= 12:
        return []
    if hours == 0:
        name = "UCT"
    elif hours > 0:
        name = f"UTC+{hours}"
    else:
        name = f"UTC-{-hours:02d}"
    return [("Time_Zone", str(hours * QUARTER_HOURS_AN_HOUR)), ("Time_Zone_Name", name)]


def _change(edge: str, change: Change) -> list[tuple[str, str]] | None:
    """``DST_<edge>_*`` of one change; None for a change off the whole hour
    or outside the day, which the encoding cannot say."""
    hours = change.whole_hour
    if hours is None:
        return None
    week = DST_LAST_WEEK if change.week == LAST_WEEK else str(change.week)
    return [
        (f"DST_{edge}_Mon", str(change.month)),
        (f"DST_{edge}_Hour", str(hours)),
        (f"DST_{edge}_Wday", str(change.weekday)),  # 0 Sunday, as POSIX
        (f"DST_{edge}_Week", week),
        (f"DST_{edge}_Min", DST_MINUTE),
    ]


def daylight_saving(rule: ZoneRule) -> list[tuple[str, str]]:
    """``Enable_DST`` and the rule: off for a zone without daylight saving
    or with a rule the encoding cannot say exactly (see the module's
    text), else on with the saving and both changes."""
    if not rule.has_daylight_saving:
        return [("Enable_DST", DST_OFF)]
    rule = rule.with_forward_saving()
    minutes, rest = divmod(rule.saving, 60)
    if rest or not 0 < minutes <= MAX_SAVING_MINUTES:
        return [("Enable_DST", DST_OFF)]
    start = _change("Start", rule.start) if rule.start else None
    end = _change("End", rule.end) if rule.end else None
    if start is None or end is None:
        return [("Enable_DST", DST_OFF)]
    return [
        ("Enable_DST", DST_ON),
        ("DST_Min_Offset", str(minutes)),
        *start,
        *end,
    ]


def render_common(site: SiteProfile) -> bytes:
    root, modules = _file()
    settings = _module(root, modules, "GLOBAL_CONFIG_MODULE")
    zone = time_zone(site.standard_utc_offset())
    # Without its zone the phone keeps its own, and its own rule with it.
    dst = daylight_saving(site.zone_rule()) if zone else []
    for key, value in [
        ("SNTP_Server", site.ntp_server),
        ("Enable_SNTP", "1"),
        ("Language", site.language),
        *zone,
        *dst,
    ]:
        ET.SubElement(settings, key).text = value
    return to_bytes(root)


def _key_value(key: FunctionKey, site: SiteProfile) -> tuple[str, str]:
    if key.kind == "line":
        return KEY_TYPE_LINE, f"SIP{key.line}"
    pickup = f"{site.directed_pickup_code}{key.target}"
    return KEY_TYPE_MEMORY, f"{key.target}@{key.line}/{BLF_SUFFIX}{pickup}"


def render_mac_file(phone: PhoneProfile) -> bytes:
    site = phone.site
    root, modules = _file()

    sip = _module(root, modules, "SIP_CONFIG_MODULE")
    line_list = ET.SubElement(sip, "SIP_Line_List")
    for account in phone.lines:
        _entry(
            line_list,
            "SIP_Line_List_Entry",
            [
                ("ID", f"SIP{account.line}"),
                ("Phone_Number", account.number),
                ("Display_Name", account.display_name),
                ("Register_Addr", site.server),
                ("Register_Port", str(site.port)),
                ("Register_User", account.number),
                ("Register_Pswd", account.password),
                ("Enable_Reg", "1"),
                ("Transport", TRANSPORT[site.transport]),
                ("MWI_Num", site.voicemail_code),
            ],
        )

    mmi = _module(root, modules, "MMI_CONFIG_MODULE")
    _entry(
        ET.SubElement(mmi, "MMI_Account"),
        "MMI_Account_Entry",
        [
            ("ID", "Account1"),
            ("Name", ADMIN_USER),
            ("Password", phone.admin_password),
            ("Level", ADMIN_LEVEL),
        ],
    )

    settings = _module(root, modules, "PHONE_CONFIG_MODULE")
    ET.SubElement(settings, "Menu_Password").text = phone.admin_password
    if phone.keys:
        keys = ET.SubElement(settings, "Function_Key")
        for key in phone.keys:
            kind, value = _key_value(key, site)
            _entry(
                keys,
                "Function_Key_Entry",
                [
                    ("ID", f"Fkey{key.position}"),
                    ("Type", kind),
                    ("Value", value),
                    ("Title", key.label),
                ],
            )
    if phone.phonebook_url:
        _entry(
            ET.SubElement(settings, "Soft_Dss_Key"),
            "Soft_Dss_Key_Entry",
            [
                ("ID", "SoftFkey1"),
                ("Type", SOFT_KEY_TYPE_XML_BROWSER),
                ("Value", phone.phonebook_url),
                ("Title", "Phonebook"),
            ],
        )

    if phone.firmware_url:
        update = _module(root, modules, "AUTOUPDATE_CONFIG_MODULE")
        ET.SubElement(update, "Auto_Image_URL").text = phone.firmware_url

    for name, value in phone.overrides:
        found = OVERRIDE_NAME.fullmatch(name)
        if found is None:  # refused when saved; never reaches a phone
            continue
        module = _module(root, modules, found.group("module"))
        ET.SubElement(module, found.group("setting")).text = value
    return to_bytes(root)


def setting_paths(content: bytes) -> set[str]:
    """Every leaf of a rendered file as ``MODULE/…/setting``."""
    paths: set[str] = set()

    def walk(element: ET.Element, prefix: str) -> None:
        for child in element:
            path = f"{prefix}/{child.tag}" if prefix else child.tag
            if len(child):
                walk(child, path)
            else:
                paths.add(path)

    root = ET.fromstring(content)
    for module in root:
        if module.tag != "version":
            walk(module, module.tag)
    return paths


VENDOR = Vendor(
    name="fanvil",
    title="Fanvil",
    models=re.compile(r"X[1-7][A-Z0-9]{0,4}", re.IGNORECASE),
    models_rule="an X series model like X4U or X6",
    content_type="application/xml; charset=utf-8",
    # f0X4hw1.100.cfg, F0V00X600000.cfg, F0000X600000.cfg; never a MAC
    # file name (12 hex digits), which other vendors' phones ask for.
    common_file=re.compile(
        r"(?![0-9a-f]{12}\.cfg$)f0[0-9a-z.]{4,24}\.cfg", re.IGNORECASE
    ),
    mac_file=re.compile(r"(?P<mac>[0-9a-f]{12})\.cfg", re.IGNORECASE),
    render_common=render_common,
    render_mac_file=render_mac_file,
    max_lines=MAX_LINES,
    override_name=OVERRIDE_NAME,
    override_rule="MODULE.setting, like PHONE_CONFIG_MODULE.Menu_Password",
)
