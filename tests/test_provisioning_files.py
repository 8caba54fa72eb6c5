"""Each vendor's files, rendered from fixed values: parsed with a parser of
their format, held to the documented key lists, and compared with golden
files (``tests/golden/``) that were read by a person."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import time
import xml.etree.ElementTree as ET
import zoneinfo
from pathlib import Path

import pytest

from agent.provisioning import site as site_settings
from agent.provisioning import templates
from agent.provisioning.profile import LineAccount, PhoneProfile, SiteProfile
from agent.provisioning.vendors import (
    cisco,
    fanvil,
    grandstream,
    polycom,
    snom,
    yealink,
)

GOLDEN = Path(__file__).with_name("golden")
HOUR = dt.timedelta(hours=1)

SITE = SiteProfile(
    server="192.0.2.10",
    port=5060,
    transport="udp",
    time_zone="Europe/Berlin",
    ntp_server="pool.ntp.org",
    language="de",
)
PHONE = PhoneProfile(
    mac="805ec0aabbcc",
    vendor="yealink",
    model="T54W",
    admin_password="Adm1nPassw0rdXyz",
    lines=(
        LineAccount(1, "101", "Front desk", "Sip-Passw0rd-101"),
        LineAccount(2, "102", "Office", "Sip-Passw0rd-102"),
    ),
    site=SITE,
)


def parse_yealink(content: bytes) -> dict[str, str]:
    """Yealink's format: the version line, then key = value or comments."""
    lines = content.decode("utf-8").splitlines()
    assert lines[0] == "#!version:1.0.0.1"
    values: dict[str, str] = {}
    for line in lines[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition(" = ")
        assert sep, f"not key = value: {line!r}"
        assert key not in values, f"{key} twice"
        values[key] = value
    return values


def generic(key: str) -> str:
    """account.2.label -> account.N.label, as the documented list names it."""
    parts = key.split(".")
    if parts[0] == "account" or key.startswith("voice_mail.number."):
        index = 1 if parts[0] == "account" else 2
        parts[index] = "N"
    return ".".join(parts)


def test_yealink_mac_file_has_each_line_with_its_credentials_and_server():
    values = parse_yealink(yealink.render_mac_file(PHONE))

    assert {generic(key) for key in values} <= yealink.MAC_FILE_KEYS
    assert values["account.1.user_name"] == "101"
    assert values["account.1.auth_name"] == "101"
    assert values["account.1.password"] == "Sip-Passw0rd-101"
    assert values["account.2.display_name"] == "Office"
    assert values["account.2.sip_server.1.address"] == "192.0.2.10"
    assert values["account.2.sip_server.1.port"] == "5060"
    assert values["account.1.sip_server.1.transport_type"] == "0"  # UDP
    assert values["voice_mail.number.1"] == "*97"
    assert values["static.security.user_password"] == "admin:Adm1nPassw0rdXyz"


def test_yealink_common_file_sets_time_and_language():
    values = parse_yealink(yealink.render_common(SITE))

    assert set(values) <= yealink.COMMON_KEYS
    assert values["local_time.time_zone"] == "+1"  # Berlin's standard offset
    assert values["local_time.ntp_server1"] == "pool.ntp.org"
    assert values["lang.gui"] == "German"


def test_each_vendor_picks_up_a_ringing_blf_key_with_the_pbx_s_code():
    yealink_values = parse_yealink(yealink.render_common(SITE))
    assert yealink_values["features.pickup.direct_pickup_enable"] == "1"
    assert yealink_values["features.pickup.direct_pickup_code"] == "**"
    assert yealink_values["features.pickup.group_pickup_code"] == "*8"

    poly_values = polycom_values(polycom.render_common(SITE))
    assert poly_values["call.directedCallPickupMethod"] == "legacy"
    assert poly_values["call.directedCallPickupString"] == "**"

    assert grandstream_values(grandstream.render_common(SITE))["P1347"] == "**"
    grandstream_own = grandstream_values(grandstream.render_mac_file(PHONE))
    # Account 1's prefix, then account 2's (P481 in the GXP17xx template).
    assert (grandstream_own["P1347"], grandstream_own["P481"]) == ("**", "**")

    cisco_profile = cisco_values(cisco.render_mac_file(PHONE))
    assert cisco_profile["Call_Pickup_Code"] == "**"
    assert cisco_profile["Group_Call_Pickup_Code"] == "*8"


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("UTC", "0"), ("America/New_York", "-5"), ("Asia/Kolkata", "+5:30")],
)
def test_yealink_time_zone_is_the_standard_offset(zone, shown):
    site = SiteProfile("192.0.2.10", 5060, "udp", zone, "pool.ntp.org", "en")
    assert parse_yealink(yealink.render_common(site))["local_time.time_zone"] == shown


@pytest.mark.parametrize(
    ("zone", "written"),
    [
        # The last Sunday of March at 2, of October at 3 (local times).
        (
            "Europe/Berlin",
            "summer_time=1 dst_time_type=1 start_time=3/5/7/2 "
            "end_time=10/5/7/3 offset_time=60",
        ),
        # The second Sunday of March: week 2.
        (
            "America/New_York",
            "summer_time=1 dst_time_type=1 start_time=3/2/7/2 "
            "end_time=11/1/7/2 offset_time=60",
        ),
        # South: saving starts in October and ends in April.
        (
            "Australia/Sydney",
            "summer_time=1 dst_time_type=1 start_time=10/1/7/2 "
            "end_time=4/1/7/3 offset_time=60",
        ),
        # Half an hour of saving.
        (
            "Australia/Lord_Howe",
            "summer_time=1 dst_time_type=1 start_time=10/1/7/2 "
            "end_time=4/1/7/2 offset_time=30",
        ),
        # A change at 2:45 or at 26:00 has no whole hour of the day: the
        # phone's Automatic.
        ("Pacific/Chatham", "summer_time=2"),
        ("Asia/Jerusalem", "summer_time=2"),
        # No saving, but zones with the same offset have one.
        ("Asia/Tokyo", "summer_time=0"),
        ("America/Phoenix", "summer_time=0"),
        ("Australia/Brisbane", "summer_time=0"),
    ],
)
def test_yealink_phones_get_the_zone_s_daylight_saving_rule(zone, written):
    site = dataclasses.replace(SITE, time_zone=zone)
    values = parse_yealink(yealink.render_common(site))
    expected = {
        f"local_time.{k}": v for k, v in (p.split("=") for p in written.split())
    }

    assert set(values) <= yealink.COMMON_KEYS
    others = {"local_time.time_zone", "local_time.ntp_server1"}
    written = {
        k: v
        for k, v in values.items()
        if k.startswith("local_time.") and k not in others
    }
    assert written == expected


