"""The portal's call log with real phones: each user sees the calls of
their own extension, made and received, and nobody else's."""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo

from tests.sipphone import Phone
from tests.test_trunks import call_records, wait_call_record
from tests.webclient import portal_user, signed_in


def phone(pbx, user, password, **kw) -> Phone:
    return Phone(user, password, server="127.0.0.1", port=pbx.sip_port, **kw)


def rows(body: str) -> list[list[str]]:
    """The call log's table as text, row by row."""
    table = re.search(r'<table class="list" id="calls">(.*?)</table>', body, re.S)
    assert table, "no call log shown"
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td>(.*?)</td>", tr, re.S)
        ]
        for tr in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
        if "<td>" in tr
    ]


def test_each_user_sees_the_calls_of_their_own_extension(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102", "103")}
    with (
        phone(pbx, "101", passwords["101"]) as alice,
        phone(pbx, "102", passwords["102"], answer_incoming="busy") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        assert alice.call("102").wait_disconnected() == 486
        wait_call_record(pbx, "busy")
        bob.answer_incoming = "answer"
        call = bob.call("101")
        call.wait_confirmed()
        time.sleep(1.1)
        call.hangup()
        alice.calls[-1].wait_disconnected()
        wait_call_record(pbx, "answered")
    admin = signed_in(pbx)
    alice_log = portal_user(pbx, admin, "101").get("/portal/calls")
    carol = portal_user(pbx, admin, "103")
    carol_log = carol.get("/portal/calls")
    bad_day = carol.get("/portal/calls?since=yesterday")

    assert len(call_records(pbx)) == 2
    [received, made] = rows(alice_log.body)
    assert received[1:4] == ["received", "102", "answered"]
    assert received[4] in {"0:01", "0:02"}
    assert made[1:4] == ["made", "102", "busy"]
    assert 'id="no-calls"' in carol_log.body and "102" not in carol_log.body
    assert bad_day.status == 422 and 'id="since-error"' in bad_day.body


def test_the_call_log_shows_times_in_the_appliance_s_time_zone(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("121", "122")}
    with (
        phone(pbx, "121", passwords["121"]) as alice,
        phone(pbx, "122", passwords["122"], answer_incoming="busy") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        assert alice.call("122").wait_disconnected() == 486
    record = wait_call_record(pbx, "busy")
    admin = signed_in(pbx)
    # UTC+14: the clock there reads a later hour, and mostly a later day.
    admin.post_form("/setup/timezone", {"timezone": "Pacific/Kiritimati"})
    alice_user = portal_user(pbx, admin, "121")
    log = alice_user.get("/portal/calls")
    started = dt.datetime.fromisoformat(record["start"])
    there = started.astimezone(zoneinfo.ZoneInfo("Pacific/Kiritimati"))
    next_day = (there.date() + dt.timedelta(days=1)).isoformat()
    later = alice_user.get(f"/portal/calls?since={next_day}")

    assert "When (Pacific/Kiritimati)" in log.body
    [made] = rows(log.body)
    assert made[0] == there.strftime("%Y-%m-%d %H:%M:%S")
    # The day typed is a day of that zone too: the call is on the day shown.
    shown_day = alice_user.get(
        f"/portal/calls?since={there.date()}&until={there.date()}"
    )
    assert len(rows(shown_day.body)) == 1
    assert 'id="no-calls"' in later.body


def test_a_new_user_of_a_number_sees_none_of_the_old_user_s_calls(pbx):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    with (
        phone(pbx, "101", passwords["101"]) as alice,
        phone(pbx, "102", passwords["102"], answer_incoming="busy") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        assert alice.call("102").wait_disconnected() == 486
        wait_call_record(pbx, "busy")
    assert pbx.cli("extension", "remove", "102").returncode == 0
    time.sleep(1.1)  # the extension's creation time counts whole seconds
    pbx.add_extension("102", "New starter")
    admin = signed_in(pbx)

    newcomer = portal_user(pbx, admin, "102").get("/portal/calls")
    alice_log = portal_user(pbx, admin, "101").get("/portal/calls")
    everything = admin.get("/calls")

    assert 'id="no-calls"' in newcomer.body and "101" not in rows_text(newcomer)
    assert [row[1:4] for row in rows(alice_log.body)] == [["made", "102", "busy"]]
    assert "<td>101</td><td>102</td>" in everything.body


def rows_text(page) -> str:
    table = re.search(r'<table class="list" id="calls">(.*?)</table>', page.body, re.S)
    return table.group(1) if table else ""
