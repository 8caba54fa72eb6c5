"""Call reports checked against real calls: pjsua2 phones call each other
through a real Kamailio (one answered call, one the caller gives up on while
it rings, one the callee answers busy), and the figures on the Reports page,
in the API's JSON, in the CSV and in the PDF (its text, read by pdftotext)
are those calls. A scheduled report sent now reaches a real SMTP server with
both files attached, and a role narrowed to other extensions sees none of
these calls."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time

import pytest

from tests.mailserver import MailServer
from tests.pbx import RunningPbx
from tests.pdftext import pdf_text
from tests.sipphone import Phone
from tests.webclient import api_client, client, signed_in

TALK_S = 2.0
# The records are written by the agent from Kamailio's datagrams: give the
# last one a moment to land.
RECORDS_WAIT_S = 10.0


def phone(pbx, number, password, tone_hz, answer="answer") -> Phone:
    return Phone(
        number,
        password,
        server="127.0.0.1",
        port=pbx.sip_port,
        tone_hz=tone_hz,
        answer_incoming=answer,
    )


def _dates() -> tuple[str, str]:
    """Yesterday to tomorrow (UTC, the appliance's zone): calls made around
    midnight still fall inside."""
    today = dt.datetime.now(dt.UTC).date()
    first, last = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    return first.isoformat(), last.isoformat()


def _period() -> str:
    first, last = _dates()
    return f"from={first}&to={last}"


@pytest.fixture(scope="module")
def called(tmp_path_factory):
    """An appliance after three calls from 101: to 102 (answered, talked
    TALK_S), to 103 (rang, 101 hung up) and to 104 (busy)."""
    pbx = RunningPbx(tmp_path_factory.mktemp("reports") / "var").start()
    try:
        secrets = {n: pbx.add_extension(n) for n in ("101", "102", "103", "104")}
        with (
            phone(pbx, "101", secrets["101"], 697) as caller,
            phone(pbx, "102", secrets["102"], 1209) as answers,
            phone(pbx, "103", secrets["103"], 1336, answer="ring") as rings,
            phone(pbx, "104", secrets["104"], 1477, answer="busy") as busy,
        ):
            assert {caller.register(), answers.register()} == {200}
            assert {rings.register(), busy.register()} == {200}

            talk = caller.call("102")
            talk.wait_confirmed()
            answers.wait_incoming().wait_confirmed()
            time.sleep(TALK_S)
            talk.hangup()
            talk.wait_disconnected()

            ringing = caller.call("103")
            rings.wait_incoming()
            ringing.wait_ringing()
            ringing.hangup()
            ringing.wait_disconnected()

            refused = caller.call("104")
            assert refused.wait_disconnected() == 486
        _wait_for_records(pbx, 3)
        yield pbx
    finally:
        pbx.stop()


def _wait_for_records(pbx, count: int) -> None:
    deadline = time.monotonic() + RECORDS_WAIT_S
    while time.monotonic() < deadline:
        first, last = _dates()
        listed = pbx.cli(
            "report", "show", "--from", first, "--to", last, "--json"
        ).json()  # fmt: skip
        totals = listed["totals"]
        if totals["missed"] + totals["answered"] + totals["voicemail"] >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"{count} ended calls not recorded in {RECORDS_WAIT_S} s")


def _billsec(pbx) -> int:
    """The answered call's talk time as its call record has it."""
    admin = api_client(pbx, "administrator")
    first, last = _dates()
    records = admin.get(f"/api/v1/cdr?since={first}&until={last}").json()
    (answered,) = [r for r in records if r["disposition"] == "answered"]
    return answered["billsec"]


def test_the_api_report_counts_the_answered_unanswered_and_busy_calls(called):
    admin = api_client(called, "administrator")

    report = admin.get(f"/api/v1/reports/calls?{_period()}").json()

    totals = report["totals"]
    assert (totals["calls"], totals["answered"], totals["missed"]) == (3, 1, 2)
    assert (totals["no_answer"], totals["busy"], totals["failed"]) == (1, 1, 0)
    assert totals["talk_s"] == _billsec(called) >= TALK_S - 1
    extensions = {r["key"]: r for r in report["groups"]["extension"]}
    assert extensions["101"]["calls"] == 3
    assert (extensions["102"]["answered"], extensions["103"]["no_answer"]) == (1, 1)
    assert extensions["104"]["busy"] == 1
    assert sum(d["calls"] for d in report["groups"]["day"]) == 3
    assert report["groups"]["trunk"] == [] and report["groups"]["ring_group"] == []


def test_the_reports_page_shows_the_calls_figures_and_charts(called):
    web = signed_in(called)

    page = web.get(f"/reports?{_period()}")

    assert page.status == 200
    figures = dict(re.findall(r'<td data-figure="(\w+)">([^<]*)</td>', page.body))
    assert (figures["calls"], figures["answered"], figures["missed"]) == ("3", "1", "2")
    assert (figures["no_answer"], figures["busy"]) == ("1", "1")
    assert page.body.count("<svg") >= 3  # extension, day and hour charts
    assert '<tr data-key="104"><th scope="row">104' in page.body
    assert 'href="/reports"' in page.body  # the navigation's link


def test_the_csv_download_holds_the_same_figures(called):
    web = signed_in(called)

    got = web.get(f"/reports.csv?{_period()}")

    assert got.status == 200 and got.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(got.body)))
    total = rows[0]
    assert (total["grouping"], total["calls"], total["answered"]) == ("total", "3", "1")
    assert (total["busy"], total["no_answer"]) == ("1", "1")
    assert total["talk_s"] == str(_billsec(called))
    by_extension = {r["key"]: r for r in rows if r["grouping"] == "extension"}
    assert by_extension["104"]["busy"] == "1"