def weekday_of_month(
    year: int, month: int, week: int | None, isoweekday: int
) -> dt.date:
    """The week-th such weekday (1 Monday to 7 Sunday) of the month, or its
    last when week is None."""
    if week is None:
        date = dt.date(year, month, calendar.monthrange(year, month)[1])
        return date - dt.timedelta(days=(date.isoweekday() - isoweekday) % 7)
    date = dt.date(year, month, 1 + 7 * (week - 1))
    return date + dt.timedelta(days=(isoweekday - date.isoweekday()) % 7)


def yealink_change_in_utc(year: int, value: str, offset_before: int) -> dt.datetime:
    """A "DST by Week" value as Yealink's guides define it: month, week of
    month (5 the last), day of week (1 Monday to 7 Sunday), hour of day;
    week N taken as the Nth such weekday, the hour as the local time in
    force until the change."""
    month, week, weekday, hour = (int(part) for part in value.split("/"))
    date = weekday_of_month(year, month, None if week == 5 else week, weekday)
    local = dt.datetime(date.year, date.month, date.day, hour)
    return local - dt.timedelta(seconds=offset_before)


def test_yealink_rules_give_every_zone_s_local_time_at_each_change():
    """Every zone whose rule the phone can take: the hour before and after
    each change of 2031, read with Yealink's definitions, is zoneinfo's."""
    year = 2031
    checked, wrong = 0, []
    for zone in sorted(zoneinfo.available_timezones()):
        rule = dataclasses.replace(SITE, time_zone=zone).zone_rule()
        values = dict(yealink.daylight_saving(rule))
        if values["local_time.summer_time"] != "1":
            continue
        standard = rule.with_forward_saving().standard_offset
        daylight = standard + int(values["local_time.offset_time"]) * 60
        start = yealink_change_in_utc(year, values["local_time.start_time"], standard)
        end = yealink_change_in_utc(year, values["local_time.end_time"], daylight)
        wrong += off_around_changes(zone, start, end, standard, daylight)
        checked += 1

    assert checked > 100
    assert wrong == []


def fanvil_global(content: bytes) -> dict[str, str]:
    """``GLOBAL_CONFIG_MODULE`` of a Fanvil common file, each setting once."""
    module = ET.fromstring(content).find("GLOBAL_CONFIG_MODULE")
    assert module is not None
    tags = [element.tag for element in module]
    assert len(tags) == len(set(tags)), f"a setting twice: {tags}"
    return {element.tag: element.text or "" for element in module}


FANVIL_ZONE_KEYS = {"SNTP_Server", "Enable_SNTP", "Language"}


@pytest.mark.parametrize(
    ("zone", "written"),
    [
        # Last Sunday of March at 02:00 to last Sunday of October at 03:00.
        (
            "Europe/Berlin",
            "Time_Zone=4 Time_Zone_Name=UTC+1 Enable_DST=2 DST_Min_Offset=60 "
            "DST_Start_Mon=3 DST_Start_Hour=2 DST_Start_Wday=0 DST_Start_Week=-1 "
            "DST_Start_Min=0 DST_End_Mon=10 DST_End_Hour=3 DST_End_Wday=0 "
            "DST_End_Week=-1 DST_End_Min=0",
        ),
        # Second Sunday of March to first Sunday of November, both at 02:00.
        (
            "America/New_York",
            "Time_Zone=-20 Time_Zone_Name=UTC-05 Enable_DST=2 DST_Min_Offset=60 "
            "DST_Start_Mon=3 DST_Start_Hour=2 DST_Start_Wday=0 DST_Start_Week=2 "
            "DST_Start_Min=0 DST_End_Mon=11 DST_End_Hour=2 DST_End_Wday=0 "
            "DST_End_Week=1 DST_End_Min=0",
        ),
        # Southern hemisphere: starts in October, ends in April.
        (
            "Australia/Sydney",
            "Time_Zone=40 Time_Zone_Name=UTC+10 Enable_DST=2 DST_Min_Offset=60 "
            "DST_Start_Mon=10 DST_Start_Hour=2 DST_Start_Wday=0 DST_Start_Week=1 "
            "DST_Start_Min=0 DST_End_Mon=4 DST_End_Hour=3 DST_End_Wday=0 "
            "DST_End_Week=1 DST_End_Min=0",
        ),
        # tzdata tells Ireland's winter as the saving; the phone gets summer.
        (
            "Europe/Dublin",
            "Time_Zone=0 Time_Zone_Name=UCT Enable_DST=2 DST_Min_Offset=60 "
            "DST_Start_Mon=3 DST_Start_Hour=1 DST_Start_Wday=0 DST_Start_Week=-1 "
            "DST_Start_Min=0 DST_End_Mon=10 DST_End_Hour=2 DST_End_Wday=0 "
            "DST_End_Week=-1 DST_End_Min=0",
        ),
        # No saving, though zones with the same offset have one.
        ("Asia/Tokyo", "Time_Zone=36 Time_Zone_Name=UTC+9 Enable_DST=0"),
        ("America/Phoenix", "Time_Zone=-28 Time_Zone_Name=UTC-07 Enable_DST=0"),
        # A change at 26:00, a saving of two hours: not sayable, so off.
        ("Asia/Jerusalem", "Time_Zone=8 Time_Zone_Name=UTC+2 Enable_DST=0"),
        ("Antarctica/Troll", "Time_Zone=0 Time_Zone_Name=UCT Enable_DST=0"),
        # No Time_Zone (+10:30, +12:45): the phone keeps its zone and rule.
        ("Australia/Lord_Howe", ""),
        ("Pacific/Chatham", ""),
    ],
)
def test_fanvil_phones_get_the_zone_s_daylight_saving_rule(zone, written):
    site = dataclasses.replace(SITE, time_zone=zone)
    content = fanvil.render_common(site)
    values = fanvil_global(content)
    expected = dict(p.split("=") for p in written.split())

    assert fanvil.setting_paths(content) <= fanvil.COMMON_KEYS
    assert {k: v for k, v in values.items() if k not in FANVIL_ZONE_KEYS} == expected


