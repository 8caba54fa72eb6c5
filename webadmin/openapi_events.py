"""The OpenAPI description of the event center (``webadmin.api_events``)."""

from __future__ import annotations

from agent.events.catalogue import TYPES, WEBHOOK_TYPES, Severity
from agent.events.service import PER_PAGE_MAX, URL_MAX
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_ERRORS = ACCESS_ERRORS
_TYPE_NAMES = list(TYPES)
_SEVERITIES = [s.value for s in Severity]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_CHANGE_ERRORS = {
    "400": problem_response("not a JSON object, an unknown field or a wrong type"),
    "415": problem_response("not application/json"),
    "422": problem_response("a value broke its rule; field names it"),
}

SCHEMAS: dict = {
    "Event": {
        "type": "object",
        "required": ["id", "at", "type", "severity", "object", "summary", "details"],
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "number", "description": "Unix time"},
            "type": {"type": "string", "enum": _TYPE_NAMES},
            "severity": {"type": "string", "enum": _SEVERITIES},
            "object": {"type": "string", "description": "what it happened to"},
            "summary": {"type": "string", "description": "one line for people"},
            "details": {"type": "object"},
        },
    },
    "EventPage": {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": _ref("Event")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    },
    "EventNotification": {
        "type": "object",
        "required": [
            "type",
            "label",
            "severity",
            "cause",
            "email",
            "recipients",
            "webhook",
        ],
        "properties": {
            "type": {"type": "string", "enum": _TYPE_NAMES},
            "label": {"type": "string"},
            "severity": {"type": "string", "enum": _SEVERITIES},
            "cause": {"type": "string"},
            "email": {"type": "boolean"},
            "recipients": {
                "type": "array",
                "items": {"type": "string", "format": "email"},
            },
            "webhook": {"type": "boolean"},
        },
    },
    "EventNotificationChanges": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "email": {"type": "boolean"},
            "recipients": {
                "type": "array",
                "items": {"type": "string", "format": "email"},
            },
            "webhook": {"type": "boolean"},
        },
    },
    "EventOptions": {
        "type": "object",
        "required": [
            "retention_days",
            "mail_window_s",
            "emergency_numbers",
            "disk_percent",
            "cpu_percent",
            "memory_percent",
        ],
        "properties": {
            "retention_days": {"type": "integer", "minimum": 1},
            "mail_window_s": {"type": "integer", "minimum": 60},
            "emergency_numbers": {"type": "array", "items": {"type": "string"}},
            "disk_percent": {"type": "integer", "minimum": 1, "maximum": 100},
            "cpu_percent": {"type": "integer", "minimum": 1, "maximum": 100},
            "memory_percent": {"type": "integer", "minimum": 1, "maximum": 100},
        },
    },
    "EventOptionChanges": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "retention_days": {"type": "integer", "minimum": 1, "maximum": 3650},
            "mail_window_s": {"type": "integer", "minimum": 60, "maximum": 86400},
            "emergency_numbers": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-9]{2,8}$"},
            },
            "disk_percent": {"type": "integer", "minimum": 1, "maximum": 100},
            "cpu_percent": {"type": "integer", "minimum": 1, "maximum": 100},
            "memory_percent": {"type": "integer", "minimum": 1, "maximum": 100},
        },
    },
    "Webhook": {
        "type": "object",
        "required": ["id", "url", "types", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "types": {
                "type": "array",
                "items": {"type": "string", "enum": list(WEBHOOK_TYPES)},
            },
            "created_at": {"type": "string"},
        },
    },
    "NewWebhook": {
        "type": "object",
        "required": ["url", "types"],
        "additionalProperties": False,
        "properties": {
            "url": {
                "type": "string",
                "maxLength": URL_MAX,
                "description": "http:// or https://",
            },
            "types": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "enum": list(WEBHOOK_TYPES)},
            },
            "secret": {
                "type": ["string", "null"],
                "description": "16 to 256 characters; generated if left out",
            },
        },
    },
    "AddedWebhook": {
        "allOf": [
            _ref("Webhook"),
            {
                "type": "object",
                "required": ["secret"],
                "properties": {
                    "secret": {
                        "type": "string",
                        "description": "the signing secret, answered this once",
                    }
                },
            },
        ]
    },
}

