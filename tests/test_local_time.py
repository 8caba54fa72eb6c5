"""Times as the office reads them, over a real SQLite database: the days a
person types to narrow a search are days of the appliance's time zone, and
the Master.csv export and the voicemail e-mail show that zone's clock."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

import pytest

from agent import setup, system_settings
from agent.accounts.roles import SYSTEM
from agent.cdr import records
from agent.db import open_database
from agent.db.migrations import migrate
from agent.errors import InvalidInput
from agent.events.service import EventService
from agent.trunks.models import CallRecord
from agent.voicemail.email import render
from agent.voicemail.service import MessageInfo

ZONE = "America/New_York"
NEW_YORK = zoneinfo.ZoneInfo(ZONE)


def at(text: str) -> float:
    """New York wall-clock time as Unix seconds."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=NEW_YORK).timestamp()


@pytest.fixture
def office(tmp_path):
    db = open_database(tmp_path / "edgepbx.sqlite")
    migrate(db)
    system_settings.put(setup.TIMEZONE, ZONE)
    # 21:30 on 1 December in New York is already 02:30 on the 2nd in UTC.
    for n, start in enumerate(("2026-12-01 21:30", "2026-12-02 08:00")):
        started = at(start)
        CallRecord.create(
            call_id=f"call-{n}",
            direction="internal",
            src="101",
            dst="102",
            started_at=started,
            answered_at=started + 2,
            ended_at=started + 62,
            disposition="answered",
        )
    yield
    db.close()


def test_a_day_typed_is_a_day_of_the_appliance_s_zone(office):
    first = records.search(SYSTEM, since="2026-12-01", until="2026-12-01")
    second = records.search(SYSTEM, since="2026-12-02")

    assert [r.call_id for r in first] == ["call-0"]
    assert [r.call_id for r in second] == ["call-1"]
    # The API still hands out UTC, offset included, for programs.
    assert first[0].start == "2026-12-02T02:30:00+00:00"


def test_master_csv_writes_the_appliance_s_clock(office):
    newest, oldest = csv.reader(io.StringIO(records.master_csv(records.search(SYSTEM))))

    # start, answer, end: the columns Asterisk writes in its server's time.
    assert oldest[9:12] == [
        "2026-12-01 21:30:00",
        "2026-12-01 21:30:02",
        "2026-12-01 21:31:02",
    ]
    assert newest[9] == "2026-12-02 08:00:00"


def test_a_day_that_is_no_date_is_refused_naming_the_field(office):
    with pytest.raises(InvalidInput) as refused:
        records.search(SYSTEM, since="1 December")
    with pytest.raises(InvalidInput) as refused_event_day:
        EventService(SYSTEM).list(until="2026-13-01")

    assert refused.value.field == "since"
    assert refused_event_day.value.field == "until"


def test_the_voicemail_mail_says_when_in_the_appliance_s_zone(office):
    message = MessageInfo(
        id=1,
        extension="101",
        caller="102",
        caller_name="",
        reason="noanswer",
        received_at="2026-12-02T02:30:00+00:00",
        duration_s=12.0,
        heard=False,
        path="",
    )
    _subject, body = render(message)

    assert "Received: 2026-12-01 21:30:00 (America/New_York)" in body
