"""The OpenAPI description of the security routes (``webadmin.security_api``).

Merged into the document by ``webadmin.openapi``; kept apart so each part of
the API is described next to its own routes.
"""

from __future__ import annotations

from webadmin.openapi_parts import json_response, problem_response

_problem = problem_response
_json = json_response


_ERRORS = {
    "401": _problem("no valid session or bearer token"),
    "403": _problem("the role may not do this, or the CSRF token is missing"),
}
BAN_REF = {"$ref": "#/components/schemas/Ban"}

SCHEMAS: dict = {
    "Ban": {
        "type": "object",
        "required": ["address", "reason", "banned_at", "expires", "offences"],
        "properties": {
            "address": {"type": "string", "description": "IPv4 or IPv6"},
            "reason": {"type": "string"},
            "banned_at": {"type": "string", "format": "date-time"},
            "expires": {"type": "string", "format": "date-time"},
            "expires_in_s": {"type": "integer"},
            "offences": {
                "type": "integer",
                "description": "how often this address was banned; bans grow",
            },
        },
    },
    "NewBan": {
        "type": "object",
        "required": ["address"],
        "additionalProperties": False,
        "properties": {
            "address": {"type": "string"},
            "seconds": {"type": ["integer", "null"], "minimum": 1},
            "reason": {"type": ["string", "null"]},
        },
    },
    "ServiceRule": {
        "type": "object",
        "properties": {
            "service": {"type": "string"},
            "enabled": {"type": "boolean"},
            "allow": {"type": "array", "items": {"type": "string"}},
            "block": {"type": "array", "items": {"type": "string"}},
        },
    },
    "ServiceChanges": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "enabled": {"type": "boolean"},
            "allow": {
                "type": "array",
                "items": {"type": "string"},
                "description": "IPv4/IPv6 networks; when not empty, only these",
            },
            "block": {"type": "array", "items": {"type": "string"}},
        },
    },
    "FirewallStatus": {
        "type": "object",
        "properties": {
            "managed": {"type": "boolean"},
            "loaded": {"type": "boolean"},
            "table": {"type": "string"},
            "rules": {"type": "integer"},
            "banned_in_kernel": {"type": "array", "items": {"type": "string"}},
            "services": {"type": "array", "items": {"type": "object"}},
        },
    },
}

PATHS: dict = {
    "/bans": {
        "get": {
            "operationId": "listBans",
            "summary": "Addresses banned now, optionally searched",
            "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
            "responses": {
                "200": _json({"type": "array", "items": BAN_REF}, "the bans"),
                **_ERRORS,
            },
        },
        "post": {
            "operationId": "addBan",
            "summary": "Ban an address (never the caller's own)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/NewBan"}
                    }
                },
            },
            "responses": {
                "201": _json(BAN_REF, "banned"),
                "400": _problem("bad body, or the caller's own address"),
                "422": _problem("not an address, or seconds out of range"),
                "415": _problem("the body is not JSON"),
                **_ERRORS,
            },
        },
    },
    "/bans/{address}": {
        "parameters": [
            {
                "name": "address",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
        "delete": {
            "operationId": "liftBan",
            "summary": "Lift a ban",
            "responses": {
                "204": {"description": "lifted"},
                "404": _problem("the address is not banned"),
                "422": _problem("not an IPv4 or IPv6 address"),
                **_ERRORS,
            },
        },
    },
    "/firewall": {
        "get": {
            "operationId": "getFirewall",
            "summary": "The firewall's services, rules and bans loaded",
            "responses": {
                "200": _json({"$ref": "#/components/schemas/FirewallStatus"}, "status"),
                **_ERRORS,
            },
        }
    },
    "/firewall/services/{name}": {
        "parameters": [
            {
                "name": "name",
                "in": "path",
                "required": True,
                "schema": {
                    "enum": ["sip", "rtp", "web-https", "web-http", "ssh", "tftp"]
                },
            }
        ],
        "patch": {
            "operationId": "changeFirewallService",
            "summary": "Open, close, allow-list or block-list one service",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ServiceChanges"}
                    }
                },
            },
            "responses": {
                "200": _json({"$ref": "#/components/schemas/ServiceRule"}, "changed"),
                "400": _problem("bad body, or the change would lock the caller out"),
                "422": _problem("an unknown service or a malformed network"),
                **_ERRORS,
            },
        },
    },
}
