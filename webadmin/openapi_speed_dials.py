"""The OpenAPI description of ``webadmin.api_speed_dials``."""

from __future__ import annotations

from agent.sip.outside import SPEED_DIAL_PREFIX
from agent.speed_dial.service import CODE_DIGITS, NAME_MAX, NUMBER_DIGITS
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

SPEED_DIAL_REF = {"$ref": "#/components/schemas/SpeedDial"}
_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": f"what phones dial after {SPEED_DIAL_PREFIX}",
    "schema": {"type": "string"},
}

SCHEMAS: dict = {
    "SpeedDial": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "readOnly": True},
            "number": {
                "type": "string",
                "pattern": f"^[+]?[0-9]{{{NUMBER_DIGITS[0]},{NUMBER_DIGITS[1]}}}$",
                "description": "where the code leads: an extension, a service "
                "number or an outside number, as a phone would dial it (outside "
                "numbers go through the outbound routes like any dialled number)",
            },
            "name": {"type": "string", "maxLength": NAME_MAX},
            "dial": {
                "type": "string",
                "readOnly": True,
                "description": "what a phone dials: the prefix and the code",
            },
        },
    },
    "SpeedDialChange": {
        "type": "object",
        "additionalProperties": False,
        "required": ["number"],
        "properties": {
            "number": {"type": "string"},
            "name": {
                "type": "string",
                "description": "left out: the speed dial keeps its name",
            },
        },
    },
}

PATHS: dict = {
    "/speed-dials": {
        "get": {
            "operationId": "listSpeedDials",
            "summary": "Every company speed dial, by code",
            "responses": {
                "200": json_response(
                    {"type": "array", "items": SPEED_DIAL_REF}, "the speed dials"
                ),
                **ACCESS_ERRORS,
            },
        }
    },
    "/speed-dials/{code}": {
        "parameters": [_CODE],
        "get": {
            "operationId": "getSpeedDial",
            "summary": "One speed dial",
            "responses": {
                "200": json_response(SPEED_DIAL_REF, "the speed dial"),
                "404": problem_response("no such speed dial"),
                **ACCESS_ERRORS,
            },
        },
        "put": {
            "operationId": "setSpeedDial",
            "summary": "Create a speed dial or change where it leads",
            "description": f"The code is {CODE_DIGITS[0]} to {CODE_DIGITS[1]} "
            "digits. A refused change changes nothing.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/SpeedDialChange"}
                    }
                },
            },
            "responses": {
                "200": json_response(SPEED_DIAL_REF, "changed"),
                "201": json_response(SPEED_DIAL_REF, "created"),
                "400": problem_response("not a JSON object of these fields"),
                "422": problem_response("a code or number that breaks its rule"),
                **ACCESS_ERRORS,
            },
        },
        "delete": {
            "operationId": "removeSpeedDial",
            "summary": "Remove a speed dial",
            "responses": {
                "204": {"description": "removed"},
                "404": problem_response("no such speed dial"),
                **ACCESS_ERRORS,
            },
        },
    },
}
