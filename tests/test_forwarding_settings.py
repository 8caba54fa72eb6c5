"""Forwarding and do-not-disturb settings refuse what cannot work, naming the
field, and change nothing then. The real CLI on a real database, no daemons.
"""

from __future__ import annotations

import contextlib
import sqlite3

import pytest

from agent.backup.service import CONFIG_DB

NOTHING_SET = {
    "extension": "101",
    "dnd": False,
    "forward_always": "",
    "forward_busy": "",
    "forward_no_answer": "",
    "no_answer_s": 20,
    "forward_unreachable": "",
    "call_waiting": True,
    "notes": [],
}


@pytest.fixture
def pbx(pbx_data):
    for number in ("101", "102", "103"):
        pbx_data.add_extension(number)
    return pbx_data


def shown(pbx, number: str = "101") -> dict:
    result = pbx.cli("extension", "features", number, "--json")
    assert result.returncode == 0, result.stderr
    return result.json()


def refused(result, field: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    error = result.json()["error"]
    assert error["field"] == field, error
    return error["message"]


def test_forwards_and_dnd_are_set_shown_and_cleared(pbx):
    assert shown(pbx) == NOTHING_SET
    result = pbx.cli(
        "extension",
        "forward",
        "101",
        "--busy",
        "102",
        "--no-answer",
        "103",
        "--no-answer-seconds",
        "30",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert pbx.cli("extension", "dnd", "101", "on").returncode == 0
    assert shown(pbx) == NOTHING_SET | {
        "dnd": True,
        "forward_busy": "102",
        "forward_no_answer": "103",
        "no_answer_s": 30,
    }
    text = pbx.cli("extension", "features", "101").stdout
    assert "do not disturb on" in text
    assert "103 after 30 s" in text

    result = pbx.cli("extension", "forward", "101", "--clear", "busy", "no-answer")
    assert result.returncode == 0, result.stderr
    assert shown(pbx)["forward_busy"] == shown(pbx)["forward_no_answer"] == ""

    with contextlib.closing(sqlite3.connect(pbx.data_dir / CONFIG_DB)) as con:
        audited = con.execute(
            "SELECT actor, action, object_id FROM audit_log"
            " WHERE object_type = 'extension-features'"
        ).fetchall()
    assert audited == [("console", "change", "101")] * 3


@pytest.mark.parametrize(
    ("args", "field", "rule"),
    [
        (("--always", "sales"), "--always", "an extension number or"),
        (
            ("--busy", "5551234"),
            "--busy",
            "neither an extension, an IVR menu or a conference room, nor",
        ),
        (("--unreachable", "101"), "--unreachable", "to itself"),
        (("--no-answer-seconds", "2"), "--no-answer-seconds", "5 to 120"),
        (("--no-answer-seconds", "121"), "--no-answer-seconds", "5 to 120"),
        (("--no-answer-seconds", "soon"), "--no-answer-seconds", "5 to 120"),
    ],
    ids=["not-a-number", "no-route-dials-it", "itself", "short", "long", "words"],
)
def test_a_bad_forward_is_refused_naming_the_field_and_nothing_changes(
    pbx, args, field, rule
):
    result = pbx.cli(
        "extension", "forward", "101", "--no-answer", "102", *args, "--json"
    )
    assert rule in refused(result, field)
    assert shown(pbx) == NOTHING_SET


def test_a_forward_always_loop_is_refused_when_saved(pbx):
    assert pbx.cli("extension", "forward", "102", "--always", "103").returncode == 0
    assert pbx.cli("extension", "forward", "103", "--always", "101").returncode == 0
    result = pbx.cli("extension", "forward", "101", "--always", "102", "--json")
    assert "101 -> 102 -> 103 -> 101" in refused(result, "--always")
    assert shown(pbx)["forward_always"] == ""


def test_an_outside_number_is_accepted_once_a_route_lets_the_extension_dial_it(pbx):
    result = pbx.cli("extension", "forward", "101", "--busy", "5551234", "--json")
    refused(result, "--busy")
    trunk = pbx.cli("trunk", "add", "acme", "--kind", "peer", "--host", "127.0.0.1")
    assert trunk.returncode == 0, trunk.stderr
    route = pbx.cli("route", "add", "local", "--pattern", "NXXXXXX", "--trunk", "acme")
    assert route.returncode == 0, route.stderr
    result = pbx.cli("extension", "forward", "101", "--busy", "+5551234", "--json")
    refused(result, "--busy")  # the route's pattern takes no "+"
    result = pbx.cli("extension", "forward", "101", "--busy", "5551234", "--json")
    assert result.returncode == 0, result.stderr
    assert shown(pbx)["forward_busy"] == "5551234"


def test_an_extension_a_forward_points_at_is_not_removed(pbx):
    assert pbx.cli("extension", "forward", "101", "--busy", "102").returncode == 0
    result = pbx.cli("extension", "remove", "102", "--json")
    assert result.returncode != 0
    assert "forwarding of extension 101" in result.stdout + result.stderr
    # Removing the forwarding extension takes its settings with it.
    assert pbx.cli("extension", "remove", "101").returncode == 0
    assert pbx.cli("extension", "remove", "102").returncode == 0


def test_do_not_disturb_with_forward_always_is_said_to_win(pbx):
    assert pbx.cli("extension", "forward", "101", "--always", "102").returncode == 0
    assert shown(pbx)["notes"] == []
    text = pbx.cli("extension", "dnd", "101", "on").stdout
    [note] = shown(pbx)["notes"]
    assert "not forwarded to 102" in note and "do-not-disturb comes before" in note
    assert f"note: {note}" in text


def test_an_unknown_extension_has_no_features(pbx):
    result = pbx.cli("extension", "dnd", "555", "on", "--json")
    refused(result, "extension")