def test_fanvil_rule_carries_a_half_hour_saving_in_minutes():
    # Lord Howe's file gets no Time_Zone (+10:30), but its rule says 30.
    rule = dataclasses.replace(SITE, time_zone="Australia/Lord_Howe").zone_rule()

    assert dict(fanvil.daylight_saving(rule))["DST_Min_Offset"] == "30"


def fanvil_change_in_utc(
    year: int, values: dict[str, str], edge: str, offset_before: int
) -> dt.datetime:
    """A change as the public integration encodes it: month, week (-1 the
    month's last, else the Nth), weekday (0 Sunday), hour and minute in the
    local time in force until the change."""
    month, week, weekday, hour, minute = (
        int(values[f"DST_{edge}_{part}"])
        for part in ("Mon", "Week", "Wday", "Hour", "Min")
    )
    # Sunday 0 is ISO's 7.
    date = weekday_of_month(year, month, None if week == -1 else week, weekday or 7)
    local = dt.datetime(date.year, date.month, date.day, hour, minute)
    return local - dt.timedelta(seconds=offset_before)


def test_fanvil_rules_give_every_zone_s_local_time_at_each_change():
    """Every zone whose common file turns the rule on: the hour before and
    after each change of 2031, read back from the file with that encoding
    and its Time_Zone, is zoneinfo's."""
    year = 2031
    checked, wrong = 0, []
    for zone in sorted(zoneinfo.available_timezones()):
        site = dataclasses.replace(SITE, time_zone=zone)
        values = fanvil_global(fanvil.render_common(site))
        if values.get("Enable_DST") != "2":
            continue
        standard = int(values["Time_Zone"]) * 15 * 60
        daylight = standard + int(values["DST_Min_Offset"]) * 60
        start = fanvil_change_in_utc(year, values, "Start", standard)
        end = fanvil_change_in_utc(year, values, "End", daylight)
        wrong += off_around_changes(zone, start, end, standard, daylight)
        checked += 1

    assert checked > 100
    assert wrong == []


def grandstream_values(content: bytes) -> dict[str, str]:
    root = ET.fromstring(content)
    assert root.tag == "gs_provision" and root.get("version") == "1"
    config = root.find("config")
    assert config is not None
    return {element.tag: element.text or "" for element in config}


def test_grandstream_mac_file_puts_each_line_in_its_p_values():
    content = grandstream.render_mac_file(PHONE)
    values = grandstream_values(content)

    assert set(values) <= grandstream.MAC_FILE_KEYS
    assert ET.fromstring(content).findtext("mac") == "805ec0aabbcc"
    assert values["P35"] == values["P36"] == "101"
    assert values["P34"] == "Sip-Passw0rd-101"
    assert values["P47"] == "192.0.2.10:5060"
    assert values["P404"] == values["P405"] == "102"  # account 2's block
    assert values["P406"] == "Sip-Passw0rd-102"
    assert values["P33"] == values["P426"] == "*97"
    assert values["P2"] == "Adm1nPassw0rdXyz"


SIX_LINE_PHONE = dataclasses.replace(
    PHONE,
    model="GXP2170",
    lines=tuple(
        LineAccount(n, f"10{n}", f"Line {n}", f"Sip-Passw0rd-10{n}")
        for n in range(1, 7)
    ),
)


@pytest.mark.parametrize("model", ["GXP2170", "GRP2616"])
@pytest.mark.parametrize(
    ("line", "server", "user_id", "password", "transport", "pickup"),
    [
        # Accounts 5 and 6 of a GXP2160/2170 and a GRP2615/2616 are the 1700
        # and 1800 blocks of Grandstream's GXP21xx and GRP261x configuration
        # templates, not 700 and 800.
        (4, "P602", "P604", "P606", "P648", "P681"),
        (5, "P1702", "P1704", "P1706", "P1748", "P1781"),
        (6, "P1802", "P1804", "P1806", "P1848", "P1881"),
    ],
)
def test_grandstream_accounts_five_and_six_are_in_their_own_blocks(
    model, line, server, user_id, password, transport, pickup
):
    phone = dataclasses.replace(SIX_LINE_PHONE, model=model)
    values = grandstream_values(grandstream.render_mac_file(phone))

    assert set(values) <= grandstream.MAC_FILE_KEYS
    assert values[server] == "192.0.2.10:5060"
    assert values[user_id] == f"10{line}"
    assert values[password] == f"Sip-Passw0rd-10{line}"
    assert values[transport] == "0"
    assert values[pickup] == "**"  # "BLF Call-pickup Prefix" of that account
    # Nothing lands in P7xx or P8xx, which are no account's block.
    assert not [key for key in values if len(key) == 4 and key[1] in "78"]


def test_a_grp2616_s_sixth_account_is_grandstream_s_account_6():
    """The GRP261x template's "Account 6 GRP2616 only": active P1801,
    account name P1817, server P1802, user and authenticate id P1804 and
    P1805, password P1806, name P1807, voicemail P1826."""
    phone = dataclasses.replace(SIX_LINE_PHONE, model="GRP2616")
    values = grandstream_values(grandstream.render_mac_file(phone))

    assert values["P1801"] == "1"
    assert values["P1817"] == values["P1804"] == values["P1805"] == "106"
    assert values["P1802"] == "192.0.2.10:5060"
    assert values["P1806"] == "Sip-Passw0rd-106"
    assert values["P1807"] == "Line 6"
    assert values["P1826"] == "*97"


GRANDSTREAM_PHONE = dataclasses.replace(
    PHONE,
    mac="000b82aabbcc",
    vendor="grandstream",
    model="GXP2170",
    phonebook_url="https://192.0.2.10:8443/prov/000b82aabbcc/phonebook.xml",
)
PHONEBOOK_TEMPLATE = """<gs_provision version="1"><config version="1">
<P330>{{ phone.phonebook_download }}</P330>
<P331>{{ phone.phonebook_folder }}</P331>
</config></gs_provision>"""


