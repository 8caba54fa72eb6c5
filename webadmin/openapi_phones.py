"""The OpenAPI description of ``/api/v1/phones`` (``webadmin.api_phones``),
merged into the document of ``webadmin.openapi``."""

from __future__ import annotations

from agent.provisioning.inventory import CSV_COLUMNS
from agent.provisioning.vendors import ALIASES, VENDORS
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_problem = problem_response
_json = json_response


_PHONE = {"$ref": "#/components/schemas/Phone"}
_ERRORS = ACCESS_ERRORS
MAC_PARAMETER = {
    "name": "mac",
    "in": "path",
    "required": True,
    "description": "12 hex digits, any case, ':' or '-' separators allowed",
    "schema": {"type": "string"},
}

SCHEMAS: dict = {
    "Phone": {
        "type": "object",
        "required": ["mac", "vendor", "model", "extensions", "config_version"],
        "properties": {
            "mac": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
            "vendor": {"enum": sorted(VENDORS)},
            "model": {"type": "string"},
            "extensions": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the extension on line 1, 2, …",
            },
            "config_version": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "last_request_at": {"type": ["string", "null"], "format": "date-time"},
            "last_request_ip": {"type": ["string", "null"]},
            "last_request_file": {"type": ["string", "null"]},
            "last_user_agent": {"type": ["string", "null"]},
        },
    },
    "NewPhone": {
        "type": "object",
        "required": ["mac", "vendor", "model", "extensions"],
        "additionalProperties": False,
        "properties": {
            "mac": {"type": "string"},
            "vendor": {
                "enum": sorted([*VENDORS, *ALIASES]),
                "description": "poly is another name for polycom",
            },
            "model": {
                "type": "string",
                "description": "one of the vendor's models, like T54W, VVX450, E350,"
                " GXP2170 or GXV3480; it sets how many extensions the phone takes",
            },
            "extensions": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
    },
}

PATHS: dict = {
    "/phones": {
        "get": {
            "operationId": "listPhones",
            "summary": "Every phone provisioned by MAC address",
            "responses": {
                "200": _json({"type": "array", "items": _PHONE}, "the phones"),
                **_ERRORS,
            },
        },
        "post": {
            "operationId": "addPhone",
            "summary": "Add a phone; its admin password is generated",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/NewPhone"}
                    }
                },
            },
            "responses": {
                "201": _json(_PHONE, "the phone as added"),
                "400": _problem("the body is not a JSON object of these fields"),
                "404": _problem("an extension does not exist"),
                "409": _problem("the MAC address is already in the list"),
                "422": _problem("a field breaks its rule"),
                **_ERRORS,
            },
        },
    },
    "/phones/import": {
        "post": {
            "operationId": "importPhones",
            "summary": "Add every phone of a CSV file, or none if any row is wrong",
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {
                        "schema": {"type": "string"},
                        "example": ",".join(CSV_COLUMNS)
                        + "\n80:5e:c0:aa:bb:cc,yealink,T54W,101 102\n",
                    }
                },
            },
            "responses": {
                "201": _json({"type": "array", "items": _PHONE}, "the phones added"),
                "400": _problem("the body is not a CSV file"),
                "422": _problem("rows refused; the problem lists each under rows"),
                **_ERRORS,
            },
        }
    },
    "/phones/{mac}": {
        "parameters": [MAC_PARAMETER],
        "get": {
            "operationId": "getPhone",
            "summary": "One phone and what it last fetched",
            "responses": {
                "200": _json(_PHONE, "the phone"),
                "404": _problem("no such phone"),
                **_ERRORS,
            },
        },
        "delete": {
            "operationId": "removePhone",
            "summary": "Remove a phone; its files are no longer served",
            "responses": {
                "204": {"description": "removed"},
                "404": _problem("no such phone"),
                **_ERRORS,
            },
        },
    },
}
