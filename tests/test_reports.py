"""Call reports over a real SQLite database: the figures of a period in the
system time zone, narrowed to a role's extensions, refused bad input, and
scheduled reports reaching a real SMTP server (aiosmtpd), retried with
backoff while it is down."""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo

import pytest

from agent import setup, system_settings
from agent.accounts.roles import SYSTEM, NumberRanges, Permission, Principal, Role
from agent.cdr import records
from agent.db import open_database
from agent.db.migrations import migrate
from agent.db.models import AuditEntry, CallQueue, Extension
from agent.devicekey import DeviceKey
from agent.errors import Forbidden, InvalidInput
from agent.mail import MailNotSent, SmtpSettings
from agent.mail.service import SETTING_KEY
from agent.reports import files
from agent.reports.figures import ReportService, groupings, period
from agent.reports.schedules import (
    RETRY_FIRST_S,
    ReportMailer,
    ReportScheduleRow,
    ScheduleService,
    next_run,
    retry_delay,
    send_due,
)
from agent.trunks.models import CallRecord, QueueCallPart, RingGroupRow
from tests.mailserver import MailServer
from tests.pdftext import pdf_text

ZONE = "Europe/Berlin"
BERLIN = zoneinfo.ZoneInfo(ZONE)
KEY = DeviceKey(b"r" * 32)


