"""Storage: usage by kind, retention and quotas, clean-up oldest first.

Real files in a temporary data directory and a real SQLite database; the
command line as an administrator types it. Only the disk's size is given
by the test where the disk must look nearly full: its use is still the
real files' sizes.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
import time

import pytest

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.db.models import AuditEntry, utcnow
from agent.events import catalogue
from agent.events.record import EventRow
from agent.media.pool import token_path
from agent.settings import Settings
from agent.storage.service import MB, StorageService
from agent.trunks.models import CallRecord, QueueCallPart
from agent.voicemail.mwi import MessageSummary
from agent.voicemail.service import VoicemailService
from tests.pbx import free_port

DAY_S = 86400


def settings_in(tmp_path, sip_port: int = 5060) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        bind="127.0.0.1",
        sip_port=sip_port,
        http_port=8080,
        https_port=8443,
        tftp_port=6969,
    )


@pytest.fixture
def appliance(tmp_path):
    opened = Appliance.open(settings_in(tmp_path, free_port()))
    yield opened
    opened.close()


def put_file(path, size: int, days_old: float = 0.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    at = time.time() - days_old * DAY_S
    os.utime(path, (at, at))
    return path


def service(app, **kw) -> StorageService:
    return StorageService(app.settings, CONSOLE, **kw)


def leave_message(app, number: str, days_old: float, size: int, heard=False):
    voicemail = VoicemailService(app.settings)
    box = voicemail.find(number)
    recording = put_file(app.settings.data_dir / "incoming.wav", size)
    message = voicemail.store(
        box, recording, caller="0301234567", caller_name="", reason="busy",
        duration_s=3.0,
    )  # fmt: skip
    message.received_at = utcnow() - dt.timedelta(days=days_old)
    message.heard = heard
    message.save()
    return message


def with_mailbox(app, number: str = "101") -> None:
    app.extensions_as(CONSOLE).add(number, "Front desk")
    VoicemailService(app.settings, CONSOLE).set(number, pin="2580")


def test_usage_sums_each_kind_from_its_own_files_and_rows(appliance):
    data = appliance.settings.data_dir
    put_file(data / "recordings" / "2026" / "a.wav", 1000)
    put_file(data / "recordings" / "b.wav", 3000)
    with_mailbox(appliance)
    leave_message(appliance, "101", 1, 700)
    put_file(data / "voicemail" / "101" / "greeting-busy.wav", 300)
    put_file(data / "logs" / "network.log", 50)
    put_file(data / "backups" / "scheduled-20261201T030000Z.backup", 4000)
    put_file(data / "prompts" / "music" / "song.wav", 2500)

    usage = service(appliance).usage()

    shown = {k.kind: (k.bytes, k.items) for k in usage.kinds}
    assert shown["recordings"] == (4000, 2)
    assert shown["voicemail"] == (1000, 1)  # the message and the greeting
    assert shown["logs"] == (50, 1)
    assert shown["backups"] == (4000, 1)
    assert shown["prompts"] == (2500, 1)
    assert shown["call-records"] == (0, 0)
    assert sum(b for b, _ in shown.values()) == usage.data_bytes
    assert shown["other"][0] > 0  # the databases, keys
    assert usage.disk_total > usage.disk_free > 0


def test_retention_removes_only_what_is_older_and_empties_a_live_log(appliance):
    data = appliance.settings.data_dir
    old = put_file(data / "recordings" / "old.wav", 100, days_old=40)
    older = put_file(data / "recordings" / "older.wav", 100, days_old=41)
    recent = put_file(data / "recordings" / "recent.wav", 100, days_old=9)
    live = put_file(data / "logs" / "network.log", 500, days_old=45)
    rotated = put_file(data / "logs" / "network.log.1", 500, days_old=60)
    fresh_log = put_file(data / "logs" / "web.log.1", 500, days_old=1)
    storage = service(appliance)
    storage.set_retention("recordings", max_days=10)

    done = storage.clean()

    assert not old.exists() and not older.exists()
    assert recent.exists()
    assert live.exists() and live.stat().st_size == 0
    assert not rotated.exists() and fresh_log.exists()
    removed = {(c.kind, c.reason): c.removed for c in done}
    assert removed[("recordings", "retention")] == 2
    assert removed[("logs", "retention")] == 2  # logs keep 30 days by default


def test_a_quota_removes_the_oldest_first_and_stops_under_the_quota(appliance):
    folder = appliance.settings.data_dir / "recordings"
    files = [put_file(folder / f"call-{n}.wav", MB, days_old=10 - n) for n in range(5)]
    storage = service(appliance)
    storage.set_retention("recordings", max_mb=3)

    [cleanup] = storage.clean("recordings")

    assert [f.exists() for f in files] == [False, False, True, True, True]
    assert (cleanup.reason, cleanup.removed, cleanup.freed_bytes) == (
        "quota",
        2,
        2 * MB,
    )
    assert storage.usage().of("recordings").bytes == 3 * MB


def test_voicemail_retention_keeps_greetings_and_sends_the_new_counts(appliance):
    with_mailbox(appliance)
    greeting = put_file(
        appliance.settings.data_dir / "voicemail" / "101" / "greeting-busy.wav", 300
    )
    gone_new = leave_message(appliance, "101", days_old=30, size=100)
    gone_heard = leave_message(appliance, "101", days_old=20, size=100, heard=True)
    kept_new = leave_message(appliance, "101", days_old=2, size=100)
    kept_heard = leave_message(appliance, "101", days_old=1, size=100, heard=True)
    voicemail = VoicemailService(appliance.settings, CONSOLE)
    token_path(appliance.settings).write_text("test-token")
    storage = service(appliance)
    storage.set_retention("voicemail", max_days=7)

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as kamailio:
        kamailio.bind(("127.0.0.1", appliance.settings.sip_port))
        kamailio.settimeout(5)
        storage.clean("voicemail")
        notify = kamailio.recv(65535).decode()

    summary = MessageSummary.parse(notify.split("\r\n\r\n", 1)[1])
    assert (summary.new, summary.old) == (1, 1)
    assert notify.startswith("NOTIFY sip:101@")
    shown = voicemail.show("101")
    assert (shown.new_messages, shown.old_messages) == (1, 1)
    assert shown.greetings == ["busy"] and greeting.exists()
    kept = {m.id for m in voicemail.message_infos("101")}
    assert kept == {kept_new.id, kept_heard.id}
    for message in (gone_new, gone_heard):
        assert not (greeting.parent / message.file_name).exists()


def test_call_records_retention_removes_only_older_calls(appliance):
    now = time.time()
    for n, days in enumerate((90, 61, 59, 1)):
        CallRecord.create(
            call_id=f"c{n}", direction="in", src="0301", dst="101",
            started_at=now - days * DAY_S, ended_at=now - days * DAY_S + 60,
        )  # fmt: skip
        QueueCallPart.create(call_id=f"c{n}", queue="600", joined_at=now)
    storage = service(appliance)
    storage.set_retention("call-records", max_days=60)

    storage.clean("call-records")

    assert sorted(r.call_id for r in CallRecord.select()) == ["c2", "c3"]
    # A queue's part of a call goes with the call's record.
    assert sorted(p.call_id for p in QueueCallPart.select()) == ["c2", "c3"]
    assert storage.usage().of("call-records").items == 2


def test_backup_retention_never_removes_the_newest_scheduled_backup(appliance):
    folder = appliance.settings.data_dir / "backups"
    oldest = put_file(folder / "scheduled-20261101T030000Z.backup", 10, days_old=34)
    newest = put_file(folder / "scheduled-20261110T030000Z.backup", 10, days_old=25)
    downloading = put_file(folder / ".edgepbx-x.backup.123", 10, days_old=30)
    storage = service(appliance)
    storage.set_retention("backups", max_days=7)

    storage.clean("backups")

    assert not oldest.exists()
    assert newest.exists() and downloading.exists()


def test_a_nearly_full_disk_loses_the_oldest_logs_backups_then_recordings(
    appliance,
):
    data = appliance.settings.data_dir
    log_file = put_file(data / "logs" / "network.log.1", 100 * 1024, days_old=3)
    old_rec = put_file(data / "recordings" / "old.wav", 3 * MB, days_old=20)
    new_rec = put_file(data / "recordings" / "new.wav", 3 * MB, days_old=1)
    mine = put_file(data / "voicemail" / "101" / "greeting-busy.wav", MB)
    # A disk holding this data directory and nothing else, 96 % full.
    storage = StorageService(appliance.settings)
    disk_size = int(storage.usage().data_bytes / 0.96)

    def small_disk(path):
        used = StorageService(appliance.settings).usage().data_bytes
        return disk_size, used, disk_size - used

    storage.disk_usage = small_disk
    assert storage.usage().disk_used_percent > 95

    done = storage.clean_before_full()

    assert not log_file.exists() and not old_rec.exists()
    assert new_rec.exists() and mine.exists()
    assert [(c.kind, c.removed) for c in done] == [("logs", 1), ("recordings", 1)]
    assert storage.usage().disk_used_percent < 88
    # The administrator is told what went.
    freed = EventRow.select().where(EventRow.type == catalogue.STORAGE_FREED)
    (event,) = freed
    assert event.summary == (
        "disk nearly full: removed the oldest: 1 of logs (0.1 MB), "
        "1 of recordings (3.0 MB)"
    )
    assert storage.clean_before_full() == []
    assert freed.count() == 1


def refused(result, field: str) -> str:
    assert result.returncode == 2, result.stdout
    error = result.json()["error"]
    assert error["field"] == field, error
    return error["message"]


@pytest.mark.parametrize(
    ("args", "field", "rule"),
    [
        (["recordings", "--days", "0"], "--days", '--days "0": a whole number'),
        (["recordings", "--days", "-3"], "--days", "from 1 to 3650"),
        (["recordings", "--mb", "0"], "--mb", "1 or more"),
        (["recordings", "--mb", "999999999"], "--mb", "at most the disk's size"),
        (["videos", "--days", "5"], "kind", "one of recordings, voicemail"),
    ],
)
def test_bad_retention_is_refused_naming_the_field_and_changes_nothing(
    pbx_data, args, field, rule
):
    put_up = pbx_data.cli("storage", "set", "recordings", "--days", "30", "--mb", "50")
    assert put_up.returncode == 0, put_up.stderr

    result = pbx_data.cli("storage", "set", *args, "--json")

    assert rule in refused(result, field)
    shown = {r["kind"]: r for r in pbx_data.cli("storage", "show", "--json").json()}
    assert (shown["recordings"]["max_days"], shown["recordings"]["max_mb"]) == (30, 50)


def test_a_clean_up_from_the_cli_is_counted_and_audited(pbx_data, monkeypatch):
    data = pbx_data.data_dir
    one = pbx_data.cli("storage", "set", "logs", "--days", "1")
    assert "storage logs: keep 1 day, " in one.stdout, one.stderr
    assert pbx_data.cli("storage", "set", "recordings", "--days", "5").returncode == 0
    put_file(data / "recordings" / "old.wav", 2048, days_old=6)

    done = pbx_data.cli("storage", "clean", "recordings", "--json")

    assert done.returncode == 0, done.stderr
    assert done.json() == [
        {"kind": "recordings", "reason": "retention", "removed": 1, "freed_bytes": 2048}
    ]
    shown = {r["kind"]: r for r in pbx_data.cli("storage", "show", "--json").json()}
    counts = shown["recordings"]["cleanups"]
    assert (counts["cleanups"], counts["removed"], counts["freed_bytes"]) == (
        1,
        1,
        2048,
    )
    monkeypatch.setenv("EDGEPBX_DATA_DIR", str(data))
    app = Appliance.open()
    try:
        entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
        assert (entry.action, entry.object_type, entry.object_id) == (
            "clean",
            "storage",
            "recordings",
        )
    finally:
        app.close()


def test_the_api_and_the_page_show_usage_refuse_bad_limits_and_clean_up(pbx):
    from tests.webclient import api_client, signed_in

    old = put_file(pbx.data_dir / "recordings" / "old.wav", 5000, days_old=12)
    recent = put_file(pbx.data_dir / "recordings" / "recent.wav", 3000, days_old=2)
    api = api_client(pbx, "super-administrator")
    web = signed_in(pbx)

    usage = api.get("/api/v1/storage").json()
    zero = api.request(
        "PUT", "/api/v1/storage/retention/recordings", json_body={"max_days": 0}
    )
    unknown = api.request(
        "PUT", "/api/v1/storage/retention/videos", json_body={"max_days": 5}
    )
    huge = web.post_form(
        "/storage/recordings", {"max_days": "10", "max_mb": "99999999"}
    )
    saved = web.post_form("/storage/recordings", {"max_days": "10", "max_mb": ""})
    cleaned = api.request("POST", "/api/v1/storage/clean", json_body={})
    page = web.get("/storage")

    recordings = next(k for k in usage["kinds"] if k["kind"] == "recordings")
    assert (recordings["bytes"], recordings["items"]) == (8000, 2)
    assert (zero.status, zero.json()["field"]) == (422, "max_days")
    assert (unknown.status, unknown.json()["field"]) == (422, "kind")
    assert huge.status == 422
    assert (
        "at most the disk" in huge.body and 'id="recordings-max_mb-error"' in huge.body
    )
    assert saved.status == 303
    assert {"kind": "recordings", "reason": "retention", "removed": 1,
            "freed_bytes": 5000} in cleaned.json()  # fmt: skip
    assert not old.exists() and recent.exists()
    assert page.status == 200
    assert '<progress max="' in page.body and 'value="3000"' in page.body
    assert api.get("/api/v1/storage/retention/recordings").json() == {
        "kind": "recordings",
        "max_days": 10,
        "max_mb": None,
    }


def test_the_running_agent_applies_retention_by_itself(tmp_path):
    from tests.pbx import RunningPbx

    box = RunningPbx(tmp_path / "var")
    assert box.cli("storage", "set", "recordings", "--days", "7").returncode == 0
    old = put_file(box.data_dir / "recordings" / "old.wav", 4096, days_old=8)
    kept = put_file(box.data_dir / "recordings" / "kept.wav", 4096, days_old=6)

    box.start()
    try:
        deadline = time.monotonic() + 30
        while old.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        shown = {r["kind"]: r for r in box.cli("storage", "show", "--json").json()}
    finally:
        box.stop()

    assert not old.exists() and kept.exists()
    assert shown["recordings"]["cleanups"]["removed"] == 1


def test_a_call_records_quota_removes_the_oldest_calls_until_they_fit(appliance):
    now = time.time()
    rows = [
        {"call_id": f"{n:06d}-" + "c" * 240, "direction": "in", "src": "0301",
         "dst": "101", "started_at": now - (12000 - n) * 60}
        for n in range(12000)
    ]  # fmt: skip
    with appliance.db.atomic():
        for start in range(0, len(rows), 500):
            CallRecord.insert_many(rows[start : start + 500]).execute()
    storage = service(appliance)
    assert storage.usage().of("call-records").bytes > 3 * MB
    storage.set_retention("call-records", max_mb=2)

    [cleanup] = storage.clean("call-records")

    left = storage.usage().of("call-records")
    assert cleanup.removed > 0 and left.items == 12000 - cleanup.removed
    assert left.bytes <= 2 * MB
    first_kept = CallRecord.select().order_by(CallRecord.started_at).first()
    assert first_kept.call_id.startswith(f"{cleanup.removed:06d}-")


def test_call_records_retention_then_quota_remove_exactly_the_oldest_calls(
    appliance,
):
    now = time.time()
    # Written in shuffled order, so the oldest calls are not the first rows;
    # two calls share each start time, none within half a minute of the
    # retention's edge.
    ages = [(n // 2) * 60 for n in range(4000)]
    random.Random(5).shuffle(ages)
    rows = [
        {"call_id": f"{n:06d}-" + "c" * 200, "direction": "in", "src": "0301",
         "dst": "101", "started_at": now - 2 * DAY_S - age - 30}
        for n, age in enumerate(ages)
    ]  # fmt: skip
    with appliance.db.atomic():
        for start in range(0, len(rows), 500):
            CallRecord.insert_many(rows[start : start + 500]).execute()
    oldest_first = sorted(rows, key=lambda r: r["started_at"])
    young = [r for r in oldest_first if r["started_at"] >= now - 3 * DAY_S]
    storage = service(appliance)
    storage.set_retention("call-records", max_days=3, max_mb=1)

    by_age, by_size = storage.clean("call-records")

    assert by_age.removed == len(rows) - len(young) and by_size.removed > 0
    left = {r.call_id for r in CallRecord.select(CallRecord.call_id)}
    assert left == {r["call_id"] for r in young[by_size.removed :]}


def test_the_storage_page_shows_a_bar_per_kind_in_a_browser(
    pbx, browser_ready, tmp_path
):
    from tests import browser_driver
    from tests.webclient import signed_in

    put_file(pbx.data_dir / "recordings" / "big.wav", 8 * MB)
    web = signed_in(pbx)

    seen = browser_driver.run(
        "storage_page.mjs",
        pbx,
        session=web.cookies["__Host-edgepbx_session"],
        screenshots=str(tmp_path),
    )

    assert not seen["narrow"]["sideways"] and not seen["wide"]["sideways"], tmp_path
    bars = {bar["kind"]: bar for bar in seen["wide"]["bars"]}
    assert bars["Recordings"]["value"] == 8 * MB and bars["Recordings"]["width"] > 0
    assert set(bars) >= {"Voicemail", "Call records", "Logs", "Backups", "Other"}
    assert "1 to 3650" in seen["refused"]["error"]
    assert seen["refused"]["invalid"] == "true"
    assert seen["saved"]["value"] == "14"
    shown = {r["kind"]: r for r in pbx.cli("storage", "show", "--json").json()}
    assert shown["recordings"]["max_days"] == 14
