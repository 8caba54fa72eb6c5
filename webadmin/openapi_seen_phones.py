"""The OpenAPI description of ``/api/v1/phones/seen``
(``webadmin.api_seen_phones``), merged into the document through
``webadmin.openapi_provisioning``."""

from __future__ import annotations

from agent.provisioning.sightings import VIA
from agent.provisioning.vendors import VENDORS
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response
from webadmin.openapi_phones import MAC_PARAMETER

_SEEN = {"$ref": "#/components/schemas/SeenPhone"}
_NULLABLE_TEXT = {"type": ["string", "null"]}

SCHEMAS: dict = {
    "SeenPhone": {
        "type": "object",
        "description": "a phone that asked for its own file but is not assigned",
        "required": [
            "mac",
            "vendor",
            "model",
            "source_ip",
            "via",
            "first_seen",
            "last_seen",
            "times_seen",
        ],
        "properties": {
            "mac": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
            "vendor": {
                "enum": [*sorted(VENDORS), None],
                "description": "null when neither file name nor User-Agent said",
            },
            "model": {**_NULLABLE_TEXT, "description": "null when not said"},
            "source_ip": {"type": "string"},
            "via": {"enum": sorted(VIA)},
            "user_agent": _NULLABLE_TEXT,
            "first_seen": {"type": "string", "format": "date-time"},
            "last_seen": {"type": "string", "format": "date-time"},
            "times_seen": {"type": "integer", "minimum": 1},
        },
    },
    "SeenPhoneAssignment": {
        "type": "object",
        "required": ["extensions"],
        "additionalProperties": False,
        "properties": {
            "extensions": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "description": "the extension on line 1, 2, …",
            },
            "model": {
                "type": "string",
                "description": "instead of the model seen; needed when none was",
            },
            "vendor": {
                "enum": sorted(VENDORS),
                "description": "instead of the vendor seen; needed when none was",
            },
        },
    },
}

PATHS: dict = {
    "/phones/seen": {
        "get": {
            "operationId": "listSeenPhones",
            "summary": "Phones that asked for their files but are not assigned",
            "description": "Newest first. The list keeps at most 1,000 phones "
            "and one new phone per source address a minute.",
            "responses": {
                "200": json_response({"type": "array", "items": _SEEN}, "the list"),
                **ACCESS_ERRORS,
            },
        }
    },
    "/phones/seen/{mac}/assign": {
        "parameters": [MAC_PARAMETER],
        "post": {
            "operationId": "assignSeenPhone",
            "summary": "Add a seen phone to the inventory on these extensions",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/SeenPhoneAssignment"}
                    }
                },
            },
            "responses": {
                "201": json_response(
                    {
                        "allOf": [
                            {"$ref": "#/components/schemas/Phone"},
                            {
                                "type": "object",
                                "required": ["reported_model"],
                                "properties": {
                                    "reported_model": {
                                        **_NULLABLE_TEXT,
                                        "description": "the model the phone "
                                        "reported, when the model named "
                                        "replaced it; else null",
                                    }
                                },
                            },
                        ]
                    },
                    "the phone as added",
                ),
                "400": problem_response("not a JSON object of these fields"),
                "404": problem_response("not on the list, or no such extension"),
                "409": problem_response("the MAC address is already in the inventory"),
                "415": problem_response("the body is not application/json"),
                "422": problem_response("a field breaks its rule, or is needed"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/phones/seen/{mac}": {
        "parameters": [MAC_PARAMETER],
        "delete": {
            "operationId": "forgetSeenPhone",
            "summary": "Take a phone off the seen list",
            "responses": {
                "204": {"description": "forgotten"},
                "404": problem_response("not on the list"),
                "422": problem_response("the MAC address breaks its rule"),
                **ACCESS_ERRORS,
            },
        },
    },
}
