"""The OpenAPI description of ``webadmin.api_features``."""

from __future__ import annotations

from agent.extensions.features import (
    DEFAULT_NO_ANSWER_S,
    MAX_NO_ANSWER_S,
    MIN_NO_ANSWER_S,
)
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

FEATURES_REF = {"$ref": "#/components/schemas/CallFeatures"}


def _target(when: str) -> dict:
    return {
        "type": "string",
        "maxLength": 33,
        "description": f"where calls go {when}: another extension's number, or "
        "an external number an outbound route lets this extension dial (it "
        'then goes out as this extension\'s own call); "" for no forward',
    }


SCHEMAS: dict = {
    "CallFeatures": {
        "type": "object",
        "additionalProperties": False,
        "description": "In a PUT, fields left out keep their value.",
        "properties": {
            "extension": {"type": "string", "readOnly": True},
            "dnd": {
                "type": "boolean",
                "description": "do-not-disturb: callers get voicemail as when "
                "busy, or 486 Busy Here without a mailbox",
            },
            "forward_always": _target("at once, before any phone rings"),
            "forward_busy": _target("when the phone answers busy"),
            "forward_no_answer": _target("when nobody answers in no_answer_s"),
            "no_answer_s": {
                "type": "integer",
                "minimum": MIN_NO_ANSWER_S,
                "maximum": MAX_NO_ANSWER_S,
                "default": DEFAULT_NO_ANSWER_S,
                "description": "seconds the phones ring before a forward on no answer",
            },
            "forward_unreachable": _target("when no phone is registered"),
            "call_waiting": {
                "type": "boolean",
                "default": True,
                "description": "off: while the extension is in a call or "
                "ringing, a new caller is treated as busy (forward on busy, "
                "voicemail, or 486 Busy Here)",
            },
            "notes": {
                "type": "array",
                "items": {"type": "string"},
                "readOnly": True,
                "description": "settings that do not do what they seem to, in "
                "plain sentences: do-not-disturb and forward always both set "
                "(do-not-disturb wins)",
            },
        },
    },
}

PATHS: dict = {
    "/extensions/{number}/features": {
        "parameters": [
            {
                "name": "number",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
        "get": {
            "operationId": "getCallFeatures",
            "summary": "The extension's do-not-disturb and call forwards",
            "responses": {
                "200": json_response(FEATURES_REF, "the features"),
                "404": problem_response("no such extension"),
                **ACCESS_ERRORS,
            },
        },
        "put": {
            "operationId": "setCallFeatures",
            "summary": "Change the extension's do-not-disturb and forwards",
            "description": "Administrators who may change extensions, within "
            "their role's ranges; a portal user for their own extension only. "
            "A refused change changes nothing.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": FEATURES_REF}},
            },
            "responses": {
                "200": json_response(FEATURES_REF, "changed"),
                "400": problem_response(
                    "not a JSON object, an unknown field, or a field of the wrong "
                    "JSON type (null included)"
                ),
                "404": problem_response("no such extension"),
                "422": problem_response(
                    "a target that is neither an extension nor a number a route "
                    "dials, a forward to itself or in a loop, or a ring time out "
                    "of range"
                ),
                **ACCESS_ERRORS,
            },
        },
    },
}