def test_the_pdf_download_reads_as_the_same_figures(called):
    admin = api_client(called, "administrator")

    got = admin.get(f"/api/v1/reports/calls?{_period()}&format=pdf")

    assert got.status == 200 and got.content_type == "application/pdf"
    text = pdf_text(got.body_bytes)
    # Calls, answered, missed, busy, failed, voicemail, then talk time as m:ss.
    talk = _billsec(called)
    assert re.search(rf"All calls\s+3\s+1\s+2\s+1\s+0\s+0\s+0:{talk:02d}\b", text), text
    assert re.search(r"104\s+1\s+0\s+1\s+1\s+0\s+0\b", text), text


def test_a_scheduled_report_sent_now_arrives_with_csv_and_pdf(called):
    smtp = MailServer().start()
    try:
        called.cli(
            "mail", "set", "--host=127.0.0.1", f"--port={smtp.port}",
            "--security=none", "--sender=pbx@example.com",
        )  # fmt: skip
        added = called.cli(
            "report", "schedule", "add", "Front desk daily", "--frequency", "daily",
            "--hour", "6", "--to", "boss@example.com,desk@example.com", "--json",
        )  # fmt: skip
        sent = called.cli("report", "schedule", "send", "Front desk daily")
        (received,) = smtp.wait_for(1)
    finally:
        smtp.stop()

    assert added.returncode == 0, added.stderr
    assert sent.returncode == 0, sent.stderr
    assert sorted(received.recipients) == ["boss@example.com", "desk@example.com"]
    assert received.message["Subject"].startswith("edgepbx: Front desk daily, ")
    kinds = sorted(p.get_content_type() for p in received.message.iter_attachments())
    assert kinds == ["application/pdf", "text/csv"]
    listed = called.cli("report", "schedule", "list", "--json").json()
    assert [s["name"] for s in listed] == ["Front desk daily"]
    assert listed[0]["last_sent"] is not None


def test_a_role_for_other_extensions_sees_none_of_these_calls(called):
    made = called.cli(
        "role", "add", "warehouse", "--module", "reports=view",
        "--extensions", "200-299",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = called.cli(
        "token", "create", "--role", "warehouse", "--name", "w", "--json"
    )  # fmt: skip
    assert token.returncode == 0, token.stderr
    web = client(called)
    web.bearer = token.json()["token"]

    report = web.get(f"/api/v1/reports/calls?{_period()}").json()

    assert report["totals"]["calls"] == 0
    assert report["groups"]["extension"] == []
    assert report["extensions"] == "200-299"


def test_bad_report_queries_are_refused_naming_the_field(called):
    admin = api_client(called, "administrator")

    backwards = admin.get("/api/v1/reports/calls?from=2026-12-05&to=2026-12-01")
    too_long = admin.get("/api/v1/reports/calls?from=2024-01-01&to=2026-12-01")
    grouping = admin.get("/api/v1/reports/calls?group=queue")
    recipient = admin.request(
        "POST",
        "/api/v1/reports/schedules",
        json_body={
            "name": "Bad",
            "frequency": "daily",
            "hour": 6,
            "recipients": ["boss@example.com", "nobody"],
        },
    )
    page = signed_in(called).get("/reports?from=2026-12-05&to=2026-12-01")

    assert backwards.status == too_long.status == grouping.status == 422
    assert backwards.json()["field"] == "from"
    assert too_long.json()["field"] == "to"
    assert grouping.json()["field"] == "group"
    assert recipient.status == 422 and recipient.json()["field"] == "recipients"
    listed = admin.get("/api/v1/reports/schedules").json()
    assert "Bad" not in [s["name"] for s in listed]
    assert page.status == 422 and 'id="error-from"' in page.body


def test_the_schedule_form_names_a_missing_attachment_by_its_label(called):
    web = signed_in(called)

    refused = web.post_form(
        "/reports/schedules",
        {
            "name": "Nothing attached",
            "frequency": "daily",
            "hour": "6",
            "recipients": "boss@example.com",
        },
        csrf_from="/reports",
    )

    assert refused.status == 422
    assert '<p class="field-error">Attached: csv, pdf or both</p>' in refused.body
    listed = api_client(called, "administrator").get("/api/v1/reports/schedules")
    assert "Nothing attached" not in [s["name"] for s in listed.json()]
