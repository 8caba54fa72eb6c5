"""The OpenAPI description of ``/api/v1/park`` (``webadmin.api_park``),
merged into the document of ``webadmin.openapi``."""

from __future__ import annotations

from agent.sip.park_slots import COUNT_RANGE, DIGITS_RANGE, TIMEOUT_RANGE_S
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_SETTINGS = {"$ref": "#/components/schemas/ParkSettings"}
_FIELDS = {
    "first": {
        "type": "string",
        "pattern": f"^[1-9][0-9]{{{DIGITS_RANGE[0] - 1},{DIGITS_RANGE[1] - 1}}}$",
        "description": "the first slot's number, not starting with 0; the "
        "others follow it",
    },
    "count": {
        "type": "integer",
        "minimum": COUNT_RANGE[0],
        "maximum": COUNT_RANGE[1],
        "description": "how many slots",
    },
    "timeout_s": {
        "type": "integer",
        "minimum": TIMEOUT_RANGE_S[0],
        "maximum": TIMEOUT_RANGE_S[1],
        "description": "seconds before a parked call rings its parker again",
    },
}

SCHEMAS: dict = {
    "ParkedCall": {
        "type": "object",
        "properties": {
            "slot": {"type": "string"},
            "caller": {"type": "string", "description": "who is parked"},
            "parked_by": {
                "type": "string",
                "description": "the extension that parked it; empty if unknown",
            },
            "since": {"type": "number", "description": "seconds since the epoch"},
            "parked_s": {"type": "integer"},
        },
    },
    "ParkSettings": {
        "type": "object",
        "properties": {
            **_FIELDS,
            "slots": {
                "type": "array",
                "items": {"type": "string"},
                "readOnly": True,
            },
        },
    },
    "ParkSettingsChange": {
        "type": "object",
        "additionalProperties": False,
        "description": "fields left out keep their value",
        "properties": _FIELDS,
    },
}

PATHS: dict = {
    "/park": {
        "get": {
            "operationId": "listParkedCalls",
            "summary": "The calls parked now, by slot",
            "responses": {
                "200": json_response(
                    {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/ParkedCall"},
                    },
                    "the parked calls",
                ),
                **ACCESS_ERRORS,
            },
        }
    },
    "/park/settings": {
        "get": {
            "operationId": "getParkSettings",
            "summary": "The park slots and timeout",
            "responses": {
                "200": json_response(_SETTINGS, "the settings"),
                **ACCESS_ERRORS,
            },
        },
        "put": {
            "operationId": "setParkSettings",
            "summary": "Change the park slots or timeout",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ParkSettingsChange"}
                    }
                },
            },
            "responses": {
                "200": json_response(_SETTINGS, "the settings as changed"),
                "400": problem_response(
                    "the body is not a JSON object of these fields"
                ),
                "422": problem_response(
                    "a field breaks its rule, or a slot's number is taken"
                ),
                **ACCESS_ERRORS,
            },
        },
    },
}