def test_a_grandstream_template_writes_the_phonebook_folder_the_phone_asks_under():
    built_in = grandstream.render_mac_file(GRANDSTREAM_PHONE)
    content = templates.render_body(
        PHONEBOOK_TEMPLATE, built_in, SITE, GRANDSTREAM_PHONE
    )
    values = grandstream_values(content)

    # The phone asks for phonebook.xml under P331 ("host:port/path"), over
    # HTTPS for P330 3: that is the phonebook's own URL.
    asked = f"https://{values['P331']}/phonebook.xml"
    assert values["P330"] == "3"
    assert asked == GRANDSTREAM_PHONE.phonebook_url
    # The template's values are the built-in file's.
    own = grandstream_values(built_in)
    assert (own["P330"], own["P331"]) == (values["P330"], values["P331"])


def test_grandstream_common_file_sets_ntp_and_language():
    values = grandstream_values(grandstream.render_common(SITE))
    assert set(values) <= grandstream.COMMON_KEYS
    assert (values["P30"], values["P1362"]) == ("pool.ntp.org", "de")


# What a phone in each zone reads: the TZif rule (daylight saving included;
# Kolkata has none), Snom's offset in seconds and its dst rule.
ZONES = {
    "America/New_York": (
        "EST5EDT,M3.2.0,M11.1.0",
        "-18000",
        "3600 03.02.07 02:00:00 11.01.07 02:00:00",  # 2nd Sunday of March
    ),
    "Europe/Berlin": (
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "3600",
        "3600 03.05.07 02:00:00 10.05.07 03:00:00",  # Snom's own Germany example
    ),
    "Asia/Kolkata": ("IST-5:30", "19800", ""),
}
ZONE_ROWS = [(zone, *values) for zone, values in ZONES.items()]


@pytest.mark.parametrize(("zone", "rule", "offset", "dst"), ZONE_ROWS)
def test_grandstream_phones_get_the_zone_as_a_self_defined_time_zone(
    zone, rule, offset, dst
):
    site = dataclasses.replace(SITE, time_zone=zone)
    values = grandstream_values(grandstream.render_common(site))

    assert set(values) <= grandstream.COMMON_KEYS
    assert values["P64"] == "customize"  # "Self-Defined Time Zone"
    assert values["P246"] == rule
    assert values["P143"] == "0"  # DHCP option 2 may not replace it


def test_a_known_grandstream_phone_reads_the_site_values_in_its_own_file():
    # It asks for cfg.xml only when its cfg<mac>.xml is missing.
    common = grandstream_values(grandstream.render_common(SITE))
    own = grandstream_values(grandstream.render_mac_file(PHONE))

    assert set(own) <= grandstream.MAC_FILE_KEYS
    assert {key: own[key] for key in common} == common
    assert own["P246"] == "CET-1CEST,M3.5.0,M10.5.0/3"
    assert own["P30"] == "pool.ntp.org"


@pytest.mark.parametrize(("zone", "rule", "offset", "dst"), ZONE_ROWS)
def test_snom_phones_get_the_standard_offset_and_the_dst_rule(zone, rule, offset, dst):
    site = dataclasses.replace(SITE, time_zone=zone)
    values = snom_values(snom.render_common(site))

    assert {key for key, _ in values} <= snom.COMMON_KEYS
    assert values[("timezone", None)] == ""  # no Snom zone code overrides them
    assert values[("utc_offset", None)] == offset
    assert values[("dst", None)] == dst


@pytest.mark.parametrize(
    ("zone", "rule", "offset", "dst"),
    [
        # Ireland's saving is told as a summer one, quoted names as STD/DST.
        (
            "Europe/Dublin",
            "GMT0IST,M3.5.0/1,M10.5.0",
            "0",
            "3600 03.05.07 01:00:00 10.05.07 02:00:00",
        ),
        (
            "Australia/Sydney",
            "AEST-10AEDT,M10.1.0,M4.1.0/3",
            "36000",
            "3600 10.01.07 02:00:00 04.01.07 03:00:00",
        ),
        ("America/Sao_Paulo", "STD3", "-10800", ""),
        # A change at 26:00 does not fit Snom's dst: standard offset only.
        ("Asia/Jerusalem", "IST-2IDT,M3.4.4/26,M10.5.0", "7200", ""),
    ],
)
def test_zones_beyond_the_simple_cases(zone, rule, offset, dst):
    site = dataclasses.replace(SITE, time_zone=zone)
    grandstream_file = grandstream_values(grandstream.render_common(site))
    snom_file = snom_values(snom.render_common(site))

    assert grandstream_file["P246"] == rule
    assert snom_file[("utc_offset", None)] == offset
    assert snom_file[("dst", None)] == dst


def snom_values(content: bytes) -> dict[tuple[str, str | None], str]:
    root = ET.fromstring(content)
    assert root.tag == "settings"
    settings = root.find("phone-settings")
    assert settings is not None
    return {(e.tag, e.get("idx")): e.text or "" for e in settings}


def test_snom_mac_file_has_each_identity_read_only():
    content = snom.render_mac_file(PHONE)
    values = snom_values(content)

    assert {key for key, _ in values} <= snom.MAC_FILE_KEYS
    assert values[("user_name", "1")] == "101"
    assert values[("user_pass", "2")] == "Sip-Passw0rd-102"
    assert values[("user_host", "2")] == "192.0.2.10:5060"
    assert values[("user_mailbox", "1")] == "*97"
    assert values[("http_pass", None)] == "Adm1nPassw0rdXyz"
    settings = ET.fromstring(content).find("phone-settings")
    assert {element.get("perm") for element in settings} == {"R"}