def at(text: str) -> float:
    """Berlin wall-clock time as Unix seconds."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN).timestamp()


def call(n, direction, src, dst, start, talk=None, disposition="answered", trunk=""):
    started = at(start)
    answered = started + 3 if talk is not None else None
    CallRecord.create(
        call_id=f"call-{n}",
        direction=direction,
        src=src,
        dst=dst,
        trunk=trunk,
        started_at=started,
        answered_at=answered,
        ended_at=(answered + talk) if talk is not None else started + 10,
        disposition=disposition,
    )


@pytest.fixture
def calls(tmp_path):
    db = open_database(tmp_path / "edgepbx.sqlite")
    migrate(db)
    system_settings.put(setup.TIMEZONE, ZONE)
    for number, name in (("101", "Reception"), ("102", "Sales desk"), ("201", "Yard")):
        Extension.create(
            number=number, display_name=name, sip_password="x", ha1="", ha1b=""
        )
    RingGroupRow.create(
        number="600", name="Sales", strategy="ringall", ring_time_s=20, members="[]"
    )
    # 1 December 2026 in Berlin: 23:30 UTC on 30 November is already the 1st.
    call(1, "internal", "101", "102", "2026-12-01 00:30", talk=60)
    call(2, "internal", "101", "102", "2026-12-01 09:10", disposition="no answer")
    call(3, "in", "+4930555", "101", "2026-12-01 09:20", talk=120, trunk="acme")
    call(4, "out", "102", "0049301234", "2026-12-02 14:00", talk=30, trunk="acme")
    call(
        5, "in", "+4930777", "600", "2026-12-02 14:05", disposition="busy", trunk="acme"
    )
    call(
        6,
        "out",
        "201",
        "0049309999",
        "2026-12-02 23:50",
        disposition="failed",
        trunk="b2",
    )
    # Outside the period: the evening before and the morning after.
    call(7, "internal", "101", "102", "2026-11-30 23:59", talk=10)
    call(8, "internal", "101", "102", "2026-12-03 00:00", talk=10)
    yield db
    db.close()


def report(actor=SYSTEM, **query):
    span = period(query.pop("preset", None), "2026-12-01", "2026-12-02")
    return ReportService(actor).report(span, groupings(query.pop("group", None)))


def rows(result, grouping) -> dict:
    return {r.key: r.figures for r in result.groups[grouping]}


def test_the_figures_count_the_period_s_days_in_the_system_time_zone(calls):
    result = report()

    t = result.totals
    assert (t.calls, t.answered, t.missed) == (6, 3, 3)
    assert (t.no_answer, t.busy, t.failed) == (1, 1, 1)
    assert (t.talk_s, t.average_talk_s) == (210, 70)
    assert result.period.to_dict()["timezone"] == ZONE
    days = rows(result, "day")
    assert (days["2026-12-01"].calls, days["2026-12-02"].calls) == (3, 3)
    hours = rows(result, "hour")
    assert hours["00"].calls == 1 and hours["09"].calls == 2 and hours["23"].calls == 1


def test_each_extension_counts_its_own_side_and_ring_groups_stand_apart(calls):
    result = report()

    ext = rows(result, "extension")
    assert set(ext) == {"101", "102", "201"}
    assert (ext["101"].calls, ext["101"].answered, ext["101"].talk_s) == (3, 2, 180)
    assert (ext["102"].calls, ext["102"].missed) == (3, 1)
    assert (ext["201"].calls, ext["201"].failed) == (1, 1)
    assert result.groups["extension"][0].label == "Reception"
    trunks = rows(result, "trunk")
    assert (trunks["acme"].calls, trunks["acme"].busy, trunks["b2"].failed) == (3, 1, 1)
    (group,) = result.groups["ring_group"]
    assert (group.key, group.label, group.figures.busy) == ("600", "Sales", 1)


def test_a_call_a_mailbox_took_has_a_column_of_its_own_so_the_columns_add_up(calls):
    # 102 does not answer; its mailbox takes the call (10 s of message).
    call(
        9,
        "in",
        "+4930555",
        "102",
        "2026-12-02 10:00",
        disposition="voicemail",
        trunk="acme",
    )
    result = report()

    t = result.totals
    assert (t.calls, t.answered, t.voicemail, t.missed) == (7, 3, 1, 3)
    assert t.calls == t.answered + t.voicemail + t.missed
    assert t.talk_s == 210  # a message is not talk time
    assert rows(result, "extension")["102"].voicemail == 1
    assert rows(result, "day")["2026-12-02"].voicemail == 1
    assert rows(result, "trunk")["acme"].voicemail == 1
    assert rows(result, "hour")["10"].voicemail == 1
    import csv

    table = list(csv.DictReader(io.StringIO(files.csv_text(result))))
    assert (table[0]["grouping"], table[0]["voicemail"]) == ("total", "1")
    assert "Voicemail" in pdf_text(files.pdf_bytes(result))


def test_a_role_limited_to_a_range_sees_only_calls_touching_its_extensions(calls):
    yard = Principal(
        "yard",
        Role.OPERATOR,
        grants=frozenset({Permission.VIEW_REPORTS}),
        custom_role="yard",
        extensions=NumberRanges.parse("200-299"),
    )

    result = report(yard)

    assert result.totals.calls == 1 and result.totals.failed == 1
    assert set(rows(result, "extension")) == {"201"}
    assert set(rows(result, "trunk")) == {"b2"}
    assert result.extensions == "200-299"
    assert "201" in files.csv_text(result) and "Reception" not in files.csv_text(result)


def test_a_month_runs_from_local_midnight_to_midnight_across_the_clock_change(
    calls,
):
    # Berlin's clocks went back from 03:00 to 02:00 on 25 October 2026: the
    # hour from 02:00 came twice, first in summer time, then in winter time.
    twice = dt.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
    moments = {
        "before": at("2026-09-30 23:59:59"),
        "first": at("2026-10-01 00:00"),
        "summer": twice.timestamp(),
        "winter": twice.replace(fold=1).timestamp(),
        "after the change": at("2026-10-25 03:15"),
        "last": at("2026-10-31 23:59:59"),
        "after": at("2026-11-01 00:00"),
    }
    assert moments["winter"] - moments["summer"] == 3600
    for n, (name, started) in enumerate(moments.items()):
        CallRecord.create(
            call_id=f"edge-{name}",
            direction="in",
            src=f"+4930{n}",
            dst="101",
            trunk="acme",
            started_at=started,
            answered_at=started + 2,
            ended_at=started + 62,
            disposition="answered",
        )
    # Callers who joined a queue seconds after a midnight: each counts in the
    # month its call started in.
    CallQueue.create(number="700", name="Help", service_level_s=20)
    for name in ("before", "last"):
        QueueCallPart.create(
            call_id=f"edge-{name}",
            queue="700",
            joined_at=moments["after"] if name == "last" else moments["first"],
            outcome="answered",
            agent="102" if name == "last" else "103",
            wait_s=1.0,
            answered_at=moments[name] + 2,
        )

    result = ReportService(SYSTEM).report(period(None, "2026-10-01", "2026-10-31"))

    assert (result.totals.calls, result.totals.talk_s) == (5, 300)
    days = rows(result, "day")
    assert len(days) == 31
    assert {d: f.calls for d, f in days.items() if f.calls} == {
        "2026-10-01": 1,
        "2026-10-25": 3,
        "2026-10-31": 1,
    }
    hours = rows(result, "hour")
    assert {h: f.calls for h, f in hours.items() if f.calls} == {
        "00": 1,
        "02": 2,
        "03": 1,
        "23": 1,
    }
    assert rows(result, "extension")["101"].answered == 5
    (queue,) = result.queues
    assert (queue.offered, queue.answered) == (1, 1)
    assert [(a.extension, a.talk_s) for a in queue.agents] == [("102", 60)]


def test_calls_changed_after_they_were_written_show_as_they_ended(calls):
    # Written as they happen: one answered and still going, one ringing, one
    # forwarded by 102 to an outside number, then the PBX stops.
    start = at("2026-12-02 10:00")
    for n, (kind, fields) in enumerate(
        [
            ("started", {"call_id": "talking", "src": "101", "dst": "102"}),
            ("answered", {"call_id": "talking"}),
            ("started", {"call_id": "ringing", "src": "102", "dst": "201"}),
            ("started", {"call_id": "forward", "src": "+4930555", "dst": "102"}),
            (
                "forwarded",
                {
                    "call_id": "forward",
                    "direction": "out",
                    "src": "102",
                    "dst": "0049301234",
                    "trunk": "b2",
                },
            ),
            ("answered", {"call_id": "forward"}),
        ]
    ):
        direction = "in" if fields["call_id"] == "forward" else "internal"
        records.apply_event(
            {"event": kind, "at": start + n, "direction": direction} | fields
        )
    going = report()
    assert (going.totals.calls, going.totals.answered) == (9, 3)

    records.close_cut_calls(start + 125, records.CUT_STOPPED)
    result = report()

    t = result.totals
    assert (t.calls, t.answered, t.failed, t.talk_s) == (9, 5, 2, 210 + 124 + 120)
    ext = rows(result, "extension")
    assert (ext["102"].calls, ext["102"].answered, ext["102"].failed) == (6, 4, 1)
    assert (ext["201"].calls, ext["201"].failed) == (2, 2)
    assert rows(result, "trunk")["b2"].answered == 1
    assert rows(result, "hour")["10"].calls == 3
    assert (
        result.to_dict()
        == ReportService(SYSTEM).report(result.period, from_records=True).to_dict()
    )

    # The storage cleanup removes a record: it leaves the report too.
    CallRecord.delete().where(CallRecord.call_id == "ringing").execute()
    assert report().totals.failed == 1


@pytest.mark.parametrize(
    ("zone", "hours"),
    [
        # 08:10 and 08:20 UTC: 13:40 and 13:50 in Kolkata (+05:30), 13:55
        # and 14:05 in Kathmandu (+05:45), in Berlin 09:10 and 09:20 (and
        # two calls at 13:00 UTC, Berlin's 14:00, the others' evening).
        ("Asia/Kolkata", {"13": 2}),
        ("Asia/Kathmandu", {"13": 1, "14": 1}),
        ("Europe/Berlin", {"09": 2, "14": 2}),
    ],
)
def test_zones_off_the_whole_hour_count_each_call_in_its_own_local_hour(
    calls, zone, hours
):
    span = period(None, "2026-12-01", "2026-12-02", timezone=zone)

    result = ReportService(SYSTEM).report(span)

    busy_hours = {
        h: f.calls for h, f in rows(result, "hour").items() if h in {"09", "13", "14"}
    }
    assert {h: n for h, n in busy_hours.items() if n} == hours
    assert (
        result.to_dict()
        == ReportService(SYSTEM).report(span, from_records=True).to_dict()
    )


def test_a_role_without_the_reports_permission_is_refused(calls):
    with pytest.raises(Forbidden):
        report(Principal("someone", Role.USER))


def test_the_csv_holds_the_totals_and_every_grouping_s_rows(calls):
    import csv

    table = list(csv.DictReader(io.StringIO(files.csv_text(report()))))

    total = table[0]
    assert (total["grouping"], total["calls"], total["missed"]) == ("total", "6", "3")
    by = {(r["grouping"], r["key"]): r for r in table}
    assert by[("extension", "101")]["name"] == "Reception"
    assert by[("trunk", "acme")]["busy"] == "1"
    assert by[("day", "2026-12-02")]["calls"] == "3"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"first": "2026-12-05", "last": "2026-12-01"}, "from"),
        ({"first": "2025-01-01", "last": "2026-12-01"}, "to"),
        ({"first": "2026-13-01", "last": "2026-12-01"}, "from"),
        ({"first": "2026-12-01", "last": "yesterday"}, "to"),
        ({"preset": "fortnight"}, "preset"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(calls, query, field):
    with pytest.raises(InvalidInput) as refused:
        period(query.get("preset"), query.get("first"), query.get("last"))
    assert refused.value.field == field


def test_an_unknown_grouping_is_refused_naming_it(calls):
    with pytest.raises(InvalidInput) as refused:
        groupings("extension,queue")
    assert refused.value.field == "group" and "queue" in str(refused.value)


def test_the_pdf_writes_names_in_latin_greek_and_cyrillic_letters(calls):
    Extension.update(display_name="Zoë Łukasz Ελένη Дмитрий").where(
        Extension.number == "101"
    ).execute()
    text = pdf_text(files.pdf_bytes(report(group="extension")))

    assert "101 Zoë Łukasz Ελένη Дмитрий" in text
    assert "?" not in text


def test_presets_cover_whole_local_days_weeks_and_months():
    today = dt.date(2026, 12, 9)  # a Wednesday

    def span(name):
        p = period(name, timezone=ZONE, today=today)
        return p.first.isoformat(), p.last.isoformat()

    assert span("yesterday") == ("2026-12-08", "2026-12-08")
    assert span("this_week") == ("2026-12-07", "2026-12-09")
    assert span("last_week") == ("2026-11-30", "2026-12-06")
    assert span("last_month") == ("2026-11-01", "2026-11-30")
    assert span("this_month") == ("2026-12-01", "2026-12-09")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"recipients": "boss@example.com, not-an-address"}, "recipients"),
        ({"recipients": ""}, "recipients"),
        ({"hour": "24"}, "hour"),
        ({"frequency": "hourly"}, "frequency"),
        ({"attachments": ["csv", "xls"]}, "attachments"),
        ({"groups": "extension,queue"}, "group"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field_and_nothing_is_saved(
    calls, changes, field
):
    values = {
        "name": "Weekly",
        "frequency": "weekly",
        "hour": "7",
        "recipients": "boss@example.com",
        "attachments": ["csv"],
    } | changes

    with pytest.raises(InvalidInput) as refused:
        ScheduleService(KEY, SYSTEM).add(**values)

    assert refused.value.field == field
    assert ReportScheduleRow.select().count() == 0


def test_weekly_and_monthly_reports_fall_on_mondays_and_the_first():
    after = at("2026-12-09 12:00")  # a Wednesday

    weekly = dt.datetime.fromtimestamp(next_run("weekly", 7, after, ZONE), BERLIN)
    monthly = dt.datetime.fromtimestamp(next_run("monthly", 6, after, ZONE), BERLIN)
    daily = dt.datetime.fromtimestamp(next_run("daily", 13, after, ZONE), BERLIN)

    assert weekly.isoformat() == "2026-12-14T07:00:00+01:00"
    assert monthly.isoformat() == "2027-01-01T06:00:00+01:00"
    assert daily.isoformat() == "2026-12-09T13:00:00+01:00"
    assert [retry_delay(n) for n in (1, 2, 3)] == [60, 120, 240]


def _use_mail_server(port: int) -> None:
    system_settings.put(
        SETTING_KEY,
        {
            **SmtpSettings().__dict__,
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "sender": "pbx@example.com",
        },
    )


def test_a_due_report_arrives_with_its_attachments_after_the_server_comes_back(
    calls,
):
    from tests.pbx import free_port

    port = free_port()
    _use_mail_server(port)  # nothing listens there yet
    service = ScheduleService(KEY, SYSTEM)
    service.add("Daily", "daily", "6", "boss@example.com, team@example.com")
    row = ReportScheduleRow.get()
    due = row.next_run_at
    sent_date = dt.datetime.fromtimestamp(due, BERLIN).date()

    failed_now = send_due(KEY, now=due)
    row = ReportScheduleRow.get()
    server = MailServer(port=port).start()
    try:
        too_early = send_due(KEY, now=due + RETRY_FIRST_S - 1)
        retried = send_due(KEY, now=due + RETRY_FIRST_S)
        (received,) = server.wait_for(1)
    finally:
        server.stop()

    assert failed_now == 0 and row.failures == 1
    assert (
        row.retry_at == due + RETRY_FIRST_S and "could not be reached" in row.last_error
    )
    assert too_early == 0 and retried == 1
    assert sorted(received.recipients) == ["boss@example.com", "team@example.com"]
    yesterday = (sent_date - dt.timedelta(days=1)).isoformat()
    assert yesterday in received.message["Subject"]
    names = [p.get_filename() for p in received.message.iter_attachments()]
    assert names == [
        f"calls-{yesterday}-{yesterday}.csv",
        f"calls-{yesterday}-{yesterday}.pdf",
    ]
    pdf = next(
        p
        for p in received.message.iter_attachments()
        if p.get_filename().endswith(".pdf")
    )
    assert pdf.get_content().startswith(b"%PDF")
    after = ReportScheduleRow.get()
    assert after.failures == 0 and after.retry_at is None and after.last_error == ""
    assert after.next_run_at > due
    assert json.loads(after.recipients) == ["boss@example.com", "team@example.com"]


def test_a_report_retried_after_midnight_still_covers_the_day_it_fell_due(calls):
    from tests.pbx import free_port

    port = free_port()
    _use_mail_server(port)  # nothing listens there yet
    ScheduleService(KEY, SYSTEM).add("Late", "daily", "23", "boss@example.com")
    due = ReportScheduleRow.get().next_run_at
    due_day = dt.datetime.fromtimestamp(due, BERLIN).date()

    assert send_due(KEY, now=due) == 0
    server = MailServer(port=port).start()
    try:
        # Two hours later it is the next day in Berlin.
        assert send_due(KEY, now=due + 2 * 3600) == 1
        (received,) = server.wait_for(1)
    finally:
        server.stop()

    reported = (due_day - dt.timedelta(days=1)).isoformat()
    assert received.message["Subject"] == f"edgepbx: Late, {reported}"


def test_the_command_line_writes_the_files_and_names_a_bad_field(pbx_data, tmp_path):
    pdf = tmp_path / "month.pdf"

    shown = pbx_data.cli("report", "show", "--preset", "last_month")
    written = pbx_data.cli("report", "pdf", "--preset", "this_week", "-o", str(pdf))
    csv_file = tmp_path / "month.csv"
    csv_written = pbx_data.cli(
        "report", "csv", "--preset", "today", "-o", str(csv_file)
    )
    as_csv = pbx_data.cli("report", "csv", "--from", "2026-12-01", "--to", "2026-12-02")
    backwards = pbx_data.cli(
        "report", "show", "--from", "2026-12-05", "--to", "2026-12-01"
    )
    unknown = pbx_data.cli("report", "csv", "--group", "extension,queue")
    no_address = pbx_data.cli(
        "report", "schedule", "add", "Weekly", "--frequency", "weekly",
        "--hour", "7", "--to", "boss@example.com,nobody",
    )  # fmt: skip
    listed = pbx_data.cli("report", "schedule", "list", "--json")

    assert shown.returncode == 0 and "total" in shown.stdout, shown.stderr
    assert written.returncode == 0 and pdf.read_bytes().startswith(b"%PDF")
    assert written.stdout.startswith(f"report written to {pdf} (")
    assert "pruned" not in written.stderr  # the font subsetter's steps stay quiet
    assert csv_written.stdout.startswith(f"report written to {csv_file} (")
    assert csv_file.read_text().startswith("grouping,key,name,calls")
    assert as_csv.stdout.splitlines()[0].startswith("grouping,key,name,calls")
    assert backwards.returncode == 2 and '--from "2026-12-05"' in backwards.stderr
    assert unknown.returncode == 2 and '--group "queue"' in unknown.stderr
    assert no_address.returncode == 2 and '--to "nobody"' in no_address.stderr
    assert listed.json() == []


def test_the_agent_s_mailer_sends_a_report_that_is_due_from_its_own_thread(calls):
    server = MailServer().start()
    try:
        _use_mail_server(server.port)
        ScheduleService(KEY, SYSTEM).add("Monthly", "monthly", "5", "boss@example.com")
        ReportScheduleRow.update(next_run_at=at("2026-12-01 05:00")).execute()
        mailer = ReportMailer(KEY)

        mailer.tick()
        mailer._sending.join(timeout=30)
        (received,) = server.wait_for(1)
    finally:
        server.stop()

    assert received.message["Subject"].startswith("edgepbx: Monthly, ")
    assert ReportScheduleRow.get().last_sent_at is not None


def test_send_now_to_a_dead_server_says_so_and_removing_is_audited(calls):
    from tests.pbx import free_port

    _use_mail_server(free_port())
    service = ScheduleService(KEY, SYSTEM)
    service.add("Daily", "daily", "6", "boss@example.com")
    before = ReportScheduleRow.get().next_run_at

    with pytest.raises(MailNotSent) as failed:
        service.send_now("Daily")
    service.remove("Daily")

    assert "could not be reached" in str(failed.value)
    assert before > 0 and ReportScheduleRow.select().count() == 0
    actions = [(e.action, e.object_id) for e in AuditEntry.select()]
    assert ("add", "Daily") in actions and ("remove", "Daily") in actions
