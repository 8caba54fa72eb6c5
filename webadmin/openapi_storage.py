"""The OpenAPI description of the storage routes (webadmin/api_storage.py)."""

from __future__ import annotations

from agent.storage.service import KINDS, MAX_DAYS_LIMIT, USAGE_KINDS
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_USAGE = {"$ref": "#/components/schemas/StorageUsage"}
_RETENTION = {"$ref": "#/components/schemas/StorageRetention"}
_CLEANUP = {"$ref": "#/components/schemas/StorageCleanup"}
_KIND = {"type": "string", "enum": list(KINDS)}
_BAD_BODY = problem_response(
    "not a JSON object of these fields, or a field of the wrong JSON type"
)

SCHEMAS: dict = {
    "StorageUsage": {
        "type": "object",
        "properties": {
            "kinds": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": list(USAGE_KINDS)},
                        "label": {"type": "string"},
                        "bytes": {"type": "integer"},
                        "items": {
                            "type": "integer",
                            "description": "files, messages or call records",
                        },
                        "oldest": {"type": ["string", "null"], "format": "date-time"},
                    },
                },
            },
            "data_bytes": {"type": "integer"},
            "disk_total": {"type": "integer"},
            "disk_free": {"type": "integer"},
            "disk_used_percent": {"type": "number"},
        },
    },
    "StorageRetention": {
        "type": "object",
        "additionalProperties": False,
        "description": "In a PUT, a field left out keeps its value; null turns "
        "the limit off.",
        "properties": {
            "kind": {**_KIND, "readOnly": True},
            "max_days": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": MAX_DAYS_LIMIT,
                "description": "older things are removed",
            },
            "max_mb": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "the oldest are removed until the kind fits; at "
                "most the disk's size",
            },
            "cleanups": {
                "type": "object",
                "readOnly": True,
                "description": "clean-ups that removed something, so far",
                "properties": {
                    "cleanups": {"type": "integer"},
                    "removed": {"type": "integer"},
                    "freed_bytes": {"type": "integer"},
                    "last_at": {"type": ["string", "null"], "format": "date-time"},
                },
            },
        },
    },
    "StorageCleanup": {
        "type": "object",
        "properties": {
            "kind": _KIND,
            "reason": {
                "type": "string",
                "enum": ["retention", "quota", "disk nearly full"],
            },
            "removed": {"type": "integer"},
            "freed_bytes": {"type": "integer"},
        },
    },
}

_KIND_PARAMETER = {"name": "kind", "in": "path", "required": True, "schema": _KIND}

PATHS: dict = {
    "/storage": {
        "get": {
            "operationId": "getStorageUsage",
            "summary": "What each kind of data takes, and the disk's size and room",
            "responses": {"200": json_response(_USAGE, "the usage"), **ACCESS_ERRORS},
        }
    },
    "/storage/retention": {
        "get": {
            "operationId": "listStorageRetention",
            "summary": "Each kind's retention and quota, and its clean-ups",
            "responses": {
                "200": json_response(
                    {"type": "array", "items": _RETENTION}, "every kind"
                ),
                **ACCESS_ERRORS,
            },
        }
    },
    "/storage/retention/{kind}": {
        "parameters": [_KIND_PARAMETER],
        "get": {
            "operationId": "getStorageRetention",
            "summary": "One kind's retention and quota",
            "responses": {
                "200": json_response(_RETENTION, "the kind's limits"),
                "422": problem_response("no such kind"),
                **ACCESS_ERRORS,
            },
        },
        "put": {
            "operationId": "setStorageRetention",
            "summary": "Change how long and how much of a kind is kept",
            "description": "A refused change changes nothing. The agent applies "
            "it within the hour; POST /storage/clean applies it now.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _RETENTION}},
            },
            "responses": {
                "200": json_response(_RETENTION, "the limits as changed"),
                "400": _BAD_BODY,
                "422": problem_response("no such kind, or a field breaks its rule"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/storage/clean": {
        "post": {
            "operationId": "cleanStorage",
            "summary": "Apply the retention and quotas now, oldest first",
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"kind": _KIND},
                            "description": "no body, or no kind: every kind",
                        }
                    }
                },
            },
            "responses": {
                "200": json_response(
                    {"type": "array", "items": _CLEANUP}, "what each rule removed"
                ),
                "400": _BAD_BODY,
                "422": problem_response("no such kind"),
                **ACCESS_ERRORS,
            },
        }
    },
}
