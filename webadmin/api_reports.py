"""``/api/v1/reports``: call reports as JSON, CSV or PDF, and the reports
e-mailed on a schedule.

The same services as the Reports page and ``edgepbx report``
(``agent.reports``), as the principal of the token or session.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.errors import InvalidInput
from agent.reports import files
from agent.reports.figures import ReportService, groupings, period
from agent.reports.schedules import ScheduleService
from webadmin import access
from webadmin.api import PREFIX, _json_response, api_route, json_object

log = logging.getLogger("edgepbx.web")

FORMATS = ("json", "csv", "pdf")
SCHEDULE_FIELDS = {
    "name": str,
    "frequency": str,
    "hour": int,
    "recipients": list[str],
    "attachments": list[str],
    "groupings": list[str],
}


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def schedules() -> ScheduleService:
        return ScheduleService(appliance.key, access.current().principal)

    @app.get(f"{PREFIX}/reports/calls")
    @api_route
    def call_report() -> str | bytes:
        query = bottle.request.query
        kind = query.get("format") or "json"
        if kind not in FORMATS:
            raise InvalidInput("format", kind, "one of " + ", ".join(FORMATS))
        span = period(
            query.getunicode("preset") or None,
            query.getunicode("from") or None,
            query.getunicode("to") or None,
        )
        chosen = groupings(",".join(query.getall("group")))
        report = ReportService(access.current().principal).report(span, chosen)
        stem = f"calls-{span.first.isoformat()}-{span.last.isoformat()}"
        if kind == "csv":
            bottle.response.content_type = "text/csv; charset=utf-8"
            bottle.response.set_header(
                "Content-Disposition", f'attachment; filename="{stem}.csv"'
            )
            return files.csv_text(report)
        if kind == "pdf":
            bottle.response.content_type = "application/pdf"
            bottle.response.set_header(
                "Content-Disposition", f'attachment; filename="{stem}.pdf"'
            )
            return files.pdf_bytes(report)
        return _json_response(report.to_dict())

    @app.get(f"{PREFIX}/reports/schedules")
    @api_route
    def list_schedules() -> str:
        return _json_response([s.to_dict() for s in schedules().list()])

    @app.post(f"{PREFIX}/reports/schedules")
    @api_route
    def add_schedule() -> str:
        body = json_object(SCHEDULE_FIELDS)
        for name in ("name", "frequency"):
            if name not in body:
                raise InvalidInput(name, None, "required")
        if "recipients" not in body:
            raise InvalidInput("recipients", None, "at least one e-mail address")
        if "hour" not in body:
            raise InvalidInput("hour", None, "a whole hour from 0 to 23")
        added = schedules().add(
            body["name"],
            body["frequency"],
            body["hour"],
            body["recipients"],
            body.get("attachments", ["csv", "pdf"]),
            body.get("groupings"),
        )
        return _json_response(added.to_dict(), 201)

    @app.get(f"{PREFIX}/reports/schedules/<name>")
    @api_route
    def get_schedule(name: str) -> str:
        return _json_response(schedules().get(name).to_dict())

    @app.delete(f"{PREFIX}/reports/schedules/<name>")
    @api_route
    def remove_schedule(name: str) -> str:
        schedules().remove(name)
        bottle.response.status = 204
        return ""

    @app.post(f"{PREFIX}/reports/schedules/<name>/send")
    @api_route
    def send_schedule(name: str) -> str:
        return _json_response(schedules().send_now(name).to_dict())
