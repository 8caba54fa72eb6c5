"""Trunks and routes refuse what cannot work, naming the field, at save time.

These run the real CLI on a real database, without daemons.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3

import pytest

from agent.sip.dial_patterns import PatternError, compile_pattern


def refused(result, field: str) -> str:
    assert result.returncode == 2, result.stdout
    error = result.json()["error"]
    assert error["field"] == field, error
    return error["message"]


@pytest.fixture
def pbx(pbx_data):
    pbx_data.add_extension("101")
    result = pbx_data.cli(
        "trunk", "add", "acme", "--kind", "peer", "--host", "127.0.0.1", "--json"
    )
    assert result.returncode == 0, result.stderr
    return pbx_data


@pytest.mark.parametrize(
    ("pattern", "number", "dialled"),
    [
        ("NXXNXXXXXX", "2125551234", "2125551234"),
        ("9|1NXXNXXXXXX", "912125551234", "12125551234"),
        ("00[1-5].", "0049301234", "0049301234"),
        ("Z!", "7", "7"),
        ("+44.", "+442071234567", "+442071234567"),
    ],
)
def test_dial_patterns_match_as_pbx_admins_expect(pattern, number, dialled):
    compiled = compile_pattern(pattern)
    assert compiled.match(number)
    assert compiled.dialled(number, 0, "") == dialled


@pytest.mark.parametrize(
    ("pattern", "number"),
    [("NXXXXXX", "1234567"), ("Z.", "0123"), ("[1-5]X", "61"), ("9|NXX", "211")],
)
def test_dial_patterns_refuse_numbers_outside_them(pattern, number):
    assert not compile_pattern(pattern).match(number)


def test_strip_and_prepend_rewrite_the_dialled_number():
    assert compile_pattern("0044.").dialled("00442071234567", 4, "+44") == (
        "+442071234567"
    )


# Arabic-Indic digits, which Python's isdigit() and int() take as 1, 5 and 3.
@pytest.mark.parametrize(
    "pattern",
    ["[]", "[5-1]", "9.5", "1!2", "ABC", "[12", "9||1", "[\u0661-\u0665]", "9[\u0663]"],
)
def test_patterns_that_cannot_match_are_refused(pattern):
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_route_with_an_impossible_pattern_is_refused_naming_the_pattern(pbx):
    result = pbx.cli(
        "route", "add", "bad", "--pattern", "[5-1]XX", "--trunk", "acme", "--json"
    )
    assert "empty" in refused(result, "--pattern")
    assert pbx.cli("route", "list", "--json").json() == []


def test_route_without_a_known_trunk_is_refused(pbx):
    result = pbx.cli(
        "route", "add", "r", "--pattern", "X.", "--trunk", "nope", "--json"
    )
    assert "no such trunk" in refused(result, "--trunk")


def test_route_for_an_unknown_extension_is_refused(pbx):
    result = pbx.cli(
        "route",
        "add",
        "r",
        "--pattern",
        "X.",
        "--trunk",
        "acme",
        "--extension",
        "999",
        "--json",
    )
    refused(result, "--extension")


def test_routes_keep_their_order_and_can_be_moved(pbx):
    for name in ("first", "second", "third"):
        result = pbx.cli("route", "add", name, "--pattern", "X.", "--trunk", "acme")
        assert result.returncode == 0, result.stderr
    moved = pbx.cli("route", "move", "third", "1", "--json").json()
    assert [r["name"] for r in moved] == ["third", "first", "second"]
    assert [r["position"] for r in moved] == [1, 2, 3]


def test_a_trunk_in_use_by_a_route_cannot_be_removed(pbx):
    pbx.cli("route", "add", "r", "--pattern", "X.", "--trunk", "acme")
    result = pbx.cli("trunk", "remove", "acme", "--json")
    assert "used by outbound route r" in refused(result, "trunk")


def test_register_trunk_needs_its_credentials(pbx):
    result = pbx.cli(
        "trunk",
        "add",
        "t2",
        "--kind",
        "register",
        "--host",
        "sip.example.com",
        "--username",
        "u",
        "--json",
    )
    refused(result, "password")
    assert [t["name"] for t in pbx.cli("trunk", "list", "--json").json()] == ["acme"]


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--host", "bad host!", "--host"),
        ("--port", "70000", "--port"),
        ("--port", "\u0665\u0660\u0666\u0660", "--port"),
        ("--transport", "sctp", "--transport"),
        ("--caller-id-header", "x-cid", "--caller-id-header"),
        ("--did-header", "from", "--did-header"),
    ],
)
def test_trunk_fields_are_checked(pbx, option, value, field):
    args = ["trunk", "add", "t2", "--kind", "peer", "--host", "127.0.0.1"]
    if option == "--host":
        args[-1] = value
    else:
        args += [option, value]
    refused(pbx.cli(*args, "--json"), field)


def test_a_did_on_two_inbound_routes_is_refused(pbx):
    pbx.add_extension("102")
    assert pbx.cli("inbound", "add", "+15550100", "--to", "101").returncode == 0
    result = pbx.cli("inbound", "add", "+15550100", "--to", "102", "--json")
    assert "already go to extension:101" in refused(result, "did")
    # The same DID for one particular caller is a different route.
    result = pbx.cli(
        "inbound", "add", "+15550100", "--to", "102", "--caller-id", "5551234"
    )
    assert result.returncode == 0, result.stderr


def test_a_did_on_two_trunks_is_refused(pbx):
    pbx.cli("trunk", "add", "other", "--kind", "peer", "--host", "127.0.0.1")
    assert pbx.cli("trunk", "did", "acme", "15550100", "15550101").returncode == 0
    result = pbx.cli("trunk", "did", "other", "15550101", "--json")
    assert "already on trunk acme" in refused(result, "did")


# -- time conditions: the rules, with a clock the test controls ----------------

OFFICE_HOURS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def at(text: str):
    import datetime as dt

    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-12-07T09:00:00+01:00", True),  # Monday, opening minute
        ("2026-12-07T16:59:00+01:00", True),
        ("2026-12-07T17:00:00+01:00", False),  # closing minute is closed
        ("2026-12-05T11:00:00+01:00", False),  # Saturday
        ("2026-12-24T10:00:00+01:00", False),  # Thursday, but a holiday
        ("2026-12-07T08:30:00+00:00", True),  # 09:30 in Berlin
    ],
)
def test_business_hours_follow_weekday_holidays_and_timezone(moment, expected):
    from agent.sip.schedule import is_open

    holidays = [["2026-12-24", "2026-12-26"]]
    assert is_open(OFFICE_HOURS, holidays, "Europe/Berlin", "auto", at(moment)) is (
        expected
    )


def test_day_and_night_mode_forced_by_hand_win_over_the_clock():
    from agent.sip.schedule import is_open

    saturday = at("2026-12-05T11:00:00+01:00")
    assert is_open(OFFICE_HOURS, [], "Europe/Berlin", "open", saturday)
    monday = at("2026-12-07T10:00:00+01:00")
    assert not is_open(OFFICE_HOURS, [], "Europe/Berlin", "closed", monday)


def test_time_condition_fields_are_checked(pbx):
    base = ["timecondition", "add", "office", "--open", "101", "--closed", "101"]
    refused(pbx.cli(*base, "--timezone", "Mars/Olympus", "--json"), "--timezone")
    refused(pbx.cli(*base, "--timezone", "localtime", "--json"), "--timezone")
    refused(
        pbx.cli(*base, "--timezone", "UTC", "--hours", "mon=17:00-09:00", "--json"),
        "--hours",
    )
    refused(
        pbx.cli(
            *base,
            "--timezone",
            "UTC",
            "--hours",
            "mon=\u0660\u0669:\u0660\u0660-17:00",
            "--json",
        ),
        "--hours",
    )
    refused(
        pbx.cli(
            *base, "--timezone", "UTC", "--holiday", "2026-12-26..2026-12-24", "--json"
        ),
        "--holiday",
    )
    result = pbx.cli(
        "timecondition",
        "add",
        "office",
        "--timezone",
        "UTC",
        "--open",
        "101",
        "--closed",
        "time_condition:office",
        "--json",
    )
    refused(result, "--closed")


def test_ring_group_fields_are_checked(pbx):
    refused(
        pbx.cli("ringgroup", "add", "600", "--name", "S", "--member", "999", "--json"),
        "--member",
    )
    refused(
        pbx.cli("ringgroup", "add", "101", "--name", "S", "--member", "101", "--json"),
        "number",
    )
    refused(
        pbx.cli(
            "ringgroup",
            "add",
            "600",
            "--name",
            "S",
            "--member",
            "101",
            "--strategy",
            "random",
            "--json",
        ),
        "--strategy",
    )
    refused(
        pbx.cli(
            "ringgroup",
            "add",
            "\u0666\u0660\u0660",
            "--name",
            "S",
            "--member",
            "101",
            "--json",
        ),
        "number",
    )
    ok = pbx.cli("ringgroup", "add", "600", "--name", "Sales", "--member", "101")
    assert ok.returncode == 0, ok.stderr
    assert (
        pbx.cli("inbound", "add", "15550100", "--to", "ring_group:600").returncode == 0
    )
    refused(pbx.cli("ringgroup", "remove", "600", "--json"), "number")


def test_a_time_condition_without_a_zone_keeps_the_appliances(pbx_data):
    pbx_data.add_extension("101")
    with contextlib.closing(
        sqlite3.connect(pbx_data.data_dir / "db" / "edgepbx.sqlite")
    ) as db:
        db.execute(
            "INSERT OR REPLACE INTO system_setting (key, value) VALUES (?, ?)",
            ("system.timezone", json.dumps("Asia/Tokyo")),
        )
        db.commit()

    added = pbx_data.cli(
        "timecondition", "add", "office", "--open", "101", "--closed", "101",
        "--json",
    )  # fmt: skip

    assert added.returncode == 0, added.stderr
    assert added.json()["timezone"] == "Asia/Tokyo"
