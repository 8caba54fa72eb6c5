"""The OpenAPI description of ``/api/v1/queues`` (``webadmin.api_queues``),
merged into the document of ``webadmin.openapi``."""

from __future__ import annotations

from agent.destinations import MENU_KINDS as KINDS
from agent.queues.service import (
    ANNOUNCE_EVERY_S,
    MAX_AGENTS,
    MAX_WAIT_S,
    NAME_MAX,
    RING_S,
    SERVICE_LEVEL_S,
    STRATEGIES,
)
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_QUEUE = {"$ref": "#/components/schemas/CallQueue"}
_STATUS = {"$ref": "#/components/schemas/CallQueueStatus"}
NUMBER_PARAMETER = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "the queue's number",
    "schema": {"type": "string", "pattern": "^[0-9]{2,6}$"},
}


def _seconds(bounds: tuple[int, int], what: str) -> dict:
    return {
        "type": "integer",
        "minimum": bounds[0],
        "maximum": bounds[1],
        "description": what,
    }


_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
    "strategy": {"type": "string", "enum": list(STRATEGIES)},
    "agents": {
        "type": "array",
        "items": {"type": "string"},
        "maxItems": MAX_AGENTS,
        "description": "static agents' extension numbers, in ring order",
    },
    "ring_s": _seconds(RING_S, "seconds one agent attempt rings"),
    "max_wait_s": _seconds(MAX_WAIT_S, "seconds a caller waits before failover"),
    "failover": {
        "type": "string",
        "description": "one of "
        + ", ".join(f"{k}:NUMBER" for k in KINDS if k != "hangup")
        + ", or hangup",
    },
    "music": {
        "type": "string",
        "description": '"default" or the name of uploaded music on hold',
    },
    "announce_position": {"type": "boolean"},
    "announce_wait": {"type": "boolean"},
    "announce_every_s": _seconds(ANNOUNCE_EVERY_S, "seconds between announcements"),
    "service_level_s": _seconds(
        SERVICE_LEVEL_S,
        "an agent answering within this wait counts toward the service level",
    ),
}
_COUNT = {"type": "integer"}
#: A queue's figures over a period (agent/reports/figures.py QueueFigures).
QUEUE_FIGURES = {
    "type": "object",
    "properties": {
        "number": {"type": "string"},
        "name": {"type": "string"},
        "offered": {**_COUNT, "description": "callers who joined the queue"},
        "answered": {**_COUNT, "description": "calls an agent answered"},
        "abandoned": {**_COUNT, "description": "callers who hung up waiting"},
        "timed_out": {**_COUNT, "description": "calls sent to the failover"},
        "average_wait_s": {
            **_COUNT,
            "description": "average wait of the callers who left the queue",
        },
        "longest_wait_s": _COUNT,
        "service_level_s": _COUNT,
        "service_level_percent": {
            "type": ["integer", "null"],
            "description": "offered calls answered within service_level_s; "
            "null when nobody called",
        },
        "agents": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "extension": {"type": "string"},
                    "answered": _COUNT,
                    "talk_s": _COUNT,
                },
            },
        },
    },
}

SCHEMAS: dict = {
    "CallQueue": {
        "type": "object",
        "properties": {
            "number": {"type": "string", "readOnly": True},
            **_FIELDS,
            "logged_in": {
                "type": "array",
                "items": {"type": "string"},
                "readOnly": True,
                "description": "extensions logged in with the feature code",
            },
        },
    },
    "CallQueueChange": {
        "type": "object",
        "additionalProperties": False,
        "description": "fields left out keep their value; name is needed "
        "for a new queue",
        "properties": _FIELDS,
    },
    "CallQueueStatus": {
        "type": "object",
        "properties": {
            "number": {"type": "string"},
            "waiting": {
                "type": "array",
                "description": "callers waiting, longest first",
                "items": {
                    "type": "object",
                    "properties": {
                        "caller": {"type": "string"},
                        "wait_s": {"type": "integer"},
                    },
                },
            },
            "agents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "extension": {"type": "string"},
                        "kind": {"type": "string", "enum": ["static", "logged in"]},
                        "state": {
                            "type": "string",
                            "enum": ["idle", "ringing", "talking"],
                        },
                        "calls": {
                            "type": "integer",
                            "description": "queue calls the agent answered "
                            "today, as the call records hold them",
                        },
                    },
                },
            },
            "today": {**QUEUE_FIGURES, "description": "the figures of today"},
        },
    },
}

PATHS: dict = {
    "/queues": {
        "get": {
            "operationId": "listCallQueues",
            "summary": "Every call queue",
            "responses": {
                "200": json_response({"type": "array", "items": _QUEUE}, "the queues"),
                **ACCESS_ERRORS,
            },
        }
    },
    "/queues/{number}": {
        "parameters": [NUMBER_PARAMETER],
        "get": {
            "operationId": "getCallQueue",
            "summary": "One call queue",
            "responses": {
                "200": json_response(_QUEUE, "the queue"),
                "404": problem_response("no such queue"),
                **ACCESS_ERRORS,
            },
        },
        "put": {
            "operationId": "setCallQueue",
            "summary": "Create or change a call queue",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/CallQueueChange"}
                    }
                },
            },
            "responses": {
                "200": json_response(_QUEUE, "the queue as changed"),
                "201": json_response(_QUEUE, "the queue as created"),
                "400": problem_response(
                    "the body is not a JSON object of these fields"
                ),
                "422": problem_response("a field breaks its rule"),
                **ACCESS_ERRORS,
            },
        },
        "delete": {
            "operationId": "removeCallQueue",
            "summary": "Remove a call queue",
            "responses": {
                "204": {"description": "removed"},
                "404": problem_response("no such queue"),
                "422": problem_response("an IVR menu still leads to it"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/queues/{number}/status": {
        "parameters": [NUMBER_PARAMETER],
        "get": {
            "operationId": "getCallQueueStatus",
            "summary": "Callers waiting and the agents' states now",
            "responses": {
                "200": json_response(_STATUS, "the live state"),
                "404": problem_response("no such queue"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/queues/{number}/logins": {
        "parameters": [NUMBER_PARAMETER],
        "post": {
            "operationId": "logInCallQueueAgent",
            "summary": "Log an extension in as a dynamic agent",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["extension"],
                            "additionalProperties": False,
                            "properties": {"extension": {"type": "string"}},
                        }
                    }
                },
            },
            "responses": {
                "200": json_response(_QUEUE, "the queue with its logins"),
                "400": problem_response(
                    "the body is not a JSON object of these fields"
                ),
                "404": problem_response("no such queue"),
                "422": problem_response("no such extension"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/queues/{number}/logins/{extension}": {
        "parameters": [
            NUMBER_PARAMETER,
            {
                "name": "extension",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            },
        ],
        "delete": {
            "operationId": "logOutCallQueueAgent",
            "summary": "Log a dynamic agent out",
            "responses": {
                "204": {"description": "logged out"},
                "404": problem_response("no such queue"),
                "422": problem_response(
                    "a static agent (it cannot log out), or not logged in"
                ),
                **ACCESS_ERRORS,
            },
        },
    },
}