def test_snom_common_file_sets_ntp_and_language():
    values = snom_values(snom.render_common(SITE))
    assert {key for key, _ in values} <= snom.COMMON_KEYS
    assert values[("language", None)] == "Deutsch"


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "English"),
        ("de", "Deutsch"),
        ("fr", "Francais"),
        ("es", "Espanol"),
        ("it", "Italiano"),
        ("nl", "Nederlands"),
        ("pt", "Portugues"),
    ],
)
def test_snom_phone_and_web_page_speak_the_site_s_language(language, shown):
    site = dataclasses.replace(SITE, language=language)
    values = snom_values(snom.render_common(site))

    assert values[("language", None)] == values[("web_language", None)] == shown


def test_every_site_language_has_a_snom_name():
    # A language added to the site settings must not fall back to English.
    assert set(site_settings.LANGUAGES) <= set(snom.LANGUAGE_NAMES)


def polycom_values(content: bytes) -> dict[str, str]:
    root = ET.fromstring(content)
    assert root.tag == "polycomConfig" and len(root) == 0
    return dict(root.attrib)


def test_poly_master_file_names_the_phone_file_then_the_site_file():
    root = ET.fromstring(polycom.render_master(PHONE))

    assert root.tag == "APPLICATION"
    assert set(root.attrib) == set(polycom.MASTER_ATTRIBUTES)
    files = [name.strip() for name in root.get("CONFIG_FILES").split(",")]
    assert files == ["phone805ec0aabbcc.cfg", polycom.SITE_FILE]
    assert root.get("APP_FILE_PATH") == ""


def test_poly_phone_file_has_each_registration():
    values = polycom_values(polycom.render_phone_file(PHONE))

    assert set(values) <= polycom.MAC_FILE_KEYS
    assert values["reg.1.address"] == values["reg.1.auth.userId"] == "101"
    assert values["reg.2.auth.password"] == "Sip-Passw0rd-102"
    assert values["reg.2.server.1.address"] == "192.0.2.10"
    assert values["reg.2.server.1.port"] == "5060"
    assert values["reg.1.server.1.transport"] == "UDPOnly"
    assert values["msg.mwi.1.callBack"] == "*97"
    assert values["device.auth.localAdminPassword"] == "Adm1nPassw0rdXyz"


def test_poly_site_file_sets_time_and_language():
    values = polycom_values(polycom.render_common(SITE))

    assert set(values) <= polycom.COMMON_KEYS
    assert values["tcpIpApp.sntp.gmtOffset"] == "3600"
    assert values["lcl.ml.lang"] == "German_Germany"


DST = "tcpIpApp.sntp.daylightSavings."


@pytest.mark.parametrize(
    ("zone", "offset", "dst"),
    [
        # Last Sunday (1 is Sunday here), at 02:00 and 03:00 local time.
        (
            "Europe/Berlin",
            "3600",
            "enable=1 fixedDayEnable=0 start.month=3 start.dayOfWeek=1 "
            "start.dayOfWeek.lastInMonth=1 start.time=2 stop.month=10 "
            "stop.dayOfWeek=1 stop.dayOfWeek.lastInMonth=1 stop.time=3",
        ),
        # The second Sunday of March: the Sunday on or after the 8th.
        (
            "America/New_York",
            "-18000",
            "enable=1 fixedDayEnable=0 start.month=3 start.date=8 "
            "start.dayOfWeek=1 start.dayOfWeek.lastInMonth=0 start.time=2 "
            "stop.month=11 stop.date=1 stop.dayOfWeek=1 "
            "stop.dayOfWeek.lastInMonth=0 stop.time=2",
        ),
        # South: saving starts in October and stops in April.
        (
            "Australia/Sydney",
            "36000",
            "enable=1 fixedDayEnable=0 start.month=10 start.date=1 "
            "start.dayOfWeek=1 start.dayOfWeek.lastInMonth=0 start.time=2 "
            "stop.month=4 stop.date=1 stop.dayOfWeek=1 "
            "stop.dayOfWeek.lastInMonth=0 stop.time=3",
        ),
        # The Saturday before the last Sunday of March, 23:00, is the
        # Saturday (7 here) on or after the 24th.
        (
            "America/Nuuk",
            "-7200",
            "enable=1 fixedDayEnable=0 start.month=3 start.date=24 "
            "start.dayOfWeek=7 start.dayOfWeek.lastInMonth=0 start.time=23 "
            "stop.month=10 stop.dayOfWeek=1 stop.dayOfWeek.lastInMonth=1 "
            "stop.time=0",
        ),
        # The Friday after the last Thursday of October may be November's
        # first, and time is a whole hour: no form, so off.
        ("Africa/Cairo", "7200", "enable=0"),
        # No saving: off, or the phone's own (US) rule would run.
        ("Asia/Tokyo", "32400", "enable=0"),
        # Half an hour of saving is not an hour: off.
        ("Australia/Lord_Howe", "37800", "enable=0"),
    ],
)
def test_poly_phones_get_the_zone_s_daylight_saving_rule(zone, offset, dst):
    site = dataclasses.replace(SITE, time_zone=zone)
    values = polycom_values(polycom.render_common(site))
    expected = dict(pair.split("=") for pair in dst.split())

    assert set(values) <= polycom.COMMON_KEYS
    assert values["tcpIpApp.sntp.gmtOffset"] == offset
    written = {k.removeprefix(DST): v for k, v in values.items() if k.startswith(DST)}
    assert written == expected


def poly_change_in_utc(year: int, values: dict[str, str], end: str, before: int):
    """A change as Poly's guides define it: the dayOfWeek (1 Sunday) on or
    after ``date``, or the month's last with ``lastInMonth``, at ``time``
    o'clock, taken as the local time in force until the change."""
    month, weekday = int(values[f"{end}.month"]), int(values[f"{end}.dayOfWeek"])
    if values[f"{end}.dayOfWeek.lastInMonth"] == "1":
        date = dt.date(year, month, calendar.monthrange(year, month)[1])
        date -= dt.timedelta(days=(date.isoweekday() % 7 + 1 - weekday) % 7)
    else:
        date = dt.date(year, month, int(values[f"{end}.date"]))
        date += dt.timedelta(days=(weekday - (date.isoweekday() % 7 + 1)) % 7)
    local = dt.datetime(date.year, date.month, date.day, int(values[f"{end}.time"]))
    return local - dt.timedelta(seconds=before)