_FILTERS = [
    {"name": "type", "in": "query", "schema": {"type": "string", "enum": _TYPE_NAMES}},
    {
        "name": "severity",
        "in": "query",
        "schema": {"type": "string", "enum": _SEVERITIES},
    },
    {
        "name": "since",
        "in": "query",
        "description": "from this day (the appliance's time zone)",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "until",
        "in": "query",
        "description": "up to this day (the appliance's time zone), included",
        "schema": {"type": "string", "format": "date"},
    },
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX},
    },
]
_WEBHOOK_ID = {
    "name": "webhook_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}

PATHS: dict = {
    "/events": {
        "get": {
            "operationId": "listEvents",
            "summary": "Events, newest first, filtered and one page at a time",
            "parameters": _FILTERS,
            "responses": {
                "200": json_response(_ref("EventPage"), "a page of events"),
                "422": problem_response(
                    "a filter broke its rule (until before since), or is not"
                    " one of these; field names it"
                ),
                **_ERRORS,
            },
        }
    },
    "/events/notifications": {
        "get": {
            "operationId": "listEventNotifications",
            "summary": "Who is told of each event type, by mail and webhook",
            "responses": {
                "200": json_response(
                    {"type": "array", "items": _ref("EventNotification")},
                    "every event type",
                ),
                **_ERRORS,
            },
        }
    },
    "/events/notifications/{kind}": {
        "put": {
            "operationId": "setEventNotification",
            "summary": "Change how one event type is announced",
            "parameters": [
                {
                    "name": "kind",
                    "in": "path",
                    "description": "the event type",
                    "required": True,
                    "schema": {"type": "string", "enum": _TYPE_NAMES},
                }
            ],
            "requestBody": _json_body(_ref("EventNotificationChanges")),
            "responses": {
                "200": json_response(_ref("EventNotification"), "the setting now"),
                **_CHANGE_ERRORS,
                **_ERRORS,
            },
        }
    },
    "/events/options": {
        "get": {
            "operationId": "getEventOptions",
            "summary": "Retention, mail window, emergency numbers, thresholds",
            "responses": {
                "200": json_response(_ref("EventOptions"), "the options"),
                **_ERRORS,
            },
        },
        "patch": {
            "operationId": "changeEventOptions",
            "summary": "Change some options; a refused change keeps all",
            "requestBody": _json_body(_ref("EventOptionChanges")),
            "responses": {
                "200": json_response(_ref("EventOptions"), "the options now"),
                **_CHANGE_ERRORS,
                **_ERRORS,
            },
        },
    },
    "/webhooks": {
        "get": {
            "operationId": "listWebhooks",
            "summary": "Outgoing webhooks (never their secrets)",
            "responses": {
                "200": json_response(
                    {"type": "array", "items": _ref("Webhook")}, "the webhooks"
                ),
                **_ERRORS,
            },
        },
        "post": {
            "operationId": "addWebhook",
            "summary": "Add a webhook; its secret is answered this once",
            "requestBody": _json_body(_ref("NewWebhook")),
            "responses": {
                "201": json_response(_ref("AddedWebhook"), "the webhook"),
                **_CHANGE_ERRORS,
                **_ERRORS,
            },
        },
    },
    "/webhooks/{webhook_id}/test": {
        "post": {
            "operationId": "testWebhook",
            "summary": "Send a signed test event now",
            "parameters": [_WEBHOOK_ID],
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "delivered": {"type": "boolean"},
                            "status": {"type": "integer"},
                        },
                    },
                    "the receiver took it",
                ),
                "404": problem_response("no such webhook"),
                "422": problem_response("not a webhook number"),
                "502": problem_response("the receiver refused or was unreachable"),
                **_ERRORS,
            },
        }
    },
    "/webhooks/{webhook_id}": {
        "delete": {
            "operationId": "removeWebhook",
            "summary": "Remove a webhook",
            "parameters": [_WEBHOOK_ID],
            "responses": {
                "204": {"description": "removed"},
                "404": problem_response("no such webhook"),
                "422": problem_response("not a webhook number"),
                **_ERRORS,
            },
        }
    },
}
