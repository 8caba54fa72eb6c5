"""Page groups with real phones: the caller is heard on every member's phone,
which answers by itself, and no member is heard."""

from __future__ import annotations

import pytest

from agent.paging.service import MAX_MEMBERS
from tests.sipphone import Phone

TONES = {"101": 697, "102": 1209, "103": 1633, "104": 941}
CALLER = "101"


def phone(pbx, user, password, **kw) -> Phone:
    return Phone(
        user, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=TONES[user], **kw
    )


def cli_json(pbx, *args: str) -> dict:
    result = pbx.cli(*args, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.json()


@pytest.fixture
def extensions(pbx):
    return {n: pbx.add_extension(n) for n in TONES}


def test_a_page_reaches_three_members_who_hear_the_caller_who_hears_none_of_them(
    pbx, extensions
):
    cli_json(pbx, "paging", "add", "700", "--name", "Shop", "--members", "102,103,104")
    members = ("102", "103", "104")
    with (
        phone(pbx, CALLER, extensions[CALLER]) as caller,
        phone(pbx, "102", extensions["102"], answer_incoming="auto") as b,
        phone(pbx, "103", extensions["103"], answer_incoming="auto") as c,
        phone(pbx, "104", extensions["104"], answer_incoming="auto") as d,
    ):
        for p in (caller, b, c, d):
            assert p.register() == 200
        call = caller.call("700")
        call.wait_confirmed()
        incoming = {}
        for p in (b, c, d):
            incoming[p.user] = p.wait_incoming()
            incoming[p.user].wait_confirmed()
            assert incoming[p.user].auto_answer_headers, f"{p.user}: no header"

        for user in members:
            assert incoming[user].heard_tone(TONES[CALLER], timeout=8), (
                f"{user} does not hear the caller"
            )
        for user in members:
            assert not call.heard_tone(TONES[user], timeout=1), (
                f"the caller hears {user}"
            )

        call.hangup()
        for user in members:
            incoming[user].wait_disconnected(timeout=10)


def test_a_member_on_do_not_disturb_or_busy_is_skipped_and_the_others_hear_it(
    pbx, extensions
):
    cli_json(pbx, "paging", "add", "700", "--name", "Shop", "--members", "102,103,104")
    cli_json(pbx, "extension", "dnd", "103", "on")
    with (
        phone(pbx, CALLER, extensions[CALLER]) as caller,
        phone(pbx, "102", extensions["102"], answer_incoming="auto") as b,
        phone(pbx, "103", extensions["103"], answer_incoming="auto") as c,
        phone(pbx, "104", extensions["104"], answer_incoming="busy") as d,
    ):
        for p in (caller, b, c, d):
            assert p.register() == 200
        call = caller.call("700")
        call.wait_confirmed()
        heard = b.wait_incoming()
        heard.wait_confirmed()
        assert heard.heard_tone(TONES[CALLER], timeout=8)

        d.wait_invites(1)
        [refused] = d.incoming_calls
        refused.wait_disconnected(timeout=10)
        assert c.invites_received == 0
        assert call.state == "confirmed"
        call.hangup()


def test_page_groups_are_listed_changed_and_removed(pbx_data):
    for number in ("101", "102", "103"):
        pbx_data.cli("extension", "add", number, "--name", f"E{number}")
    added = cli_json(
        pbx_data, "paging", "add", "700", "--name", "Shop", "--members", "101,102"
    )
    assert added == {"number": "700", "name": "Shop", "members": ["101", "102"]}
    changed = cli_json(pbx_data, "paging", "set", "700", "--members", "103")
    assert changed["members"] == ["103"] and changed["name"] == "Shop"
    assert cli_json(pbx_data, "paging", "list") == [changed]
    assert cli_json(pbx_data, "paging", "show", "700") == changed
    cli_json(pbx_data, "paging", "remove", "700")
    assert cli_json(pbx_data, "paging", "list") == []


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("700", "--name", "S", "--members", "109"), "--members"),
        (("700", "--name", "S", "--members", "101,101"), "--members"),
        (("101", "--name", "S", "--members", "102"), "number"),
        (("7a", "--name", "S", "--members", "102"), "number"),
        (("700", "--name", " ", "--members", "102"), "--name"),
        (("700", "--name", "Shop\x07", "--members", "102"), "--name"),
    ],
)
def test_bad_page_group_input_is_refused_naming_the_field(pbx_data, args, field):
    for number in ("101", "102", "103", "104"):
        pbx_data.cli("extension", "add", number, "--name", f"E{number}")
    result = pbx_data.cli("paging", "add", *args, "--json")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.json()["error"]["field"] == field
    assert pbx_data.cli("paging", "list", "--json").json() == []


def test_a_group_larger_than_one_worker_can_page_is_refused(pbx_data):
    numbers = [str(200 + i) for i in range(MAX_MEMBERS + 1)]
    rows = "".join(f"{n},E{n},,\n" for n in numbers)
    imported = pbx_data.cli(
        "extension", "import", "-", stdin="number,display_name,email,password\n" + rows
    )
    assert imported.returncode == 0, imported.stderr
    result = pbx_data.cli(
        "paging",
        "add",
        "700",
        "--name",
        "All",
        "--members",
        ",".join(numbers),
        "--json",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.json()["error"]["field"] == "--members"
    assert f"at most {MAX_MEMBERS}" in result.json()["error"]["message"]
    assert pbx_data.cli("paging", "list", "--json").json() == []