def off_around_changes(
    zone: str, start: dt.datetime, end: dt.datetime, standard: int, daylight: int
) -> list[tuple[str, dt.datetime]]:
    """The UTC moments, an hour before and after each of the two changes
    (given in UTC), where zoneinfo's offset is not the one a phone keeping
    the written rule would show."""
    tz = zoneinfo.ZoneInfo(zone)
    wrong = []
    for moment, before, after in [
        (start, standard, daylight),
        (end, daylight, standard),
    ]:
        for utc, expected in [(moment - HOUR, before), (moment + HOUR, after)]:
            shown = utc.replace(tzinfo=dt.UTC).astimezone(tz).utcoffset()
            if shown.total_seconds() != expected:
                wrong.append((zone, utc))
    return wrong


def test_poly_rules_give_every_zone_s_local_time_at_each_change():
    """Every zone whose rule the phone can take: the hour before and after
    each change of 2031, read with Poly's definitions, is zoneinfo's."""
    year = 2031
    checked, wrong = 0, []
    for zone in sorted(zoneinfo.available_timezones()):
        rule = dataclasses.replace(SITE, time_zone=zone).zone_rule()
        written = polycom.daylight_saving(rule)
        if written[DST + "enable"] == "0":
            continue
        values = {k.removeprefix(DST): v for k, v in written.items()}
        standard, daylight = rule.standard_offset, rule.standard_offset + 3600
        start = poly_change_in_utc(year, values, "start", standard)
        stop = poly_change_in_utc(year, values, "stop", daylight)
        wrong += off_around_changes(zone, start, stop, standard, daylight)
        checked += 1

    assert checked > 100
    assert wrong == []


def cisco_values(content: bytes) -> dict[str, str]:
    root = ET.fromstring(content)
    assert root.tag == "flat-profile"
    assert {element.get("ua") for element in root} == {"na"}
    return {element.tag: element.text or "" for element in root}


def test_cisco_flat_profile_has_each_line_and_the_phone_settings():
    values = cisco_values(cisco.render_mac_file(PHONE))

    assert set(values) <= cisco.MAC_FILE_KEYS
    assert values["User_ID_1_"] == values["Auth_ID_1_"] == "101"
    assert values["Use_Auth_ID_1_"] == "Yes"
    assert values["Password_2_"] == "Sip-Passw0rd-102"
    assert values["Proxy_2_"] == "192.0.2.10:5060"
    assert values["SIP_Transport_1_"] == "UDP"
    assert values["Admin_Password"] == "Adm1nPassw0rdXyz"
    assert values["Voice_Mail_Number"] == "*97"
    assert values["Time_Zone"] == "GMT+01:00"


@pytest.mark.parametrize(
    ("minutes", "shown"), [(0, "GMT"), (-300, "GMT-05:00"), (330, "GMT+05:30")]
)
def test_cisco_time_zone_names(minutes, shown):
    assert cisco.time_zone(minutes) == shown


@pytest.mark.parametrize(
    ("zone", "time_zone", "enabled", "rule"),
    [
        # The last Sunday is day -1; weekdays count 1 Monday to 7 Sunday.
        (
            "Europe/Berlin",
            "GMT+01:00",
            "Yes",
            "start=3/-1/7/2:00:00;end=10/-1/7/3:00:00;save=1",
        ),
        # The second Sunday of March is the Sunday on or after the 8th.
        (
            "America/New_York",
            "GMT-05:00",
            "Yes",
            "start=3/8/7/2:00:00;end=11/1/7/2:00:00;save=1",
        ),
        # South: saving starts in October and ends in April.
        (
            "Australia/Sydney",
            "GMT+10:00",
            "Yes",
            "start=10/1/7/2:00:00;end=4/1/7/3:00:00;save=1",
        ),
        ("Asia/Tokyo", "GMT+09:00", "No", None),
        # The Friday after the fourth Thursday, and a half-hour saving.
        (
            "Asia/Jerusalem",
            "GMT+02:00",
            "Yes",
            "start=3/23/5/2:00:00;end=10/-1/7/2:00:00;save=1",
        ),
        (
            "Australia/Lord_Howe",
            "GMT+10:30",
            "Yes",
            "start=10/1/7/2:00:00;end=4/1/7/2:00:00;save=0:30",
        ),
        # The last Friday of April at 0:00, and the end of the last Thursday
        # of October (24:00, which may be November's first Friday 0:00) as
        # that Thursday's last second: the guides' syntax has no 24:00.
        (
            "Africa/Cairo",
            "GMT+02:00",
            "Yes",
            "start=4/-1/5/0:00:00;end=10/-1/4/23:59:59;save=1",
        ),
        # The Saturday before the last Sunday of March, 23:00, is the
        # Saturday on or after the 24th; ends on the last Sunday, 0:00.
        (
            "America/Nuuk",
            "GMT-02:00",
            "Yes",
            "start=3/24/6/23:00:00;end=10/-1/7/0:00:00;save=1",
        ),
    ],
)
def test_cisco_phones_get_the_zone_s_daylight_saving_rule(
    zone, time_zone, enabled, rule
):
    site = dataclasses.replace(SITE, time_zone=zone)
    values = cisco_values(cisco.render_mac_file(dataclasses.replace(PHONE, site=site)))

    assert set(values) <= cisco.MAC_FILE_KEYS
    assert values["Time_Zone"] == time_zone
    assert values["Daylight_Saving_Time_Enable"] == enabled
    assert values.get("Daylight_Saving_Time_Rule") == rule


def cisco_change_in_utc(year: int, change: str, offset_before: int) -> dt.datetime:
    """A change of the rule as Cisco's guides define it: ``month/day/
    weekday/time``, the weekday (1 Monday to 7 Sunday) on or after the day,
    or with day -1 on or before the month's last day; the time is taken as
    the local time in force until the change."""
    month, day, weekday, clock = change.split("/")
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    if day == "-1":
        last_day = calendar.monthrange(year, int(month))[1]
        date = dt.date(year, int(month), last_day)
        date -= dt.timedelta(days=(date.isoweekday() - int(weekday)) % 7)
    else:
        date = dt.date(year, int(month), int(day))
        date += dt.timedelta(days=(int(weekday) - date.isoweekday()) % 7)
    local = dt.datetime(date.year, date.month, date.day, hours, minutes, seconds)
    return local - dt.timedelta(seconds=offset_before)


