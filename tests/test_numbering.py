"""One internal number space: an extension, a ring group, an IVR menu, a
conference room and a page group never share a number, and none of them
takes an emergency number, which must leave by a trunk.

These run the real CLI on a real database, without daemons.
"""

from __future__ import annotations

import pytest

# One command per kind of internal number, each adding it on a number.
ADD = {
    "extension": lambda n: ("extension", "add", n, "--name", "X"),
    "ring group": lambda n: ("ringgroup", "add", n, "--name", "G", "--member", "101"),
    "IVR menu": lambda n: ("ivr", "set", n, "--name", "M", "--prompt", "dir-welcome"),
    "conference room": lambda n: ("conference", "set", n, "--name", "R"),
    "page group": lambda n: ("paging", "add", n, "--name", "P", "--members", "101"),
}
#: The field each command names when it refuses a number.
FIELD = {
    "extension": "extension",
    "ring group": "number",
    "IVR menu": "number",
    "conference room": "number",
    "page group": "number",
}
ARTICLE = {
    "extension": "an extension",
    "ring group": "a ring group",
    "IVR menu": "an IVR menu",
    "conference room": "a conference room",
    "page group": "a page group",
}


def refused(result, field: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    error = result.json()["error"]
    assert error["field"] == field, error
    return error["message"]


@pytest.fixture
def office(pbx_data):
    pbx_data.add_extension("101")
    return pbx_data


@pytest.mark.parametrize("kind", list(ADD))
def test_no_internal_number_may_be_an_emergency_number(office, kind):
    message = refused(office.cli(*ADD[kind]("112"), "--json"), FIELD[kind])

    assert "emergency number" in message
    assert "emergency_numbers" in message
    assert "112" not in office.cli("extension", "list", "--json").stdout
    assert "112" not in office.cli("ringgroup", "list", "--json").stdout
    assert office.cli("ivr", "list", "--json").json() == []
    assert office.cli("conference", "list", "--json").json() == []
    assert office.cli("paging", "list", "--json").json() == []


def test_a_number_set_as_emergency_number_is_refused_for_an_extension(office):
    changed = office.cli("event", "options", "--emergency-numbers", "112 999")
    assert changed.returncode == 0, changed.stderr

    message = refused(office.cli(*ADD["extension"]("999"), "--json"), "extension")

    assert "emergency number" in message


def test_an_internal_number_may_not_become_an_emergency_number(office):
    office.cli(*ADD["ring group"]("650"))

    for number in ("101", "650"):
        message = refused(
            office.cli(
                "event", "options", "--emergency-numbers", f"112 911 {number}", "--json"
            ),
            "--emergency-numbers",
        )
        assert number in message and "already" in message
    options = office.cli("event", "options", "--json").json()
    assert options["emergency_numbers"] == ["112", "911"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (first, second)
        for first in ADD
        for second in ADD
        if first != second and "ring group" in (first, second)
    ],
)
def test_a_ring_group_shares_its_number_with_nothing_else(office, first, second):
    made = office.cli(*ADD[first]("650"), "--json")
    assert made.returncode == 0, made.stderr

    message = refused(office.cli(*ADD[second]("650"), "--json"), FIELD[second])

    assert f"already {ARTICLE[first]}'s number" in message
