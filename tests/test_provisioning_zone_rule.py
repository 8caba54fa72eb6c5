"""A zone's rule read from the footer of its TZif file on this machine: read
back byte for byte, and giving, hour by hour, the local time that Python's
``zoneinfo`` gives from the same file's list of transitions."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

import pytest

from agent.provisioning.zone_rule import (
    Change,
    DayOfMonth,
    ZoneRule,
    _tzif,
    for_zone,
)

# Zones whose footer holds the rule of today; Morocco's is for after 2087
# (its Ramadan changes until then are listed one by one in the file).
FOOTER_IS_TODAYS_RULE = [
    zone
    for zone in sorted(zoneinfo.available_timezones())
    if not zone.startswith(("Africa/Casablanca", "Africa/El_Aaiun"))
]
# North and south, half-hour and 45-minute offsets, Ireland's winter
# saving, and the changes outside the day (Israel /26, Chile /24,
# Greenland /-1).
LOCAL_TIME_ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Europe/Dublin",
    "America/St_Johns",
    "Pacific/Chatham",
    "Asia/Jerusalem",
    "America/Santiago",
    "America/Nuuk",
]
YEAR = 2031  # listed in every TZif file, so zoneinfo does not use the footer


def footer(zone: str) -> str:
    data = _tzif(zone)
    return data[data.rindex(b"\n", 0, len(data) - 1) + 1 : -1].decode()


def test_every_zone_of_the_database_reads_back_as_its_footer():
    differ = [
        zone
        for zone in zoneinfo.available_timezones()
        if for_zone(zone).text() != footer(zone)
    ]

    assert len(zoneinfo.available_timezones()) > 300
    assert differ == []


def change_in_utc(year: int, change: Change, offset_before: int) -> dt.datetime:
    """POSIX's Mm.w.d/time: week 5 is the month's last such weekday, and the
    time is the local time in force until the change."""
    first_weekday = dt.date(year, change.month, 1).isoweekday() % 7  # 0 Sunday
    day = 1 + (change.weekday - first_weekday) % 7 + 7 * (change.week - 1)
    while day > calendar.monthrange(year, change.month)[1]:
        day -= 7
    local = dt.datetime(year, change.month, day) + dt.timedelta(seconds=change.at)
    return local - dt.timedelta(seconds=offset_before)


def offset_at(rule: ZoneRule, utc: dt.datetime) -> int:
    if rule.start is None or rule.end is None or rule.daylight_offset is None:
        return rule.standard_offset
    start = change_in_utc(utc.year, rule.start, rule.standard_offset)
    end = change_in_utc(utc.year, rule.end, rule.daylight_offset)
    if start < end:
        return rule.daylight_offset if start <= utc < end else rule.standard_offset
    # The southern hemisphere: saving runs over the new year.
    return rule.standard_offset if end <= utc < start else rule.daylight_offset


@pytest.mark.parametrize("zone", LOCAL_TIME_ZONES)
def test_the_rule_gives_the_zones_local_time_every_hour_of_a_year(zone):
    rule = for_zone(zone).with_forward_saving()
    tz = zoneinfo.ZoneInfo(zone)
    hour = dt.datetime(YEAR, 1, 1)
    wrong = []
    while hour.year == YEAR:
        expected = hour.replace(tzinfo=dt.UTC).astimezone(tz).utcoffset()
        if offset_at(rule, hour) != expected.total_seconds():
            wrong.append(hour)
        hour += dt.timedelta(hours=1)

    assert rule.saving >= 0
    assert wrong == []


def test_all_zones_with_todays_rule_agree_with_zoneinfo_at_noon_each_month():
    wrong = []
    for zone in FOOTER_IS_TODAYS_RULE:
        rule = for_zone(zone)
        tz = zoneinfo.ZoneInfo(zone)
        for month in range(1, 13):
            noon = dt.datetime(YEAR, month, 15, 12)
            expected = noon.replace(tzinfo=dt.UTC).astimezone(tz).utcoffset()
            if offset_at(rule, noon) != expected.total_seconds():
                wrong.append((zone, month))

    assert wrong == []


def test_irelands_winter_saving_is_told_as_a_summer_one():
    rule = for_zone("Europe/Dublin")

    assert footer("Europe/Dublin") == "IST-1GMT0,M10.5.0,M3.5.0/1"
    assert rule.saving == -3600
    assert rule.with_forward_saving().text() == "GMT0IST,M3.5.0/1,M10.5.0"


@pytest.mark.parametrize(
    ("zone", "quoted", "plain"),
    [
        ("America/Sao_Paulo", "<-03>3", "STD3"),
        (
            "America/Nuuk",
            "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
            "STD2DST,M3.5.0/-1,M10.5.0/0",
        ),
        ("Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ],
)
def test_plain_names_replace_only_the_quoted_ones(zone, quoted, plain):
    rule = for_zone(zone)

    assert rule.text() == quoted
    assert rule.text(plain_names=True) == plain
    assert ZoneRule.parse(plain).standard_offset == rule.standard_offset


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("EST", "not a POSIX TZ string"),
        ("CET-1CEST", "not a POSIX TZ string"),  # daylight name without changes
        ("CET-1CEST,J60,J300", "not a POSIX TZ string"),
        ("CET-1CEST,M13.5.0,M10.5.0", "M13.5.0 is no day of a month"),
        ("XYZ25", "25 is out of range"),
        ("CET-1CEST,M3.5.0/168,M10.5.0", "168 is out of range"),
    ],
)
def test_a_string_that_is_no_rule_is_refused_with_the_reason(text, says):
    with pytest.raises(ValueError, match=says) as refused:
        ZoneRule.parse(text)

    assert repr(text) in str(refused.value)


def test_a_name_that_is_no_zone_is_refused_without_reading_a_file():
    with pytest.raises(ValueError, match="no such zone"):
        for_zone("../../etc/passwd")
    with pytest.raises(ValueError, match="no such zone"):
        for_zone("Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("zone", "start", "end"),
    [
        # The last Sunday; the end at 03:00 in the summer time before it.
        ("Europe/Berlin", DayOfMonth(3, None, 0, 7200), DayOfMonth(10, None, 0, 10800)),
        ("America/New_York", DayOfMonth(3, 8, 0, 7200), DayOfMonth(11, 1, 0, 7200)),
        ("Australia/Sydney", DayOfMonth(10, 1, 0, 7200), DayOfMonth(4, 1, 0, 10800)),
        # M3.4.4/26: the Friday after the fourth Thursday, at 02:00.
        ("Asia/Jerusalem", DayOfMonth(3, 23, 5, 7200), DayOfMonth(10, None, 0, 7200)),
        # M9.1.6/24: the Sunday after the first Saturday, at midnight.
        ("America/Santiago", DayOfMonth(9, 2, 0, 0), DayOfMonth(4, 2, 0, 0)),
        # The day before the last Sunday (the Saturday on or after the 24th,
        # 23:00); the day after the last Thursday, which has no such form.
        ("America/Nuuk", DayOfMonth(3, 24, 6, 82800), DayOfMonth(10, None, 0, 0)),
        ("Africa/Cairo", DayOfMonth(4, None, 5, 0), None),
    ],
)
def test_changes_as_a_weekday_on_or_after_a_day_of_the_month(zone, start, end):
    rule = for_zone(zone).with_forward_saving()

    assert DayOfMonth.of(rule.start) == start
    assert DayOfMonth.of(rule.end) == end


def test_a_zone_without_saving_has_no_changes():
    rule = for_zone("Asia/Tokyo")

    assert rule.text() == "JST-9"
    assert not rule.has_daylight_saving
