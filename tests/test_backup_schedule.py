"""Scheduled backups: made by the running agent at the set hour, the newest
kept, downloadable from the API and the System page.

A real appliance (agent, database, gunicorn); the schedule set through the
CLI, the API and the page as an administrator would.
"""

from __future__ import annotations

import datetime as dt
import gzip
import html
import io
import re
import tarfile
import threading
import time
from zoneinfo import ZoneInfo

import pytest

from agent.accounts.roles import SYSTEM
from agent.backup.schedule import (
    HOUR_RULE,
    KEEP_RULE,
    WEEKDAY_ONLY_WEEKLY,
    WEEKDAY_RULE,
    BackupSchedule,
    ScheduledBackups,
)
from agent.setup import DEFAULT_TIMEZONE
from tests.test_accounts import settings_in
from tests.webclient import api_client, signed_in

GZIP_MAGIC = b"\x1f\x8b"
# The agent looks every 30 s whether a backup is due; a backup of a small
# appliance takes a second or two.
AGENT_MAKES_IT_S = 60.0
PASSPHRASE = "correct horse battery"


def refused(result, field: str) -> str:
    assert result.returncode == 2, result.stdout
    error = result.json()["error"]
    assert error["field"] == field, error
    return error["message"]


@pytest.mark.parametrize(
    ("schedule", "now", "due"),
    [
        # Daily at 03:00: before three, yesterday's; after, today's.
        (BackupSchedule("daily", 3), "2026-12-09 02:59", "2026-12-08 03:00"),
        (BackupSchedule("daily", 3), "2026-12-09 03:00", "2026-12-09 03:00"),
        # Weekly on Sunday (2026-12-06 is one) at 03:00.
        (BackupSchedule("weekly", 3, "sunday"), "2026-12-09 12:00", "2026-12-06 03:00"),
        (BackupSchedule("weekly", 3, "sunday"), "2026-12-06 02:00", "2026-11-29 03:00"),
        (BackupSchedule("off", 3), "2026-12-09 12:00", None),
    ],
)
def test_the_latest_scheduled_moment_is_the_one_a_backup_is_due_for(schedule, now, due):
    zone = dt.timezone(dt.timedelta(hours=1))
    at = dt.datetime.fromisoformat(now).replace(tzinfo=zone)
    expected = None if due is None else dt.datetime.fromisoformat(due)
    found = schedule.last_due(at)
    assert (found and found.replace(tzinfo=None)) == expected


def test_a_backup_pruned_while_the_list_is_read_is_left_out_not_an_error(tmp_path):
    # The agent prunes old backups on its own thread while someone lists them
    # from the CLI, the API or the System page: a file gone between the look
    # at the folder and the look at its size is simply not listed.
    settings = settings_in(tmp_path)
    folder = settings.data_dir / "backups"
    folder.mkdir(parents=True)
    kept = folder / "scheduled-20200101T030000Z.backup"
    kept.write_bytes(b"kept")
    churned = [
        folder / f"scheduled-202001{day:02}T030000Z.backup" for day in range(2, 30)
    ]
    backups = ScheduledBackups(settings, key=None, actor=SYSTEM)  # type: ignore[arg-type]
    stop = threading.Event()

    def prune_and_make() -> None:
        while not stop.is_set():
            for path in churned:
                path.write_bytes(b"new")
            for path in churned:
                path.unlink()

    pruner = threading.Thread(target=prune_and_make, daemon=True)
    pruner.start()
    try:
        deadline = time.monotonic() + 2.0
        looks = 0
        while time.monotonic() < deadline and looks < 20_000:
            listed = backups.stored()
            assert listed[-1].name == kept.name and listed[-1].size == 4
            looks += 1
    finally:
        stop.set()
        pruner.join(timeout=5)


def test_turning_a_schedule_on_says_the_missed_backup_comes_when_the_agent_starts(
    pbx_data,
):
    # Hour 0 has always passed today and no backup was made: one is due.
    daily = pbx_data.cli("backup", "schedule", "--frequency", "daily", "--hour", "0")
    assert daily.returncode == 0, daily.stderr
    assert "the agent is not running: it makes it when it starts" in daily.stdout
    assert "at once" not in daily.stdout
    shown = pbx_data.cli("backup", "schedule", "--json").json()
    assert shown["weekday"] is None
    due = dt.datetime.fromisoformat(shown["missing_due_at"])
    assert due.utcoffset() == dt.timedelta(0)
    assert due.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).hour == 0

    weekly = pbx_data.cli(
        "backup", "schedule", "--frequency", "weekly", "--weekday", "friday", "--json"
    )
    assert weekly.returncode == 0, weekly.stderr
    assert weekly.json()["weekday"] == "friday"
    off = pbx_data.cli("backup", "schedule", "--frequency", "off")
    assert off.stdout.strip() == "scheduled backups: off"
    shown = pbx_data.cli("backup", "schedule", "--json").json()
    assert shown["weekday"] is None and shown["missing_due_at"] is None


