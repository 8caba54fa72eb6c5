"""The OpenAPI description of ``webadmin.api_monitor``."""

from __future__ import annotations

from agent.monitor.service import CALL_ANSWERED, CALL_RINGING, EXTENSION_STATES
from webadmin.monitor_stream import FOR_S_MAX, STREAMS_PER_PROCESS
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

MONITOR_REF = {"$ref": "#/components/schemas/Monitor"}
_SECONDS = {"type": "number", "description": "Unix time, seconds"}

SCHEMAS: dict = {
    "Monitor": {
        "type": "object",
        "required": [
            "at",
            "sip_core_error",
            "extensions",
            "trunks",
            "calls",
            "rooms",
            "parked",
        ],
        "description": "The PBX now. A role limited to extension ranges sees "
        "only its extensions and the calls with one of them at either end.",
        "properties": {
            "at": _SECONDS,
            "sip_core_error": {
                "type": "string",
                "description": '"" while the SIP core answers; otherwise why '
                'registration states are "unknown"',
            },
            "extensions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["number", "name", "state", "dnd", "contacts"],
                    "properties": {
                        "number": {"type": "string"},
                        "name": {"type": "string"},
                        "state": {
                            "type": "string",
                            "enum": list(EXTENSION_STATES),
                            "description": "unavailable: no phone registered",
                        },
                        "dnd": {"type": "boolean", "description": "do-not-disturb"},
                        "contacts": {
                            "type": "integer",
                            "description": "phones registered now",
                        },
                    },
                },
            },
            "trunks": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "kind", "state", "checked_at"],
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                        "state": {
                            "type": "string",
                            "description": "as the agent last probed it (every "
                            "30 s): registered, registering, failed auth, "
                            "unreachable, reachable, disabled or unknown",
                        },
                        "checked_at": {"oneOf": [_SECONDS, {"type": "null"}]},
                    },
                },
            },
            "calls": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "id",
                        "direction",
                        "caller",
                        "caller_name",
                        "callee",
                        "did",
                        "trunk",
                        "state",
                        "started_at",
                        "answered_at",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "direction": {"type": "string"},
                        "caller": {"type": "string"},
                        "caller_name": {"type": "string"},
                        "callee": {"type": "string"},
                        "did": {"type": "string"},
                        "trunk": {"type": "string"},
                        "state": {
                            "type": "string",
                            "enum": [CALL_RINGING, CALL_ANSWERED],
                        },
                        "started_at": _SECONDS,
                        "answered_at": {"oneOf": [_SECONDS, {"type": "null"}]},
                    },
                },
            },
            "rooms": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["number", "name", "max_members", "members"],
                    "properties": {
                        "number": {"type": "string"},
                        "name": {"type": "string"},
                        "max_members": {"type": "integer"},
                        "members": {"type": "integer"},
                    },
                },
            },
            "parked": {
                "type": "array",
                "description": "calls parked now, by slot (agent/park)",
                "items": {
                    "type": "object",
                    "required": ["slot", "caller", "parked_by", "since"],
                    "properties": {
                        "slot": {"type": "string"},
                        "caller": {"type": "string"},
                        "parked_by": {"type": "string"},
                        "since": _SECONDS,
                    },
                },
            },
        },
    },
}

PATHS: dict = {
    "/monitor": {
        "get": {
            "operationId": "getMonitor",
            "summary": "Extensions, trunks, calls in progress and conference rooms",
            "responses": {
                "200": json_response(MONITOR_REF, "the PBX now"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/monitor/stream": {
        "get": {
            "operationId": "streamMonitor",
            "summary": "The monitor as server-sent events",
            "description": "text/event-stream: a `snapshot` event (a Monitor), "
            "then a `change` event whenever something changes, holding per "
            "section (extensions, trunks, calls, rooms, parked) the items that are new "
            "or changed whole under `changed` and the keys of those gone under "
            "`removed`; `end` with a reason when the stream ends (the token "
            "was revoked, the session ended, for_s is over). Comment lines "
            "keep a quiet connection alive. A worker process holds "
            f"{STREAMS_PER_PROCESS} streams at most.",
            "parameters": [
                {
                    "name": "for_s",
                    "in": "query",
                    "required": False,
                    "description": "end the stream after this many seconds",
                    "schema": {"type": "integer", "minimum": 1, "maximum": FOR_S_MAX},
                }
            ],
            "responses": {
                "200": {
                    "description": "the stream",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "422": problem_response("for_s is not whole seconds in range"),
                "503": problem_response(
                    "every stream of this worker is taken (Retry-After says when "
                    "to try again)"
                ),
                **ACCESS_ERRORS,
            },
        },
    },
}
