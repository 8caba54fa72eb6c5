"""The OpenAPI description of the scheduled backups (webadmin/api_system.py)."""

from __future__ import annotations

from agent.backup.schedule import FREQUENCIES, KEEP_RANGE, WEEKDAYS
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_SCHEDULE = {"$ref": "#/components/schemas/BackupSchedule"}
_STORED = {"$ref": "#/components/schemas/StoredBackup"}

SCHEMAS: dict = {
    "BackupSchedule": {
        "type": "object",
        "additionalProperties": False,
        "description": "In a PUT, fields left out keep their value.",
        "properties": {
            "frequency": {"type": "string", "enum": list(FREQUENCIES)},
            "hour": {
                "type": "integer",
                "minimum": 0,
                "maximum": 23,
                "description": "the hour of the appliance's time zone",
            },
            "weekday": {
                "type": ["string", "null"],
                "enum": [*WEEKDAYS, None],
                "description": "the day of weekly backups; null when daily or "
                "off (a PUT's null keeps the stored day; a day with a daily or "
                "off schedule is refused)",
            },
            "keep": {
                "type": "integer",
                "minimum": KEEP_RANGE[0],
                "maximum": KEEP_RANGE[1],
                "description": "how many scheduled backups stay; older ones go",
            },
            "sealed": {
                "type": "boolean",
                "readOnly": True,
                "description": "whether a passphrase seals each backup",
            },
            "passphrase": {
                "type": ["string", "null"],
                "writeOnly": True,
                "description": "12 characters or more seals each backup; null "
                "stops sealing; left out keeps it. Never shown again.",
            },
        },
    },
    "StoredBackup": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "size": {"type": "integer"},
            "made_at": {"type": "string", "format": "date-time"},
        },
    },
}

PATHS: dict = {
    "/backups/schedule": {
        "get": {
            "operationId": "getBackupSchedule",
            "summary": "When backups are made and kept on the box",
            "responses": {
                "200": json_response(_SCHEDULE, "the schedule"),
                **ACCESS_ERRORS,
            },
        },
        "put": {
            "operationId": "setBackupSchedule",
            "summary": "Change when backups are made and how many are kept",
            "description": "A refused change changes nothing.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _SCHEDULE}},
            },
            "responses": {
                "200": json_response(_SCHEDULE, "the schedule as changed"),
                "400": problem_response(
                    "not a JSON object of these fields, or a field of the wrong "
                    "JSON type (true is no number)"
                ),
                "422": problem_response("a field breaks its rule"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/backups/stored": {
        "get": {
            "operationId": "listStoredBackups",
            "summary": "The scheduled backups on the box, newest first",
            "responses": {
                "200": json_response(
                    {"type": "array", "items": _STORED}, "the stored backups"
                ),
                **ACCESS_ERRORS,
            },
        }
    },
    "/backups/stored/{name}": {
        "parameters": [
            {
                "name": "name",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
        "get": {
            "operationId": "downloadStoredBackup",
            "summary": "Download one stored backup",
            "responses": {
                "200": {
                    "description": "the backup file (sealed with a passphrase)",
                    "content": {
                        "application/gzip": {},
                        "application/octet-stream": {},
                    },
                },
                "404": problem_response("no such stored backup"),
                **ACCESS_ERRORS,
            },
        },
    },
}