@pytest.mark.parametrize(
    ("args", "field", "rule"),
    [
        (["--hour", "24"], "--hour", "0 to 23"),
        (["--keep", "0"], "--keep", "1 to 100"),
        (["--keep", "101"], "--keep", "1 to 100"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field_and_changes_nothing(
    pbx_data, args, field, rule
):
    set_up = pbx_data.cli("backup", "schedule", "--frequency", "daily", "--hour", "2")
    assert set_up.returncode == 0, set_up.stderr

    result = pbx_data.cli(
        "backup", "schedule", "--frequency", "weekly", *args, "--json"
    )

    assert rule in refused(result, field)
    shown = pbx_data.cli("backup", "schedule", "--json").json()
    assert (shown["frequency"], shown["hour"]) == ("daily", 2)


def test_an_hour_in_other_digits_than_0_to_9_is_refused_by_the_cli_and_the_page(
    pbx,
):
    # "\u0663" is three in Arabic-Indic digits: Python's int() reads it as 3.
    set_up = pbx.cli("backup", "schedule", "--frequency", "daily", "--hour", "2")
    assert set_up.returncode == 0, set_up.stderr
    web = signed_in(pbx, "super-administrator")
    form = {"frequency": "daily", "weekday": "", "hour": "\u0663", "keep": "5"}

    by_cli = pbx.cli("backup", "schedule", "--hour", "\u0663")
    by_page = web.post_form("/system/backup-schedule", form, csrf_from="/system")
    kept_by_page = web.post_form(
        "/system/backup-schedule",
        form | {"hour": "4", "keep": "\u0665"},
        csrf_from="/system",
    )
    shown = pbx.cli("backup", "schedule", "--json").json()

    assert by_cli.returncode == 2
    assert by_cli.stderr.endswith(f'edgepbx: --hour "\u0663": {HOUR_RULE}\n')
    assert by_page.status == kept_by_page.status == 422
    assert field_error(by_page, "hour") == f'hour "\u0663": {HOUR_RULE}'
    assert field_error(kept_by_page, "keep") == f'keep "\u0665": {KEEP_RULE}'
    assert (shown["hour"], shown["keep"]) == (2, 7)


@pytest.mark.parametrize("hour", ["-1", "24", "x"])
def test_an_hour_outside_0_to_23_is_refused_in_one_wording_however_typed(
    pbx_data, hour
):
    result = pbx_data.cli("backup", "schedule", "--hour", hour, "--json")

    assert refused(result, "--hour") == f'--hour "{hour}": {HOUR_RULE}'
    assert result.stderr.endswith(f'\nedgepbx: --hour "{hour}": {HOUR_RULE}\n')


def test_a_day_for_a_daily_schedule_is_refused_by_the_cli_the_api_and_the_page(
    pbx,
):
    set_up = pbx.cli("backup", "schedule", "--frequency", "weekly", "--hour", "2")
    assert set_up.returncode == 0, set_up.stderr
    api = api_client(pbx, "super-administrator")
    web = signed_in(pbx, "super-administrator")
    rule = f"{WEEKDAY_ONLY_WEEKLY} (the schedule is daily)"

    by_cli = pbx.cli(
        "backup", "schedule", "--frequency", "daily", "--weekday", "monday", "--json"
    )
    by_api = api.request(
        "PUT",
        "/api/v1/backups/schedule",
        json_body={"frequency": "daily", "weekday": "monday"},
    )
    form = {"frequency": "daily", "weekday": "monday", "hour": "2", "keep": "7"}
    by_page = web.post_form("/system/backup-schedule", form, csrf_from="/system")
    shown = pbx.cli("backup", "schedule", "--json").json()

    assert refused(by_cli, "--weekday") == f'--weekday "monday": {rule}'
    assert by_api.status == 422
    assert (by_api.json()["field"], by_api.json()["detail"]) == (
        "weekday",
        f'weekday "monday": {rule}',
    )
    assert by_page.status == 422
    assert field_error(by_page, "weekday") == f'weekday "monday": {rule}'
    assert (shown["frequency"], shown["weekday"]) == ("weekly", "sunday")

    # The page's daily schedule sends no day, and is saved.
    daily = web.post_form(
        "/system/backup-schedule", form | {"weekday": ""}, csrf_from="/system"
    )
    assert daily.status == 303
    assert pbx.cli("backup", "schedule", "--json").json()["frequency"] == "daily"

    # A weekly schedule with no day chosen is refused, not given the old day.
    weekly = web.post_form(
        "/system/backup-schedule",
        form | {"frequency": "weekly", "weekday": ""},
        csrf_from="/system",
    )
    assert weekly.status == 422
    assert field_error(weekly, "weekday") == f"weekday: {WEEKDAY_RULE}"
    assert pbx.cli("backup", "schedule", "--json").json()["frequency"] == "daily"


def test_a_short_passphrase_is_refused_and_never_echoed(pbx_data, tmp_path):
    short = tmp_path / "short"
    short.write_text("tooshort\n")
    result = pbx_data.cli(
        "backup", "schedule", "--passphrase-file", str(short), "--json"
    )
    assert "12" in refused(result, "passphrase")
    assert "tooshort" not in result.stdout + result.stderr

    empty = tmp_path / "empty"
    empty.write_text("")
    result = pbx_data.cli(
        "backup", "schedule", "--passphrase-file", str(empty), "--json"
    )
    assert "12" in refused(result, "passphrase")


def test_a_passphrase_and_no_passphrase_together_are_refused_naming_both(
    pbx_data, tmp_path
):
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    sealed = pbx_data.cli("backup", "schedule", "--passphrase-file", str(passphrase))
    assert sealed.returncode == 0, sealed.stderr

    result = pbx_data.cli(
        "backup", "schedule", "--passphrase-file", str(passphrase),
        "--no-passphrase", "--keep", "3", "--json",
    )  # fmt: skip

    message = refused(result, "passphrase-file")
    assert "--passphrase-file" in message and "--no-passphrase" in message
    assert "not both" in message
    assert PASSPHRASE not in result.stdout + result.stderr
    shown = pbx_data.cli("backup", "schedule", "--json").json()
    assert (shown["sealed"], shown["keep"]) == (True, 7)


def test_the_agent_makes_the_due_backup_seals_it_and_keeps_the_newest(pbx, tmp_path):
    pbx.add_extension("101", "Reception")
    folder = pbx.data_dir / "backups"
    folder.mkdir(exist_ok=True)
    old = [f"scheduled-2020010{day}T030000Z.backup" for day in (1, 2, 3)]
    for name in old:
        (folder / name).write_bytes(b"an old backup")
    (folder / "keep-me.backup").write_bytes(b"made by hand")
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")

    # Hour 0 has always passed today: the backup is due at once.
    changed = pbx.cli(
        "backup", "schedule", "--frequency", "daily", "--hour", "0", "--keep", "2",
        "--passphrase-file", str(passphrase),
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "the newest 2 kept, sealed" in changed.stdout
    assert "the agent makes it at once (within 30 s)" in changed.stdout

    deadline = time.monotonic() + AGENT_MAKES_IT_S
    names: list[str] = []
    while time.monotonic() < deadline:
        listed = pbx.cli("backup", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        names = [b["name"] for b in listed.json()]
        if names and names[0] not in old:
            break
        time.sleep(1)

    assert len(names) == 2 and names[0] not in old, names
    assert pbx.cli("backup", "schedule", "--json").json()["missing_due_at"] is None
    assert names[1] == old[-1]  # the older two are gone
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == (
        sorted([*names, "keep-me.backup"])
    )
    made = (folder / names[0]).read_bytes()
    assert made[:2] != GZIP_MAGIC, "a sealed backup is not plain gzip"
    assert (
        PASSPHRASE.encode() not in (pbx.data_dir / "db" / "edgepbx.sqlite").read_bytes()
    )

    api = api_client(pbx, "super-administrator")
    download = api.get(f"/api/v1/backups/stored/{names[0]}")
    assert download.status == 200 and download.body_bytes == made
    assert api.get("/api/v1/backups/stored/..%2Fdb%2Fedgepbx.sqlite").status == 404

    # The System page gives each size in a unit people read at a glance.
    page = signed_in(pbx, "super-administrator").get("/system").body
    sizes = dict(
        re.findall(r">(scheduled-[^<]+)</a></td>\s*<td>[^<]*</td>\s*<td>([^<]+)<", page)
    )
    assert sizes[names[1]] == "13 bytes"
    assert re.fullmatch(r"\d+\.\d KB", sizes[names[0]]), sizes


def test_an_unsealed_scheduled_backup_holds_the_database(pbx_data):
    # Set before the agent starts, so its first look finds the backup due:
    # the test above already waits for a look while it runs.
    pbx_data.add_extension("101", "Reception")
    changed = pbx_data.cli("backup", "schedule", "--frequency", "daily", "--hour", "0")
    assert changed.returncode == 0, changed.stderr
    pbx = pbx_data.start()
    try:
        deadline = time.monotonic() + AGENT_MAKES_IT_S
        stored: list[dict] = []
        while time.monotonic() < deadline:
            stored = pbx.cli("backup", "list", "--json").json()
            if stored:
                break
            time.sleep(1)
        assert stored, "no scheduled backup made"

        web = signed_in(pbx, "super-administrator")
        page = web.get("/system")
        download = web.get(f"/system/backups/{stored[0]['name']}")
    finally:
        pbx.stop()

    assert stored[0]["name"] in page.body
    raw = gzip.decompress(download.body_bytes)
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        members = tar.getnames()
    assert members[0] == "manifest.json" and "db/edgepbx.sqlite" in members


def test_the_page_saves_the_schedule_and_shows_a_refused_hour_beside_it(pbx):
    web = signed_in(pbx, "super-administrator")
    form = {"frequency": "weekly", "weekday": "friday", "keep": "5"}

    refused_reply = web.post_form(
        "/system/backup-schedule", form | {"hour": "25"}, csrf_from="/system"
    )
    saved = web.post_form(
        "/system/backup-schedule", form | {"hour": "22"}, csrf_from="/system"
    )
    shown = pbx.cli("backup", "schedule", "--json").json()

    assert refused_reply.status == 422
    assert 'id="hour-error"' in refused_reply.body
    assert "0 to 23" in refused_reply.body
    assert saved.headers["location"].startswith("/system?notice=backup-schedule-saved")
    assert (shown["frequency"], shown["weekday"], shown["hour"], shown["keep"]) == (
        "weekly",
        "friday",
        22,
        5,
    )
    assert signed_in(pbx, "administrator").get("/system/backups/x").status == 403


def test_the_page_refuses_an_empty_hour_or_count_and_a_passphrase_with_stop_sealing(
    pbx,
):
    web = signed_in(pbx, "super-administrator")
    set_up = pbx.cli("backup", "schedule", "--frequency", "daily", "--hour", "2")
    assert set_up.returncode == 0, set_up.stderr
    form = {"frequency": "weekly", "weekday": "friday", "hour": "22", "keep": "5"}

    def post(changes: dict):
        return web.post_form(
            "/system/backup-schedule", form | changes, csrf_from="/system"
        )

    no_hour = post({"hour": ""})
    no_keep = post({"keep": " "})
    sealed = post({"passphrase": PASSPHRASE})
    both = post({"passphrase": "another long passphrase", "clear_passphrase": "yes"})
    shown = pbx.cli("backup", "schedule", "--json").json()

    assert no_hour.status == no_keep.status == both.status == 422
    assert "hour: required: a whole hour from 0 to 23" in field_error(no_hour, "hour")
    assert "keep: required: 1 to 100 backups" in field_error(no_keep, "keep")
    assert sealed.status == 303
    assert "not both" in field_error(both, "schedule-passphrase")
    assert "another long passphrase" not in both.body
    assert (shown["frequency"], shown["hour"], shown["keep"]) == ("weekly", 22, 5)
    assert shown["sealed"] is True


def field_error(reply, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', reply.body)
    assert found, f"no error shown at {field}"
    return html.unescape(found.group(1))


def test_the_api_refuses_an_empty_passphrase_and_keeps_the_schedule(pbx):
    api = api_client(pbx, "super-administrator")
    sealed = api.request(
        "PUT",
        "/api/v1/backups/schedule",
        json_body={"frequency": "daily", "passphrase": PASSPHRASE},
    )

    empty = api.request("PUT", "/api/v1/backups/schedule", json_body={"passphrase": ""})

    assert sealed.status == 200 and sealed.json()["sealed"] is True
    assert (empty.status, empty.json()["field"]) == (422, "passphrase")
    assert api.get("/api/v1/backups/schedule").json() == sealed.json()


def test_the_api_refuses_true_as_a_number_naming_the_field_not_echoing_it(pbx):
    api = api_client(pbx, "super-administrator")
    before = api.request(
        "PUT", "/api/v1/backups/schedule", json_body={"frequency": "daily", "keep": 5}
    )

    flag = api.request("PUT", "/api/v1/backups/schedule", json_body={"keep": True})
    hour = api.request("PUT", "/api/v1/backups/schedule", json_body={"hour": False})

    assert before.status == 200, before.body
    assert (flag.status, flag.json()["field"]) == (400, "keep")
    assert flag.json()["detail"] == "keep: must be a whole number"
    assert (hour.status, hour.json()["field"]) == (400, "hour")
    assert "False" not in hour.json()["detail"]
    assert api.get("/api/v1/backups/schedule").json() == before.json()
