"""The Reports page: call figures of a period as tables and SVG charts, their
CSV and PDF downloads, and the reports e-mailed on a schedule.

The same services as ``edgepbx report`` and ``/api/v1/reports``
(``agent.reports``). A refused period, grouping or schedule is shown beside
its field; nothing is saved then.
"""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, NotFound, PbxError
from agent.mail import MailNotSent
from agent.reports import charts, files
from agent.reports.figures import (
    GROUPING_TITLES,
    GROUPINGS,
    PRESETS,
    CallReport,
    ReportService,
    groupings,
    period,
)
from agent.reports.schedules import ATTACHMENTS, FREQUENCIES, ScheduleService
from webadmin import access
from webadmin.pages import _field_errors, _form, render

PATH = "/reports"
QUERY_FIELDS = ("preset", "from", "to")
SCHEDULE_FIELDS = ("name", "frequency", "hour", "recipients")
#: The schedule form's fields as the page names them.
SCHEDULE_LABELS = {
    "name": "Name",
    "recipients": "Recipients",
    "frequency": "Sent",
    "hour": "At hour",
    "attach": "Attached",
}


def report_from_query(principal) -> tuple[dict, CallReport]:
    """The report the query string asks for (the page's and the files')."""
    query = bottle.request.query
    values = {name: query.getunicode(name, default="") or "" for name in QUERY_FIELDS}
    values["group"] = query.getall("group") or []
    if len(values["group"]) == 1 and "," in values["group"][0]:
        values["group"] = values["group"][0].split(",")
    # The form keeps the dates it had: a preset chosen beside them wins.
    preset = values["preset"] or None
    span = period(
        preset, None if preset else values["from"], None if preset else values["to"]
    )
    chosen = groupings(values["group"])
    return values, ReportService(principal).report(span, chosen)


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def schedules() -> ScheduleService:
        return ScheduleService(appliance.key, access.current().principal)

    def page(
        schedule_values: dict | None = None,
        schedule_errors: dict | None = None,
        status: int = 200,
    ) -> str:
        principal = access.current().principal
        report = None
        errors: dict = {}
        try:
            values, report = report_from_query(principal)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            query = bottle.request.query
            values = {n: query.getunicode(n, default="") or "" for n in QUERY_FIELDS}
            values["group"] = query.getall("group") or []
            errors = _field_errors(exc)
        listed = schedules().list()
        query_string = bottle.request.query_string
        suffix = f"?{query_string}" if query_string else ""
        return render(
            "reports",
            422 if errors else status,
            title="Call reports",
            report=report,
            values=values,
            errors=errors,
            presets=PRESETS,
            groupings=GROUPINGS,
            grouping_titles=GROUPING_TITLES,
            charts=_charts(report) if report else {},
            duration=files.duration,
            csv_link=f"{PATH}.csv{suffix}",
            pdf_link=f"{PATH}.pdf{suffix}",
            schedules=listed,
            frequencies=tuple(FREQUENCIES),
            attachments=ATTACHMENTS,
            schedule_values=schedule_values
            or {"frequency": "weekly", "hour": "7", "attach": list(ATTACHMENTS)},
            schedule_errors=schedule_errors or {},
        )

    @app.get(PATH)
    def report_page() -> str:
        return page()

    def download(suffix: str, media_type: str, render_file) -> bytes | str:
        """The report of the query string as a file of one type."""
        try:
            _, report = report_from_query(access.current().principal)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return render("error", 422, title="Not a report", message=str(exc))
        bottle.response.content_type = media_type
        bottle.response.set_header(
            "Content-Disposition", f'attachment; filename="{_stem(report)}{suffix}"'
        )
        return render_file(report)

    @app.get(f"{PATH}.csv")
    def report_csv() -> str:
        return download(".csv", "text/csv; charset=utf-8", files.csv_text)

    @app.get(f"{PATH}.pdf")
    def report_pdf() -> bytes | str:
        return download(".pdf", "application/pdf", files.pdf_bytes)

    @app.post(f"{PATH}/schedules")
    def add_schedule() -> str:
        values = {name: _form(name).strip() for name in SCHEDULE_FIELDS}
        values["attach"] = bottle.request.forms.getall("attach")
        try:
            schedules().add(
                values["name"],
                values["frequency"],
                values["hour"],
                values["recipients"],
                values["attach"],
            )
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            errors = _field_errors(exc, {"attachments": "attach"}, SCHEDULE_LABELS)
            return page(values, errors, 422)
        access.redirect(f"{PATH}?notice=report-scheduled#schedules", 303)

    @app.post(f"{PATH}/schedules/<name>/remove")
    def remove_schedule(name: str) -> str:
        try:
            schedules().remove(name)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except NotFound as exc:
            return render("error", 404, title="Not found", message=str(exc))
        access.redirect(f"{PATH}?notice=removed#schedules", 303)

    @app.post(f"{PATH}/schedules/<name>/send")
    def send_schedule(name: str) -> str:
        try:
            schedules().send_now(name)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except NotFound as exc:
            return render("error", 404, title="Not found", message=str(exc))
        except MailNotSent as exc:
            return page(None, {"send": str(exc)}, 502)
        access.redirect(f"{PATH}?notice=report-sent#schedules", 303)


def _stem(report: CallReport) -> str:
    return f"calls-{report.period.first.isoformat()}-{report.period.last.isoformat()}"


def _charts(report: CallReport) -> dict[str, str]:
    drawn = {}
    for name, rows in report.groups.items():
        if not rows:
            continue
        title = f"Calls by {GROUPING_TITLES[name].lower()}"
        if name in {"day", "hour"}:
            drawn[name] = charts.columns(rows, title)
        else:
            drawn[name] = charts.bars(rows, title)
    return drawn