def test_cisco_rules_give_every_zone_s_local_time_at_each_change():
    """Every zone whose rule the phone can take: the hour before and after
    each change of 2031, read with Cisco's definitions, is zoneinfo's."""
    year = 2031  # listed in every TZif file, so zoneinfo uses its own list
    checked, wrong = 0, []
    for zone in sorted(zoneinfo.available_timezones()):
        site = dataclasses.replace(SITE, time_zone=zone)
        rule = site.zone_rule()
        values = dict(cisco.daylight_saving(rule))
        if "Daylight_Saving_Time_Rule" not in values:
            continue
        fields = dict(
            field.split("=") for field in values["Daylight_Saving_Time_Rule"].split(";")
        )
        standard = rule.standard_offset
        daylight = standard + rule.saving
        start = cisco_change_in_utc(year, fields["start"], standard)
        end = cisco_change_in_utc(year, fields["end"], daylight)
        wrong += off_around_changes(zone, start, end, standard, daylight)
        checked += 1

    assert checked > 100
    assert wrong == []


def test_cisco_greenland_rule_holds_whichever_day_the_last_sunday_is():
    # 2029's last Sunday of March is the 25th, 2030's the 31st: the change
    # falls on the first and the last of the seven days the rule allows.
    rule = dataclasses.replace(SITE, time_zone="America/Nuuk").zone_rule()
    written = dict(cisco.daylight_saving(rule))["Daylight_Saving_Time_Rule"]
    fields = dict(field.split("=") for field in written.split(";"))
    standard, daylight = rule.standard_offset, rule.standard_offset + rule.saving

    wrong = []
    for year in range(2026, 2038):  # listed in the TZif file itself
        start = cisco_change_in_utc(year, fields["start"], standard)
        end = cisco_change_in_utc(year, fields["end"], daylight)
        wrong += off_around_changes("America/Nuuk", start, end, standard, daylight)

    assert wrong == []


#: Zones whose rules move the most: Egypt's and Greenland's changes are a
#: day off a month's last weekday, Chile's at 24:00, Sydney's over the new
#: year.
HANDFUL_OF_ZONES = (
    "Africa/Cairo",
    "America/Nuuk",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "America/Santiago",
)
#: Years whose changes fall on every day the rules allow: Cairo's end on
#: October 31 in 2030, Nuuk's start on March 24 and 30 in 2029 and 2030.
YEARS = range(2026, 2038)


def cisco_changes(zone: str, year: int) -> tuple[dt.datetime, dt.datetime]:
    rule = dataclasses.replace(SITE, time_zone=zone).zone_rule()
    values = dict(cisco.daylight_saving(rule))
    assert values["Daylight_Saving_Time_Enable"] == "Yes", zone
    fields = dict(
        field.split("=") for field in values["Daylight_Saving_Time_Rule"].split(";")
    )
    daylight = rule.standard_offset + rule.saving
    return (
        cisco_change_in_utc(year, fields["start"], rule.standard_offset),
        cisco_change_in_utc(year, fields["end"], daylight),
    )


def poly_changes(zone: str, year: int) -> tuple[dt.datetime, dt.datetime]:
    rule = dataclasses.replace(SITE, time_zone=zone).zone_rule()
    written = polycom.daylight_saving(rule)
    assert written[DST + "enable"] == "1", zone
    values = {k.removeprefix(DST): v for k, v in written.items()}
    daylight = rule.standard_offset + rule.saving
    return (
        poly_change_in_utc(year, values, "start", rule.standard_offset),
        poly_change_in_utc(year, values, "stop", daylight),
    )


def yealink_changes(zone: str, year: int) -> tuple[dt.datetime, dt.datetime]:
    rule = dataclasses.replace(SITE, time_zone=zone).zone_rule()
    values = dict(yealink.daylight_saving(rule))
    assert values["local_time.summer_time"] == "1", zone
    daylight = rule.standard_offset + int(values["local_time.offset_time"]) * 60
    return (
        yealink_change_in_utc(
            year, values["local_time.start_time"], rule.standard_offset
        ),
        yealink_change_in_utc(year, values["local_time.end_time"], daylight),
    )


def fanvil_changes(zone: str, year: int) -> tuple[dt.datetime, dt.datetime]:
    values = fanvil_global(
        fanvil.render_common(dataclasses.replace(SITE, time_zone=zone))
    )
    assert values.get("Enable_DST") == "2", zone
    standard = int(values["Time_Zone"]) * 15 * 60
    daylight = standard + int(values["DST_Min_Offset"]) * 60
    return (
        fanvil_change_in_utc(year, values, "Start", standard),
        fanvil_change_in_utc(year, values, "End", daylight),
    )


def snom_change_in_utc(year: int, date: str, clock: str, before: int) -> dt.datetime:
    """One change of Snom's ``dst``: ``mm.ww.dd`` (week 05 the month's
    last, weekday 01 Monday to 07 Sunday) at ``hh:mm:ss``, in the local
    time in force until the change."""
    month, week, weekday = (int(part) for part in date.split("."))
    day = weekday_of_month(year, month, None if week == 5 else week, weekday)
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    local = dt.datetime(day.year, day.month, day.day, hours, minutes, seconds)
    return local - dt.timedelta(seconds=before)


def snom_changes(zone: str, year: int) -> tuple[dt.datetime, dt.datetime]:
    values = snom_values(snom.render_common(dataclasses.replace(SITE, time_zone=zone)))
    assert values[("dst", None)], zone
    saving, start_date, start_clock, end_date, end_clock = values[("dst", None)].split()
    standard = int(values[("utc_offset", None)])
    return (
        snom_change_in_utc(year, start_date, start_clock, standard),
        snom_change_in_utc(year, end_date, end_clock, standard + int(saving)),
    )


