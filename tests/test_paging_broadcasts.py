"""Scheduled page broadcasts: a prompt played to a page group's phones,
which answer by themselves, at the time of the appliance's zone or now."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import subprocess
import time
import zoneinfo

from agent import setup, system_settings
from agent.accounts.roles import CONSOLE
from agent.db import open_database
from agent.db.migrations import migrate
from agent.db.models import PageBroadcast, PageGroup
from agent.paging.broadcasts import BroadcastJob, next_run, run_due, spool_dir
from agent.settings import Settings
from tests.sipphone import Phone

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# The broadcast's prompt: a steady tone no phone sends.
CHIME_HZ = 1000
TONES = {"101": 697, "102": 1209, "103": 1633}


def berlin(*fields: int) -> float:
    return dt.datetime(*fields, tzinfo=BERLIN).timestamp()


def utc(*fields: int) -> float:
    return dt.datetime(*fields, tzinfo=dt.UTC).timestamp()


def test_the_next_run_keeps_the_wall_clock_across_the_change_of_summer_time():
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    # Summer time starts on Sunday 29 March 2026: 09:00 is 07:00 UTC, no
    # longer 08:00 as the day before.
    saturday_noon = berlin(2026, 3, 28, 12, 0)
    assert next_run(every_day, "09:00", None, saturday_noon, BERLIN) == utc(
        2026, 3, 29, 7, 0
    )
    # It ends on Sunday 25 October: a Monday broadcast after a Friday is at
    # 09:00 winter time, 08:00 UTC.
    friday = berlin(2026, 10, 23, 10, 0)
    assert next_run(["mon"], "09:00", None, friday, BERLIN) == utc(2026, 10, 26, 8, 0)
    # The same minute is not due again; a single date is due once.
    monday = utc(2026, 10, 26, 8, 0)
    assert next_run(["mon"], "09:00", None, monday, BERLIN) == utc(2026, 11, 2, 8, 0)
    once = "2026-12-24"
    assert next_run([], "17:30", once, friday, BERLIN) == utc(2026, 12, 24, 16, 30)
    assert next_run([], "17:30", once, utc(2026, 12, 25, 0, 0), BERLIN) is None


def test_a_due_broadcast_is_spooled_once_and_its_next_run_moves_on(tmp_path):
    db = open_database(tmp_path / "edgepbx.sqlite")
    migrate(db)
    system_settings.put(setup.TIMEZONE, "Europe/Berlin")
    settings = Settings(
        data_dir=tmp_path, bind="127.0.0.1", sip_port=5060, http_port=8080,
        https_port=8443, tftp_port=6969,
    )  # fmt: skip
    PageGroup.create(number="700", name="Shop", members="101")
    PageBroadcast.create(
        name="opening", page_group="700", prompt="system:beep", weekdays="sat",
        time_of_day="09:00", next_run_at=berlin(2026, 3, 28, 9, 0),
    )  # fmt: skip
    now = berlin(2026, 3, 28, 9, 0, 3)

    assert run_due(settings, now) == 1
    assert run_due(settings, now + 5) == 0
    [job_file] = spool_dir(settings).glob("*.json")
    job = BroadcastJob.parse(job_file.read_text())
    assert (job.name, job.page_group, job.members) == ("opening", "700", ["101"])
    assert job.prompt.endswith("beep.wav")
    row = PageBroadcast.get(PageBroadcast.name == "opening")
    # A week later, on the far side of the change to summer time.
    assert row.next_run_at == utc(2026, 4, 4, 7, 0)
    assert row.last_run_at == now
    db.close()


def test_a_new_time_zone_moves_every_broadcast_to_its_own_clock(tmp_path):
    db = open_database(tmp_path / "edgepbx.sqlite")
    migrate(db)
    system_settings.put(setup.TIMEZONE, "UTC")
    PageGroup.create(number="700", name="Shop", members="101")
    PageBroadcast.create(
        name="opening", page_group="700", prompt="system:beep", weekdays="mon",
        time_of_day="08:00", next_run_at=utc(2026, 12, 7, 8, 0),
    )  # fmt: skip

    setup.set_timezone(CONSOLE, "America/New_York")

    row = PageBroadcast.get(PageBroadcast.name == "opening")
    # 08:00 in New York, not 08:00 UTC (03:00 there).
    next_local = dt.datetime.fromtimestamp(
        row.next_run_at, zoneinfo.ZoneInfo("America/New_York")
    )
    assert (next_local.weekday(), next_local.hour, next_local.minute) == (0, 8, 0)
    db.close()


def cli_json(pbx, *args: str):
    result = pbx.cli(*args, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.json()


def upload_chime(pbx, tmp_path) -> None:
    path = tmp_path / "chime.wav"
    tone = ["synth", "3", "sine", str(CHIME_HZ), "vol", "0.5"]
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), *tone],
        check=True,
    )
    result = pbx.cli("prompt", "upload", "chime", str(path))
    assert result.returncode == 0, result.stderr


def room_members_by_worker(pbx) -> dict[int, int]:
    """Per media worker's port, the people in its conference rooms, as the
    workers publish them (agent/conference/occupancy.py)."""
    members = {}
    for port in pbx.media_ports:
        path = pbx.data_dir / "run" / f"conference-{port}.json"
        with contextlib.suppress(OSError, ValueError):
            members[port] = sum(json.loads(path.read_text())["rooms"].values())
    return members


def fill_a_room_on_every_worker(pbx, phone: Phone) -> list:
    """Call conference rooms from phone, one more each time, until every
    media worker holds one (each room meets on the worker its number picks)."""
    calls = []
    for room in range(800, 804):
        cli_json(pbx, "conference", "set", str(room), "--name", f"Room {room}")
        calls.append(phone.call(str(room)))
        deadline = time.monotonic() + 15
        while sum(room_members_by_worker(pbx).values()) < len(calls):
            assert time.monotonic() < deadline, f"nobody joined room {room}"
            time.sleep(0.2)
        held = room_members_by_worker(pbx)
        if all(held.get(port) for port in pbx.media_ports):
            return calls
    raise AssertionError("rooms 800-803 all met on one media worker")


def test_a_broadcast_run_now_is_heard_on_the_members_phones_then_hung_up(pbx, tmp_path):
    passwords = {n: pbx.add_extension(n) for n in TONES}
    passwords["104"] = pbx.add_extension("104")
    upload_chime(pbx, tmp_path)
    cli_json(pbx, "paging", "add", "700", "--name", "Shop", "--members", "102,103")
    cli_json(pbx, "paging", "add", "701", "--name", "Back", "--members", "101")
    saved = cli_json(
        pbx, "paging", "broadcast", "set", "closing", "--page-group", "700",
        "--prompt", "upload:chime", "--weekdays", "mon,fri", "--time", "17:55",
    )  # fmt: skip
    assert saved["weekdays"] == ["mon", "fri"] and "T17:55" in saved["next_run"]

    with (
        Phone(
            "102", passwords["102"], server="127.0.0.1", port=pbx.sip_port,
            tone_hz=TONES["102"], answer_incoming="auto",
        ) as b,
        Phone(
            "103", passwords["103"], server="127.0.0.1", port=pbx.sip_port,
            tone_hz=TONES["103"], answer_incoming="auto",
        ) as c,
        Phone("104", passwords["104"], server="127.0.0.1", port=pbx.sip_port) as d,
    ):  # fmt: skip
        for p in (b, c, d):
            assert p.register() == 200
        # Every worker holds a conference room and has lines free: the
        # broadcast is still placed.
        fill_a_room_on_every_worker(pbx, d)
        cli_json(pbx, "paging", "broadcast", "run", "closing")
        calls = {}
        for p in (b, c):
            calls[p.user] = p.wait_incoming(timeout=25)
            calls[p.user].wait_confirmed()
            assert calls[p.user].auto_answer_headers, f"{p.user}: no auto-answer"
        for user, call in calls.items():
            assert call.heard_tone(CHIME_HZ, timeout=8), f"{user} hears no chime"
        for call in calls.values():
            call.wait_disconnected(timeout=10)
    shown = cli_json(pbx, "paging", "broadcast", "show", "closing")
    assert shown["last_run"], shown

    # Extension 101 has no phone: the broadcast reaches nobody, an event.
    cli_json(
        pbx, "paging", "broadcast", "set", "back", "--page-group", "701",
        "--prompt", "system:beep", "--date", "2099-01-01", "--time", "08:00",
    )  # fmt: skip
    cli_json(pbx, "paging", "broadcast", "run", "back")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        events = cli_json(pbx, "event", "list", "--type", "page-broadcast-failed")
        rows = events["items"]
        if rows:
            break
        time.sleep(0.5)
    assert rows and "back" in rows[0]["summary"], rows


def test_bad_broadcast_input_is_refused_naming_the_field(pbx_data):
    pbx_data.cli("extension", "add", "101", "--name", "A")
    cli_json(pbx_data, "paging", "add", "700", "--name", "Shop", "--members", "101")
    beep = ("--prompt", "system:beep")
    weekly = ("--weekdays", "mon", "--time", "08:00")
    refused = {
        "--page-group": ("--page-group", "799", *beep, *weekly),
        "--time": ("--page-group", "700", *beep, "--weekdays", "mon",
                   "--time", "8am"),
        "--weekdays": ("--page-group", "700", *beep, "--time", "08:00"),
        "--date": ("--page-group", "700", *beep, "--date", "2020-01-01",
                   "--time", "08:00"),
        "--prompt": ("--page-group", "700", "--prompt", "upload:nothing", *weekly),
    }  # fmt: skip
    for option, args in refused.items():
        result = pbx_data.cli("paging", "broadcast", "set", "b", *args, "--json")
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.json()["error"]["field"] == option
        assert result.json()["error"]["message"].startswith(option)
    twice = pbx_data.cli(
        "paging", "broadcast", "set", "b", "--page-group", "700", *beep,
        "--weekdays", "mon,fri,mon", "--time", "08:00",
    )  # fmt: skip
    assert twice.returncode == 2 and '--weekdays "mon": listed twice' in twice.stderr
    assert cli_json(pbx_data, "paging", "broadcast", "list") == []

    # Run now says once that the broadcast went to the media service.
    cli_json(pbx_data, "paging", "broadcast", "set", "b", "--page-group", "700",
             *beep, *weekly)  # fmt: skip
    ran = pbx_data.cli("paging", "broadcast", "run", "b")
    assert ran.returncode == 0, ran.stderr
    said = ran.stdout + ran.stderr
    assert said.count("sent to the media service") == 1, said
    assert "page group 700" in said
