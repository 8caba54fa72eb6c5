"""Yealink T3x/T4x/T5x desk phones: ``y000000000000.cfg`` and ``<mac>.cfg``.

Both files are Yealink's plain-text format: the first line must be
``#!version:1.0.0.1``, then one ``key = value`` per line, ``#`` starting a
comment. The phone fetches the common file, then the MAC file, whose keys
win. Yealink names the common file after the model's hardware id
(``y0000000000NN.cfg``); every such name gets the same common file here.

The keys written, and nothing else (``COMMON_KEYS`` and ``MAC_FILE_KEYS``;
a test holds every rendered file to these lists), follow the Yealink
auto-provisioning guides for firmware 8x (T4xS, T5x): accounts as
``account.N.*`` with the server under ``account.N.sip_server.1.*``. Older
firmware (7x) used ``account.N.sip_server_host`` instead; those phones are
not served yet. ``local_time.time_zone`` takes the standard offset
(``+1``, ``-5``, ``+5:30``; -11 to +12 in Yealink's common configuration
template). ``local_time.summer_time`` (0 Disabled, 1 Enabled, 2
Automatic, Yealink's administrator's guide for the T2/T4/T5 series) is 0
for a zone without daylight saving, so that a phone in Phoenix, Brisbane
or Regina does not take the saving of another zone with the same offset
from its AutoDST list.

A zone with daylight saving gets its rule written out (``summer_time`` 1,
``dst_time_type`` 1 "DST by Week", ``start_time``, ``end_time`` and
``offset_time``), from the zone's TZif rule
(``agent.provisioning.zone_rule``). The "By Week" value is
``Month/Week of Month/Day of Week/Hour of Day``: month 1 to 12, week 1 to
5 with 5 the month's last, day 1 Monday to 7 Sunday, hour 0 (midnight) to
23; ``offset_time`` is the saving in minutes (Yealink's administrator's
guides for the CP860 and the T2/T4/T5 series, ``local_time.start_time``,
and their "Auto DST File Attributes", which also say that a start later in
the year than the end runs into the next year). Week 1 to 4 is the first
to fourth such weekday of the month, as POSIX's ``Mm.w.d``: the guides'
"1=the first week in a month" does not say so, but a public provisioning
plugin for these phones (Wazo's) writes New York's second Sunday of March
as ``3/2/7/2`` and its tests hold it so. The hour is taken as the local
time before the change, as POSIX's: the guides' own AutoDST example
(``3/5/7/2`` to ``10/5/7/3``) has central Europe's days and hours, and the
same plugin writes New York's 2:00 as ``2``; older guides map the hour as
"0=1am", newer ones as "0=0am", and no guide says which clock it is read
on. A change the format cannot say, off the whole hour
(Chatham's 2:45) or outside the day (Israel's ``/26``, Greenland's
``/-1``), leaves the phone on Automatic (2), which picks a rule from its
AutoDST list by ``local_time.time_zone_name``; that name is not written,
because Yealink's list of names is its own.

Programmable keys are ``linekey.N.*`` (``type`` 15 a line, 16 a BLF key
whose ``value`` is the number watched and called; a park slot is a BLF key
on the slot's number), the firmware is ``static.firmware.url``, the remote
phonebook ``remote_phonebook.data.1.url`` and ``.name``. Call pickup is
``features.pickup.direct_pickup_enable`` and ``.direct_pickup_code`` (what
a BLF key of a ringing extension dials before its number) and
``.group_pickup_enable`` and ``.group_pickup_code``, in the common file. Per-device
overrides are written last as ``key = value``, so they win.
"""

from __future__ import annotations

import datetime as dt
import re

from agent.provisioning.profile import PhoneProfile, SiteProfile
from agent.provisioning.vendors import Vendor, merged
from agent.provisioning.zone_rule import Change, ZoneRule

HEADER = "#!version:1.0.0.1"  # Yealink refuses a file without it
ADMIN_USER = "admin"

# account.N.sip_server.1.transport_type: 0 UDP, 1 TCP, 2 TLS, 3 DNS-NAPTR,
# the codes of account.X.transport in the Yealink SIP-T4x user guide
# (Appendix, account settings), which firmware 8x kept for the server's
# transport.
TRANSPORT_TYPE = {"udp": "0", "tcp": "1", "tls": "2"}
# lang.gui / lang.wui take the language's English name.
LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
}

COMMON_KEYS = frozenset(
    {
        "local_time.time_zone",
        "local_time.summer_time",
        "local_time.dst_time_type",
        "local_time.start_time",
        "local_time.end_time",
        "local_time.offset_time",
        "local_time.ntp_server1",
        "lang.gui",
        "lang.wui",
        "features.pickup.direct_pickup_enable",
        "features.pickup.direct_pickup_code",
        "features.pickup.group_pickup_enable",
        "features.pickup.group_pickup_code",
    }
)
ACCOUNT_KEYS = (
    "enable",
    "label",
    "display_name",
    "auth_name",
    "user_name",
    "password",
    "sip_server.1.address",
    "sip_server.1.port",
    "sip_server.1.transport_type",
)
#: Keys of a MAC file; N is the line number.
MAC_FILE_KEYS = frozenset(
    {f"account.N.{key}" for key in ACCOUNT_KEYS}
    | {"voice_mail.number.N", "static.security.user_password"}
    | {f"linekey.N.{key}" for key in ("type", "value", "line", "label")}
    | {
        "static.firmware.url",
        "remote_phonebook.data.1.url",
        "remote_phonebook.data.1.name",
    }
)
# linekey.N.type: 15 Line (the default type of the first line keys in the
# Yealink IP Phones Auto Provisioning Guide, "DSS keys"), 16 BLF (the same
# guide's type list; not re-checked against a current edition).
KEY_TYPE = {"line": "15", "blf": "16", "park": "16"}
PHONEBOOK_NAME = "Company"