def offset_changes(offset, year: int) -> list[dt.datetime]:
    """The UTC moments of the year where ``offset(moment)`` changes, to the
    second, found by bisection between the days it differs."""
    changes = []
    day = dt.datetime(year, 1, 1)
    while day.year == year:
        after = day + dt.timedelta(days=1)
        if offset(day) != offset(after):
            low, high = day, after
            while high - low > dt.timedelta(seconds=1):
                middle = (low + (high - low) / 2).replace(microsecond=0)
                if offset(middle) == offset(low):
                    low = middle
                else:
                    high = middle
            changes.append(high)
        day = after
    return changes


def tzdata_changes(zone: str, year: int) -> list[dt.datetime]:
    tz = zoneinfo.ZoneInfo(zone)
    return offset_changes(
        lambda moment: moment.replace(tzinfo=dt.UTC).astimezone(tz).utcoffset(),
        year,
    )


@pytest.fixture
def posix_tz(monkeypatch):
    """The C library's reading of a POSIX TZ string: a function giving the
    UTC offset at a UTC moment under the TZ that ``use`` set."""

    class PosixTz:
        def use(self, rule: str) -> None:
            monkeypatch.setenv("TZ", rule)
            time.tzset()

        def offset(self, moment: dt.datetime) -> int:
            return time.localtime(moment.replace(tzinfo=dt.UTC).timestamp()).tm_gmtoff

    yield PosixTz()
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("changes", "zone", "end_early"),
    [
        *[(cisco_changes, zone, 0) for zone in HANDFUL_OF_ZONES if "Cairo" not in zone],
        # The end of the last Thursday is said as its last second (see
        # cisco.py): one second early.
        (cisco_changes, "Africa/Cairo", 1),
        *[(poly_changes, zone, 0) for zone in HANDFUL_OF_ZONES if "Cairo" not in zone],
        # Whole hours within the day only: no Cairo, Nuuk or Santiago.
        *[(yealink_changes, zone, 0) for zone in HANDFUL_OF_ZONES[2:5]],
        *[(fanvil_changes, zone, 0) for zone in HANDFUL_OF_ZONES[2:5]],
        *[(snom_changes, zone, 0) for zone in HANDFUL_OF_ZONES[2:5]],
    ],
)
def test_vendors_change_the_clock_when_tzdata_does(changes, zone, end_early):
    """Each year of a dozen, both changes read back from the written rule
    with the vendor's definitions fall on tzdata's moments, to the second
    (the end ``end_early`` seconds early)."""
    wrong = []
    for year in YEARS:
        expected = tzdata_changes(zone, year)
        start, end = changes(zone, year)
        written = sorted([start, end + dt.timedelta(seconds=end_early)])
        if written != expected:
            wrong.append((year, written, expected))

    assert wrong == []


@pytest.mark.parametrize("zone", HANDFUL_OF_ZONES)
def test_grandstream_s_posix_rule_changes_the_clock_when_tzdata_does(zone, posix_tz):
    """P246 read by the C library's POSIX TZ parser, as a Linux phone
    would: each year of a dozen, its changes are tzdata's."""
    site = dataclasses.replace(SITE, time_zone=zone)
    posix_tz.use(grandstream_values(grandstream.render_common(site))["P246"])

    wrong = []
    for year in YEARS:
        written = offset_changes(posix_tz.offset, year)
        if written != tzdata_changes(zone, year):
            wrong.append((year, written))

    assert wrong == []


@pytest.mark.parametrize(
    ("render", "parse", "key"),
    [
        (cisco.render_mac_file, cisco_values, "Display_Name_1_"),
        (polycom.render_phone_file, polycom_values, "reg.1.displayName"),
        (grandstream.render_mac_file, grandstream_values, "P3"),
        (snom.render_mac_file, snom_values, ("user_realname", "1")),
    ],
)
def test_names_with_markup_characters_stay_text_in_xml(render, parse, key):
    tricky = "R&D <lab> 'A'"
    line = dataclasses.replace(PHONE.lines[0], display_name=tricky)
    phone = dataclasses.replace(PHONE, lines=(line,))

    assert parse(render(phone))[key] == tricky


@pytest.mark.parametrize(
    ("golden", "render"),
    [
        ("yealink-805ec0aabbcc.cfg", lambda: yealink.render_mac_file(PHONE)),
        ("yealink-y000000000000.cfg", lambda: yealink.render_common(SITE)),
        ("grandstream-cfg805ec0aabbcc.xml", lambda: grandstream.render_mac_file(PHONE)),
        ("grandstream-cfg.xml", lambda: grandstream.render_common(SITE)),
        ("snom-805ec0aabbcc.xml", lambda: snom.render_mac_file(PHONE)),
        ("snom-snomD785.htm", lambda: snom.render_common(SITE)),
        ("cisco-805ec0aabbcc.xml", lambda: cisco.render_mac_file(PHONE)),
        ("polycom-805ec0aabbcc.cfg", lambda: polycom.render_master(PHONE)),
        ("polycom-phone805ec0aabbcc.cfg", lambda: polycom.render_phone_file(PHONE)),
        ("polycom-edgepbx-polycom.cfg", lambda: polycom.render_common(SITE)),
    ],
)
def test_rendered_files_match_their_golden_files(golden, render):
    assert render() == (GOLDEN / golden).read_bytes()


TLS_PHONE = dataclasses.replace(
    PHONE, site=dataclasses.replace(SITE, transport="tls", port=5061)
)


def test_each_vendor_names_the_tls_transport_in_its_own_setting():
    yealink_values = parse_yealink(yealink.render_mac_file(TLS_PHONE))
    gs_config = ET.fromstring(grandstream.render_mac_file(TLS_PHONE)).find("config")
    snom_hosts = [
        e.text for e in ET.fromstring(snom.render_mac_file(TLS_PHONE)).iter("user_host")
    ]
    poly = ET.fromstring(polycom.render_phone_file(TLS_PHONE)).attrib

    assert yealink_values["account.1.sip_server.1.transport_type"] == "2"
    assert yealink_values["account.1.sip_server.1.port"] == "5061"
    assert gs_config.findtext("P130") == gs_config.findtext("P448") == "2"
    assert gs_config.findtext("P47") == "192.0.2.10:5061"
    assert snom_hosts == ["192.0.2.10:5061;transport=tls"] * 2
    assert poly["reg.1.server.1.transport"] == "TLS"
    assert poly["reg.2.server.1.port"] == "5061"
