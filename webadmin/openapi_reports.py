"""The OpenAPI description of ``webadmin.api_reports``."""

from __future__ import annotations

from agent.reports.figures import GROUPINGS, MAX_DAYS, PRESETS
from agent.reports.schedules import (
    ATTACHMENTS,
    FREQUENCIES,
    NAME_MAX,
    RECIPIENTS_MAX,
)
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response
from webadmin.openapi_queues import QUEUE_FIGURES

SCHEDULE_REF = {"$ref": "#/components/schemas/ReportSchedule"}
_INT = {"type": "integer", "minimum": 0}
_FIGURES = {
    "calls": _INT,
    "answered": _INT,
    "missed": {**_INT, "description": "no answer, busy and failed"},
    "no_answer": _INT,
    "voicemail": {**_INT, "description": "calls a mailbox took (not missed)"},
    "busy": _INT,
    "failed": _INT,
    "talk_s": {**_INT, "description": "talk time of the answered calls, seconds"},
    "average_talk_s": _INT,
}
_NAME_PARAMETER = {
    "name": "name",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "the scheduled report's name",
}

SCHEMAS: dict = {
    "ReportFigures": {"type": "object", "properties": _FIGURES},
    "ReportRow": {
        "type": "object",
        "properties": {
            "key": {
                "type": "string",
                "description": "extension or ring group number, trunk name, "
                "date (YYYY-MM-DD) or hour (00 to 23)",
            },
            "label": {"type": "string"},
            **_FIGURES,
        },
    },
    "CallReport": {
        "type": "object",
        "properties": {
            "period": {
                "type": "object",
                "properties": {
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"},
                    "timezone": {"type": "string"},
                    "preset": {"type": ["string", "null"]},
                },
            },
            "extensions": {
                "type": ["string", "null"],
                "description": "the ranges the figures are narrowed to by the "
                "caller's role; null for every extension",
            },
            "totals": {"$ref": "#/components/schemas/ReportFigures"},
            "groups": {
                "type": "object",
                "properties": {
                    name: {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/ReportRow"},
                    }
                    for name in GROUPINGS
                },
            },
            "queues": {
                "type": "array",
                "description": "every call queue's figures",
                "items": QUEUE_FIGURES,
            },
        },
    },
    "ReportSchedule": {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "name": {"type": "string", "maxLength": NAME_MAX},
            "frequency": {
                "enum": list(FREQUENCIES),
                "description": "daily: yesterday's calls; weekly (Mondays): last "
                "week's; monthly (on the 1st): last month's",
            },
            "hour": {
                "type": "integer",
                "minimum": 0,
                "maximum": 23,
                "description": "the hour it is sent, in the system time zone",
            },
            "recipients": {
                "type": "array",
                "items": {"type": "string", "format": "email"},
                "minItems": 1,
                "maxItems": RECIPIENTS_MAX,
            },
            "attachments": {
                "type": "array",
                "items": {"enum": list(ATTACHMENTS)},
                "minItems": 1,
            },
            "groupings": {"type": "array", "items": {"enum": list(GROUPINGS)}},
            "extensions": {"type": ["string", "null"], "readOnly": True},
            "next_run": {"type": "string", "readOnly": True},
            "last_sent": {"type": ["string", "null"], "readOnly": True},
            "failures": {"type": "integer", "readOnly": True},
            "last_error": {"type": "string", "readOnly": True},
        },
    },
    "NewReportSchedule": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "frequency", "hour", "recipients"],
        "properties": {
            "name": {"type": "string", "maxLength": NAME_MAX},
            "frequency": {"enum": list(FREQUENCIES)},
            "hour": {"type": "integer", "minimum": 0, "maximum": 23},
            "recipients": {
                "type": "array",
                "items": {"type": "string", "format": "email"},
                "minItems": 1,
                "maxItems": RECIPIENTS_MAX,
            },
            "attachments": {
                "type": "array",
                "items": {"enum": list(ATTACHMENTS)},
                "default": list(ATTACHMENTS),
            },
            "groupings": {
                "type": "array",
                "items": {"enum": list(GROUPINGS)},
                "description": "left out or empty: all",
            },
        },
    },
}

_REPORT_PARAMETERS = [
    {
        "name": "preset",
        "in": "query",
        "schema": {"enum": list(PRESETS)},
        "description": "a period by name; or give from and to",
    },
    {
        "name": "from",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "first day, in the system time zone",
    },
    {
        "name": "to",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": f"last day (inclusive), at most {MAX_DAYS} days after from",
    },
    {
        "name": "group",
        "in": "query",
        "schema": {"type": "array", "items": {"enum": list(GROUPINGS)}},
        "style": "form",
        "explode": True,
        "description": "the groupings to include; all if left out",
    },
    {
        "name": "format",
        "in": "query",
        "schema": {"enum": ["json", "csv", "pdf"], "default": "json"},
    },
]

PATHS: dict = {
    "/reports/calls": {
        "get": {
            "operationId": "getCallReport",
            "summary": "Call figures of a period, as JSON, CSV or PDF",
            "description": "Without preset, from or to: today. A role narrowed "
            "to extension ranges gets the calls whose caller or callee is in "
            "its ranges, and only those extensions' rows.",
            "parameters": _REPORT_PARAMETERS,
            "responses": {
                "200": {
                    "description": "the report",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/CallReport"}
                        },
                        "text/csv": {"schema": {"type": "string"}},
                        "application/pdf": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                    },
                },
                "422": problem_response(
                    "a bad date, from after to, too long a period, an unknown "
                    "preset, grouping or format"
                ),
                **ACCESS_ERRORS,
            },
        },
    },
    "/reports/schedules": {
        "get": {
            "operationId": "listReportSchedules",
            "summary": "The reports e-mailed on a schedule",
            "responses": {
                "200": json_response(
                    {"type": "array", "items": SCHEDULE_REF}, "the schedules"
                ),
                **ACCESS_ERRORS,
            },
        },
        "post": {
            "operationId": "addReportSchedule",
            "summary": "E-mail a report daily, weekly or monthly",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/NewReportSchedule"}
                    }
                },
            },
            "responses": {
                "201": json_response(SCHEDULE_REF, "scheduled"),
                "400": problem_response(
                    "not a JSON object, an unknown field, or a field of the wrong "
                    "JSON type"
                ),
                "409": problem_response("a scheduled report has this name"),
                "415": problem_response("the body is not JSON"),
                "422": problem_response(
                    "a recipient that is no e-mail address, an hour out of range, "
                    "an unknown frequency, attachment or grouping"
                ),
                **ACCESS_ERRORS,
            },
        },
    },
    "/reports/schedules/{name}": {
        "parameters": [_NAME_PARAMETER],
        "get": {
            "operationId": "getReportSchedule",
            "summary": "One scheduled report",
            "responses": {
                "200": json_response(SCHEDULE_REF, "the schedule"),
                "404": problem_response("no such scheduled report"),
                **ACCESS_ERRORS,
            },
        },
        "delete": {
            "operationId": "removeReportSchedule",
            "summary": "Stop e-mailing a report",
            "responses": {
                "204": {"description": "removed"},
                "404": problem_response("no such scheduled report"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/reports/schedules/{name}/send": {
        "parameters": [_NAME_PARAMETER],
        "post": {
            "operationId": "sendReportSchedule",
            "summary": "Send the report now, for its latest full period",
            "responses": {
                "200": json_response(SCHEDULE_REF, "sent"),
                "404": problem_response("no such scheduled report"),
                "502": problem_response("the mail server is not set or refused it"),
                **ACCESS_ERRORS,
            },
        },
    },
}
