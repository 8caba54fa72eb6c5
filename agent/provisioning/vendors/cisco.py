"""Cisco multiplatform (MPP, "3PCC") phones: one flat profile, ``<mac>.xml``.

The MPP firmware reads a ``<flat-profile>`` of elements named after the
fields of its web page, spaces as ``_`` and the line as a ``_N_`` suffix
(``User_ID_1_``). ``ua="na"`` hides a setting from the phone's user, which
suits every value the PBX owns. These phones have no common file; each is
told where its profile is by its profile rule, which must name
``$MA.xml`` here (``$MA`` is the MAC in lower case), for example
``http://<pbx>:8080/prov/$MA.xml`` or, over TFTP, ``/$MA.xml``.

Elements written (``MAC_FILE_KEYS``), from Cisco's MPP administration
guides: per line ``Line_Enable``, ``Display_Name``, ``User_ID``,
``Password``, ``Auth_ID``, ``Use_Auth_ID``, ``Proxy`` (``host:port``) and
``SIP_Transport``; phone-wide ``Admin_Password`` (which the phone accepts
only with three of lower case, upper case, digits and symbols: generated
passwords always have the first three), ``Voice_Mail_Number``,
``Primary_NTP_Server``, ``Time_Zone`` (``GMT``, ``GMT+01:00``,
``GMT-05:00``: the standard offset), ``Daylight_Saving_Time_Enable`` and
``Daylight_Saving_Time_Rule`` (below). The display language needs
Cisco's dictionary server and is left to the phone. Call pickup is
``Call_Pickup_Code`` (dialled before a ringing extension's number, so a
BLF key's ``cp`` reaches the PBX's directed pickup) and
``Group_Call_Pickup_Code``, which public MPP flat profiles place in
the group ``Regional/Vertical_Service_Activation_Codes`` (the web page's
Regional tab, as on Cisco's SPA adapters: "Configure Vertical Service
Codes in Regional Voice Parameters").

Programmable keys are the line keys: key K shows line L with
``Extension_K_`` L and ``Short_Name_K_``; a BLF (or park slot) key is
``Extension_K_`` ``Disabled`` with ``Extended_Function_K_``
``fnc=blf+sd+cp;sub=<number>@<server>;nme=<label>`` (watch, speed-dial,
pick up). The firmware is ``Upgrade_Rule`` (the file's URL), the phonebook
``XML_Directory_Service_Name`` and ``XML_Directory_Service_URL``.
Per-device overrides replace or add an element of the flat profile.

Daylight saving is the zone's TZif rule (``agent.provisioning.zone_rule``)
told in the syntax of the "Daylight Saving Time Rule" field, which Cisco's
SPA300/SPA500 and 8800 multiplatform administration guides (Regional tab)
describe alike: ``start=<m>/<d>/<wd>/<H:mm:ss>;end=...;save=<hours>``,
month 1 to 12, weekday 1 Monday to 7 Sunday, and a positive day meaning
the weekday on or after that day of the month, day -1 the weekday on or
before the month's end (its last occurrence). So the second Sunday of
March is ``3/8/7`` and the last Sunday of October ``10/-1/7``; Berlin is
``start=3/-1/7/2:00:00;end=10/-1/7/3:00:00;save=1``. A saving that is no
whole hour is ``H:mm`` (Lord Howe's ``0:30``). ``Daylight_Saving_Time_Enable``
is ``Yes`` with a rule and ``No`` without one, so a phone's default rule
never runs in a zone that has no daylight saving (Tokyo, Kolkata). The
element names are the fields' names with ``_`` for spaces, as for every
other field; public MPP profiles write them so, with ``Yes``/``No``.

Not confirmed by a Cisco document: that a change's time is the local
time in force before it, as in POSIX (the guides give no example that
tells; a published rule for the European Union ends at ``3:0:0``, which
only that reading makes right), and that a start later in the year than
the end (Sydney: ``start=10/1/7/2:00:00;end=4/1/7/3:00:00``) runs over
the new year. A change moved off its weekday by a time outside the day
is said from the start of the month (Israel's Friday after the fourth
Thursday is ``3/23/5``). A month's last weekday moved to the day before
is the weekday before it on or after the day a week and one day before
the month's end, which is exact in every month but February (whose
length varies): Greenland's Saturday before the last Sunday of March, at
23:00 (``M3.5.0/-1``), is ``3/24/6/23:00:00`` (``DayOfMonth``). A month's
last weekday moved to the day after has no exact form: Egypt's
``M10.5.4/24``, the Friday after the last Thursday of October at 0:00, may
be the first of November, and no guide says whether a time may be 24:00.
It is said as the last second of that Thursday, ``10/-1/4/23:59:59``,
inside the guides' syntax: Egypt's phones leave daylight saving one
second early, once a year, instead of showing standard time all summer.
The guides define a negative day only by its -1 ("on or before the end
of the month") and "on or before the date given"; what date -2 gives
(the month's last day but one?) is not said in the SPA, ATA or 8800
guides searched, so it is never written: the positive form above says
Greenland's change with the guides' own words ("on or after the date
given").

Zones without daylight saving (Tokyo, Kolkata) write
``Daylight_Saving_Time_Enable`` ``No`` and no ``Daylight_Saving_Time_Rule``:
the SPA300/SPA500 guide ("Configuring Daylight Saving Time") has the phone
adjust for daylight saving only with the enable field set to yes and a
rule entered, and a rule left out keeps the phone's default (the 8800 guide's
``3/-1/7/2;end=10/-1/7/2;save=1``), which the disabled switch keeps from
running. No guide gives a rule text that means "no daylight saving".
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from agent.provisioning.profile import PhoneProfile
from agent.provisioning.vendors import Vendor, merged
from agent.provisioning.vendors.xml_file import to_bytes
from agent.provisioning.zone_rule import (
    LAST_WEEK,
    SECONDS_A_DAY,
    Change,
    DayOfMonth,
    ZoneRule,
)

MAX_LINES = 10  # line keys of an 8861; smaller models ignore the rest
NO_USER_ACCESS = "na"
LINE_KEYS = (
    "Line_Enable",
    "Display_Name",
    "User_ID",
    "Password",
    "Auth_ID",
    "Use_Auth_ID",
    "Proxy",
    "SIP_Transport",
)
PHONE_KEYS = (
    "Admin_Password",
    "Voice_Mail_Number",
    "Primary_NTP_Server",
    "Time_Zone",
    "Daylight_Saving_Time_Enable",
    "Daylight_Saving_Time_Rule",
    "Call_Pickup_Code",
    "Group_Call_Pickup_Code",
)
MAX_KEYS = 10  # line keys of an 8861
KEY_KEYS = ("Extension", "Short_Name", "Extended_Function")
MAC_FILE_KEYS = frozenset(
    {f"{key}_{n}_" for key in LINE_KEYS for n in range(1, MAX_LINES + 1)}
    | set(PHONE_KEYS)
    | {f"{key}_{n}_" for key in KEY_KEYS for n in range(1, MAX_KEYS + 1)}
    | {"Upgrade_Rule", "XML_Directory_Service_Name", "XML_Directory_Service_URL"}
)
OVERRIDE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def time_zone(minutes: int) -> str:
    if minutes == 0:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours:02d}:{rest:02d}"


SUNDAY = 7  # the rule counts weekdays 1 Monday to 7 Sunday; POSIX 0 Sunday
LAST_IN_MONTH = -1  # day -1: the weekday on or before the month's last day


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def _saving(seconds: int) -> str:
    """``save=``: whole hours as ``1``, anything else as ``H:mm[:ss]``."""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if not rest:
        return str(hours)
    if not seconds:
        return f"{hours}:{minutes:02d}"
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def _end_of_last_weekday(change: Change) -> str | None:
    """A month's last weekday moved to 24:00 (Egypt's ``M10.5.4/24``: the
    end of the last Thursday of October) as that weekday's last second,
    ``10/-1/4/23:59:59``: one second early, where no form is exact (see the
    module's text). None for anything else."""
    if change.week != LAST_WEEK or change.at != SECONDS_A_DAY:
        return None
    weekday = change.weekday or SUNDAY
    return f"{change.month}/{LAST_IN_MONTH}/{weekday}/{_clock(SECONDS_A_DAY - 1)}"


def dst_change(change: Change) -> str | None:
    """``month/day/weekday/H:mm:ss`` for a POSIX ``Mm.w.d/time`` change, or
    None where the rule's syntax cannot say it: a positive day is the
    weekday on or after it, day -1 the month's last such weekday
    (``DayOfMonth`` says which changes fit; ``_end_of_last_weekday`` adds
    a last weekday's 24:00)."""
    found = DayOfMonth.of(change)
    if found is None:
        return _end_of_last_weekday(change)
    day = LAST_IN_MONTH if found.day is None else found.day
    weekday = found.weekday or SUNDAY
    return f"{found.month}/{day}/{weekday}/{_clock(found.at)}"


def daylight_saving(rule: ZoneRule) -> list[tuple[str, str]]:
    """``Daylight_Saving_Time_Enable`` and, with saving, its
    ``Daylight_Saving_Time_Rule``; ``No`` alone for a zone without daylight
    saving or one whose changes the rule cannot say (see ``dst_change``)."""
    if rule.start is None or rule.end is None:
        return [("Daylight_Saving_Time_Enable", "No")]
    start, end = dst_change(rule.start), dst_change(rule.end)
    if start is None or end is None:
        return [("Daylight_Saving_Time_Enable", "No")]
    text = f"start={start};end={end};save={_saving(rule.saving)}"
    return [
        ("Daylight_Saving_Time_Enable", "Yes"),
        ("Daylight_Saving_Time_Rule", text),
    ]


def render_mac_file(phone: PhoneProfile) -> bytes:
    site = phone.site
    values: list[tuple[str, str]] = []
    for account in phone.lines:
        n = account.line
        values += [
            (f"Line_Enable_{n}_", "Yes"),
            (f"Display_Name_{n}_", account.display_name),
            (f"User_ID_{n}_", account.number),
            (f"Password_{n}_", account.password),
            (f"Auth_ID_{n}_", account.number),
            (f"Use_Auth_ID_{n}_", "Yes"),
            (f"Proxy_{n}_", f"{site.server}:{site.port}"),
            (f"SIP_Transport_{n}_", site.transport.upper()),
        ]
    rule = site.zone_rule()
    values += [
        ("Admin_Password", phone.admin_password),
        ("Voice_Mail_Number", site.voicemail_code),
        ("Primary_NTP_Server", site.ntp_server),
        ("Time_Zone", time_zone(rule.standard_offset // 60)),
        *daylight_saving(rule),
        ("Call_Pickup_Code", site.directed_pickup_code),
        ("Group_Call_Pickup_Code", site.group_pickup_code),
    ]
    for key in phone.keys:
        k = key.position
        if key.kind == "line":
            values += [(f"Extension_{k}_", str(key.line))]
        else:
            function = f"fnc=blf+sd+cp;sub={key.target}@{site.server};nme={key.label}"
            values += [
                (f"Extension_{k}_", "Disabled"),
                (f"Extended_Function_{k}_", function),
            ]
        values.append((f"Short_Name_{k}_", key.label))
    if phone.firmware_url:
        values.append(("Upgrade_Rule", phone.firmware_url))
    if phone.phonebook_url:
        values += [
            ("XML_Directory_Service_Name", "Company"),
            ("XML_Directory_Service_URL", phone.phonebook_url),
        ]
    values = merged(values, phone.overrides)
    root = ET.Element("flat-profile")
    for key, value in values:
        ET.SubElement(root, key, ua=NO_USER_ACCESS).text = value
    return to_bytes(root)


VENDOR = Vendor(
    name="cisco",
    title="Cisco multiplatform",
    models=re.compile(r"CP-?(68|78|88)[0-9]{2}[A-Z]?(-3PCC)?", re.IGNORECASE),
    models_rule="an MPP model like CP-8841 or CP-7841-3PCC",
    content_type="application/xml; charset=utf-8",
    common_file=None,
    mac_file=re.compile(r"(?P<mac>[0-9a-f]{12})\.xml", re.IGNORECASE),
    render_common=None,
    render_mac_file=render_mac_file,
    max_lines=MAX_LINES,
    max_keys=MAX_KEYS,
    override_name=OVERRIDE_NAME,
    override_rule="letters, digits and '_', like Dial_Plan_1_",
)
