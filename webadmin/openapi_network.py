"""The OpenAPI description of the network routes (``webadmin.api_network``)."""

from __future__ import annotations

from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_ERRORS = ACCESS_ERRORS
SETTINGS_REF = {"$ref": "#/components/schemas/NetworkSettings"}

SCHEMAS: dict = {
    "NetworkSettings": {
        "type": "object",
        "required": ["interface"],
        "additionalProperties": False,
        "properties": {
            "interface": {"type": "string", "description": "the LAN port"},
            "mode": {"type": "string", "enum": ["dhcp", "static"]},
            "address": {
                "type": ["string", "null"],
                "description": "static only: IPv4 address with prefix, 192.0.2.10/24",
            },
            "gateway": {"type": ["string", "null"], "description": "static only"},
            "dns": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "voice_vlan": {
                "type": ["object", "null"],
                "properties": {
                    "id": {"type": "integer", "minimum": 1, "maximum": 4094},
                    "address": {"type": "string"},
                },
            },
            "hostname": {"type": "string"},
            "ntp": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
            "timezone": {"type": "string", "description": "like Europe/Berlin"},
            "confirm_within_s": {
                "type": "number",
                "minimum": 1,
                "maximum": 600,
                "description": "request only: seconds before an unconfirmed "
                "change is undone (default 60)",
            },
        },
    },
    "NetworkStatus": {
        "type": "object",
        "properties": {
            "settings": {"oneOf": [SETTINGS_REF, {"type": "null"}]},
            "pending": {
                "type": ["object", "null"],
                "properties": {
                    "settings": SETTINGS_REF,
                    "seconds_left": {"type": "integer"},
                },
            },
            "interfaces": {"type": "array", "items": {"type": "object"}},
            "gateway": {"type": ["string", "null"]},
        },
    },
}

PATHS: dict = {
    "/network": {
        "get": {
            "operationId": "getNetwork",
            "summary": "The saved settings, a change on trial, and each interface",
            "responses": {
                "200": json_response(
                    {"$ref": "#/components/schemas/NetworkStatus"}, "status"
                ),
                **_ERRORS,
            },
        },
        "put": {
            "operationId": "applyNetwork",
            "summary": "Try new settings; undone unless confirmed in time",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": SETTINGS_REF}},
            },
            "responses": {
                "202": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "settings": SETTINGS_REF,
                            "confirm_within_s": {"type": "number"},
                        },
                    },
                    "applied on trial",
                ),
                "400": problem_response("bad body, or the kernel refused the change"),
                "409": problem_response("another change is waiting for confirmation"),
                "422": problem_response("a field breaks its rule; nothing changed"),
                **_ERRORS,
            },
        },
    },
    "/network/confirm": {
        "post": {
            "operationId": "confirmNetwork",
            "summary": "Keep the settings on trial",
            "responses": {
                "200": json_response(
                    {"type": "object", "properties": {"settings": SETTINGS_REF}},
                    "kept",
                ),
                "409": problem_response("nothing is waiting for confirmation"),
                **_ERRORS,
            },
        }
    },
    "/network/revert": {
        "post": {
            "operationId": "revertNetwork",
            "summary": "Undo the settings on trial now",
            "responses": {
                "200": json_response(
                    {"type": "object", "properties": {"reverted": {"type": "boolean"}}},
                    "whether anything was undone",
                ),
                **_ERRORS,
            },
        }
    },
}