def _file(pairs: list[tuple[str, str]]) -> bytes:
    lines = [HEADER] + [f"{key} = {value}" for key, value in pairs]
    return ("\n".join(lines) + "\n").encode()


def _offset(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes == 0:
        return "0"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")


# local_time.summer_time: 0 Disabled, 1 Enabled, 2 Automatic (the default).
SUMMER_TIME_OFF = "0"
SUMMER_TIME_ON = "1"
SUMMER_TIME_AUTOMATIC = "2"
# local_time.dst_time_type: 0 DST by Date, 1 DST by Week.
DST_BY_WEEK = "1"
SUNDAY = 7  # Yealink counts weekdays 1 Monday to 7 Sunday; POSIX 0 Sunday.


def _by_week(change: Change) -> str | None:
    """``Month/Week of Month/Day of Week/Hour of Day``; None for a change
    off the whole hour or outside the day, which the format cannot say."""
    hours = change.whole_hour
    if hours is None:
        return None
    weekday = change.weekday or SUNDAY
    return f"{change.month}/{change.week}/{weekday}/{hours}"


def daylight_saving(rule: ZoneRule) -> list[tuple[str, str]]:
    """The ``local_time`` settings of a zone's daylight saving: off without
    one, the rule by week where the format can say it, else Automatic."""
    if not rule.has_daylight_saving:
        return [("local_time.summer_time", SUMMER_TIME_OFF)]
    rule = rule.with_forward_saving()
    start, end = (
        _by_week(change) for change in (rule.start, rule.end) if change is not None
    )
    if start is None or end is None:
        return [("local_time.summer_time", SUMMER_TIME_AUTOMATIC)]
    return [
        ("local_time.summer_time", SUMMER_TIME_ON),
        ("local_time.dst_time_type", DST_BY_WEEK),
        ("local_time.start_time", start),
        ("local_time.end_time", end),
        ("local_time.offset_time", str(rule.saving // 60)),
    ]


def render_common(site: SiteProfile) -> bytes:
    language = LANGUAGE_NAMES.get(site.language, "English")
    return _file(
        [
            ("local_time.time_zone", _offset(site.standard_utc_offset())),
            *daylight_saving(site.zone_rule()),
            ("local_time.ntp_server1", site.ntp_server),
            ("lang.gui", language),
            ("lang.wui", language),
            # A BLF key of a ringing extension dials this code and the
            # number, which the PBX takes as a directed pickup.
            ("features.pickup.direct_pickup_enable", "1"),
            ("features.pickup.direct_pickup_code", site.directed_pickup_code),
            ("features.pickup.group_pickup_enable", "1"),
            ("features.pickup.group_pickup_code", site.group_pickup_code),
        ]
    )


def render_mac_file(phone: PhoneProfile) -> bytes:
    site = phone.site
    pairs: list[tuple[str, str]] = []
    for account in phone.lines:
        n = account.line
        pairs += [
            (f"account.{n}.enable", "1"),
            (f"account.{n}.label", account.number),
            (f"account.{n}.display_name", account.display_name),
            (f"account.{n}.auth_name", account.number),
            (f"account.{n}.user_name", account.number),
            (f"account.{n}.password", account.password),
            (f"account.{n}.sip_server.1.address", site.server),
            (f"account.{n}.sip_server.1.port", str(site.port)),
            (
                f"account.{n}.sip_server.1.transport_type",
                TRANSPORT_TYPE[site.transport],
            ),
            (f"voice_mail.number.{n}", site.voicemail_code),
        ]
    pairs.append(
        ("static.security.user_password", f"{ADMIN_USER}:{phone.admin_password}")
    )
    for key in phone.keys:
        n = key.position
        pairs.append((f"linekey.{n}.type", KEY_TYPE[key.kind]))
        if key.kind != "line":
            pairs.append((f"linekey.{n}.value", key.target))
        pairs += [
            (f"linekey.{n}.line", str(key.line)),
            (f"linekey.{n}.label", key.label),
        ]
    if phone.firmware_url:
        pairs.append(("static.firmware.url", phone.firmware_url))
    if phone.phonebook_url:
        pairs += [
            ("remote_phonebook.data.1.url", phone.phonebook_url),
            ("remote_phonebook.data.1.name", PHONEBOOK_NAME),
        ]
    return _file(merged(pairs, phone.overrides))


VENDOR = Vendor(
    name="yealink",
    title="Yealink",
    models=re.compile(r"T[345][0-9][A-Z0-9]{0,4}", re.IGNORECASE),
    models_rule="a T3x, T4x or T5x model like T46U or T54W",
    content_type="text/plain; charset=utf-8",
    common_file=re.compile(r"y0{10}[0-9a-f]{2}\.cfg", re.IGNORECASE),
    mac_file=re.compile(r"(?P<mac>[0-9a-f]{12})\.cfg", re.IGNORECASE),
    render_common=render_common,
    render_mac_file=render_mac_file,
)
