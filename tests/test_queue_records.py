"""A queue call's record and a queue's figures, over a real SQLite database:
the record says who answered and after how long, or that nobody did, and
the figures count what the records hold.

The events are those a media worker and Kamailio's routing send the agent
(agent/queues/flow.py, agent/sip/outside.py), fed in as the agent's call
event listener folds them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re

import pytest

from agent import setup
from agent.accounts.roles import SYSTEM, NumberRanges, Permission, Principal, Role
from agent.cdr import records
from agent.cli.report import report_show
from agent.db import open_database
from agent.db.migrations import migrate
from agent.db.models import CallQueue
from agent.reports import files
from agent.reports.figures import ReportService, period, queue_figures
from tests.pdftext import pdf_text

T0 = 1_800_000_000.0


def event(kind: str, call_id: str, at: float, **fields) -> None:
    records.apply_event({"event": kind, "call_id": call_id, "at": T0 + at, **fields})


def queue_call(call_id: str, *steps: tuple) -> None:
    """A call from 101 to queue 600 that the media worker answers at once."""
    event("started", call_id, 0, direction="internal", src="101", dst="600")
    for kind, at, fields in steps:
        event(kind, call_id, at, **fields)


def queued(at: float = 0.1) -> tuple:
    return ("queued", at, {"queue": "600"})


def worker_answered(at: float = 0.2) -> tuple:
    return ("answered", at, {})


def left(at: float, outcome: str, **fields) -> tuple:
    return (
        "queue_left",
        at,
        {"queue": "600", "outcome": outcome, "wait_s": at, **fields},
    )


def ended(at: float, code: int = 200) -> tuple:
    return ("ended", at, {"code": code})


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "edgepbx.sqlite")
    migrate(database)
    CallQueue.create(number="600", name="Sales", service_level_s=20)
    return database


def record(call_id: str) -> records.CallRecordInfo:
    (found,) = [r for r in records.search(SYSTEM) if r.call_id == call_id]
    return found


def test_a_ringing_call_the_stop_cancelled_is_marked_cut_even_if_its_487_came_first(
    db,
):
    event("started", "cancelled", 1, direction="internal", src="103", dst="104")
    event("ended", "cancelled", 2, code=487)  # the CANCEL's answer, relayed
    event("started", "hung-up", 1, direction="internal", src="101", dst="102")
    event("ended", "hung-up", 2, code=487)  # its caller gave up, long before

    assert records.close_cut_calls(T0 + 3, records.CUT_STOPPED) == 0
    marked = records.mark_cut(["cancelled", "gone"], records.CUT_STOPPED)

    assert marked == 1
    cancelled = record("cancelled")
    assert (cancelled.disposition, cancelled.end_reason, cancelled.last_code) == (
        "failed",
        "cut: the PBX stopped",
        487,
    )
    assert (record("hung-up").disposition, record("hung-up").end_reason) == (
        "no answer",
        "",
    )


def test_an_agent_answers_the_call_and_the_record_names_the_agent_and_the_wait(db):
    # The worker's 200 OK reaches the records after the worker said
    # "queued": it must not make the call answered either.
    queue_call(
        "a",
        queued(),
        worker_answered(),
        queued(0.3),  # the worker's own word that the caller joined
        left(12, "answered", agent="102"),
        ended(72),
    )

    call = record("a")
    assert (call.disposition, call.agent, call.wait_s) == ("answered", "102", 12)
    assert call.billsec == 60  # talk time with the agent, not the wait
    assert call.duration == 72
    (row,) = csv.reader(io.StringIO(records.master_csv([call])))
    columns = dict(zip(records.MASTER_CSV_COLUMNS, row, strict=True))
    assert (columns["dst"], columns["dstchannel"]) == ("600", "SIP/102")
    assert (columns["lastapp"], columns["lastdata"]) == ("Queue", "600")
    assert (columns["billsec"], columns["disposition"]) == ("60", "ANSWERED")
    assert len(row) == len(records.MASTER_CSV_COLUMNS)
    # A search for the agent's number finds the calls the agent took, and
    # so does a role that sees only the agent's extension.
    assert [r.call_id for r in records.search(SYSTEM, number="102")] == ["a"]
    desk = Principal(
        "desk",
        Role.OPERATOR,
        grants=frozenset({Permission.VIEW_CALL_ROUTING}),
        custom_role="desk",
        extensions=NumberRanges.parse("102"),
    )
    assert [r.call_id for r in records.search(desk)] == ["a"]


def test_a_caller_who_gives_up_waiting_is_no_answer_not_answered(db):
    # The caller's BYE passes Kamailio before the worker hears of it.
    queue_call("b", worker_answered(0.05), queued(), ended(30), left(30, "abandoned"))

    call = record("b")
    assert (call.disposition, call.queue_outcome) == ("no answer", "abandoned")
    assert (call.answer, call.agent, call.billsec, call.wait_s) == (None, "", 0, 30)
    (row,) = csv.reader(io.StringIO(records.master_csv([call])))
    assert row[6] == ""  # dstchannel: no agent
    assert row[14] == "NO ANSWER"


def test_a_call_timed_out_to_a_mailbox_is_voicemail_and_to_hangup_no_answer(db):
    queue_call(
        "c", queued(), worker_answered(), left(60, "timed out", failover="voicemail"),
        ended(90),
    )  # fmt: skip
    queue_call(
        "d", queued(), worker_answered(), left(60, "timed out", failover="hangup"),
        ended(60),
    )  # fmt: skip

    assert (record("c").disposition, record("c").queue_outcome) == (
        "voicemail",
        "timed out",
    )
    assert (record("d").disposition, record("d").agent) == ("no answer", "")


def test_a_queue_s_figures_count_offered_answered_abandoned_timed_out_and_waits(db):
    # Kamailio's routing and the worker both tell that call 1 joined.
    queue_call("1", queued(), queued(0.3), left(5, "answered", agent="102"), ended(65))
    queue_call("2", queued(), left(25, "answered", agent="102"), ended(45))
    queue_call("3", queued(), left(15, "answered", agent="103"), ended(115))
    queue_call("4", queued(), left(40, "abandoned"), ended(40))
    queue_call("5", queued(), left(35, "timed out", failover="hangup"), ended(35))
    queue_call("6", queued())  # still waiting
    event("started", "7", 0, direction="internal", src="101", dst="102")

    (sales,) = queue_figures(T0 - 1, T0 + 3600)

    figures = sales.to_dict()
    assert {
        k: figures[k] for k in ("offered", "answered", "abandoned", "timed_out")
    } == {
        "offered": 6,
        "answered": 3,
        "abandoned": 1,
        "timed_out": 1,
    }
    assert (figures["average_wait_s"], figures["longest_wait_s"]) == (24, 40)
    # Within 20 s: calls 1 and 3 of the 6 offered.
    assert (figures["service_level_s"], figures["service_level_percent"]) == (20, 33)
    assert figures["agents"] == [
        {"extension": "102", "answered": 2, "talk_s": 80},
        {"extension": "103", "answered": 1, "talk_s": 100},
    ]
    assert queue_figures(T0 + 3600, T0 + 7200)[0].service_level_percent is None


def test_the_call_report_s_csv_and_pdf_show_each_queue_and_its_agents(db):
    # Kamailio's routing and the worker both tell that call 1 joined.
    queue_call("1", queued(), queued(0.3), left(5, "answered", agent="102"), ended(65))
    queue_call("2", queued(), left(40, "abandoned"), ended(40))
    day = dt.datetime.fromtimestamp(T0, dt.UTC).date()

    report = ReportService(SYSTEM).report(period(None, day, day, timezone="UTC"))

    table = list(csv.DictReader(io.StringIO(files.csv_text(report))))
    (queue,) = [r for r in table if r["grouping"] == "queue"]
    assert (queue["key"], queue["name"], queue["calls"]) == ("600", "Sales", "2")
    assert (queue["answered"], queue["abandoned"], queue["timed_out"]) == (
        "1",
        "1",
        "0",
    )
    assert (queue["longest_wait_s"], queue["service_level_percent"]) == ("40", "50")
    (agent,) = [r for r in table if r["grouping"] == "queue agent"]
    assert (agent["key"], agent["answered"], agent["talk_s"]) == ("600/102", "1", "60")
    text = pdf_text(files.pdf_bytes(report))
    assert re.search(r"600 Sales\s+2\s+1\s+1\s+0\s+0:22\s+0:40\s+50 % in 20 s", text)
    assert "agent 102: 1 answered, 1:00 talking" in text


def test_report_show_prints_each_queue_and_its_agents(db, capsys, monkeypatch):
    monkeypatch.setattr(setup, "timezone", lambda: "UTC")
    # Kamailio's routing and the worker both tell that call 1 joined.
    queue_call("1", queued(), queued(0.3), left(5, "answered", agent="102"), ended(65))
    queue_call("2", queued(), left(40, "abandoned"), ended(40))
    day = dt.datetime.fromtimestamp(T0, dt.UTC).date()
    args = argparse.Namespace(
        preset=None, since=day.isoformat(), until=day.isoformat(), group="", json=False
    )

    report_show(None, args)

    text = capsys.readouterr().out
    assert (
        "600 Sales: 2 offered, 1 answered, 1 abandoned, 0 timed out; wait 22 s on "
        "average, 40 s longest; 50 % within 20 s"
    ) in text
    assert "agent 102: 1 answered, 1:00 talking" in text


def test_a_caller_timed_out_into_another_queue_counts_in_each_queue_for_its_part(db):
    CallQueue.create(number="601", name="Support", service_level_s=20)
    queue_call(
        "f", queued(), worker_answered(), left(30, "timed out", failover="queue"),
        ("queued", 30.1, {"queue": "601"}),
        ("queue_left", 40, {"queue": "601", "outcome": "answered", "agent": "103",
                            "wait_s": 9.9}),
        ended(100),
    )  # fmt: skip
    queue_call(
        "g", queued(), worker_answered(), left(30, "timed out", failover="queue"),
        ("queued", 30.1, {"queue": "601"}),
        ended(35),
        ("queue_left", 35, {"queue": "601", "outcome": "abandoned", "wait_s": 4.9}),
    )  # fmt: skip

    sales, support = queue_figures(T0 - 1, T0 + 3600)

    counted = ("offered", "answered", "abandoned", "timed_out", "longest_wait_s")
    assert {k: sales.to_dict()[k] for k in counted} == {
        "offered": 2,
        "answered": 0,
        "abandoned": 0,
        "timed_out": 2,
        "longest_wait_s": 30,
    }
    assert sales.service_level_percent == 0
    assert {k: support.to_dict()[k] for k in counted} == {
        "offered": 2,
        "answered": 1,
        "abandoned": 1,
        "timed_out": 0,
        "longest_wait_s": 10,
    }
    assert support.service_level_percent == 50
    assert support.to_dict()["agents"] == [
        {"extension": "103", "answered": 1, "talk_s": 60}
    ]
    assert sales.to_dict()["agents"] == []
    # The call's record is the queue it ended in, with that queue's wait.
    assert (record("f").queue, record("f").agent, record("f").wait_s) == (
        "601",
        "103",
        10,
    )
    assert (record("g").queue_outcome, record("g").disposition) == (
        "abandoned",
        "no answer",
    )


def test_calls_cut_by_the_pbx_are_closed_with_the_reason_and_waiting_callers_abandon(
    db,
):
    queue_call("waiting", queued(), worker_answered())
    event("started", "talking", 1, direction="internal", src="101", dst="102")
    event("answered", "talking", 3)
    event("started", "ringing", 5, direction="internal", src="103", dst="102")
    queue_call("over", ended(4))

    closed = records.close_cut_calls(T0 + 65, records.CUT_STOPPED)

    assert closed == 3
    talking, ringing = record("talking"), record("ringing")
    assert (talking.disposition, talking.duration, talking.billsec) == (
        "answered",
        64,
        62,
    )
    assert talking.end_reason == ringing.end_reason == "cut: the PBX stopped"
    assert talking.last_code == ringing.last_code == 0  # no phone's answer
    assert (ringing.disposition, ringing.duration) == ("failed", 60)
    waiting = record("waiting")
    assert (waiting.disposition, waiting.queue_outcome) == ("no answer", "abandoned")
    assert [p.outcome for p in records.QueueCallPart.select()] == ["abandoned"]
    assert record("over").end_reason == ""
    # A second pass finds nothing open: the ended calls keep their reason.
    assert records.close_cut_calls(T0 + 99, records.CUT_WENT_DOWN) == 0
    assert record("talking").end_reason == "cut: the PBX stopped"


def test_the_open_calls_a_stop_closes_are_found_without_reading_every_record(db):
    event("started", "talking", 1, direction="internal", src="101", dst="102")
    open_calls = records.CallRecord.select().where(
        records.CallRecord.ended_at.is_null()
    )
    sql, params = open_calls.sql()

    plan = db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()

    # The partial index of migration 41 holds only the calls still going.
    assert [step[-1] for step in plan] == ["SCAN t1 USING INDEX cdr_open_idx"]
    assert [r.call_id for r in open_calls] == ["talking"]
