"""The OpenAPI description of a phone's keys, overrides and provisioning
credentials (``webadmin.api_phone_keys``), merged into ``webadmin.openapi``."""

from __future__ import annotations

from agent.provisioning.credentials import MODES, PHONE_MODES
from agent.provisioning.keys import KINDS, LABEL_MAX, OVERRIDE_VALUE_MAX
from agent.provisioning.site import LANGUAGES, TRANSPORTS
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response
from webadmin.openapi_phones import MAC_PARAMETER

_problem = problem_response
_json = json_response
_ERRORS = ACCESS_ERRORS | {
    "404": _problem("no such phone"),
}
_CHANGE_ERRORS = {
    **_ERRORS,
    "400": _problem("the body is not JSON of this shape"),
    "422": _problem("a field breaks its rule; nothing was changed"),
}
_KEYS = {"type": "array", "items": {"$ref": "#/components/schemas/PhoneKey"}}
_OVERRIDES = {
    "type": "object",
    "additionalProperties": {"type": "string", "maxLength": OVERRIDE_VALUE_MAX},
    "description": "setting name in the vendor's own format -> value",
}
_CREDENTIALS = {"$ref": "#/components/schemas/ProvisioningCredentials"}
_SITE = {"$ref": "#/components/schemas/ProvisioningSite"}
_SITE_FIELDS = {
    "time_zone": {
        "type": ["string", "null"],
        "description": "IANA time zone, Europe/Berlin; null or empty to follow "
        "the appliance's own (answered: the zone in effect)",
    },
    "ntp_server": {"type": "string", "description": "host name or IP address"},
    "language": {"enum": list(LANGUAGES)},
    "transport": {
        "enum": list(TRANSPORTS),
        "description": "tls registers on the appliance's SIP TLS port",
    },
}


def _json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


SCHEMAS: dict = {
    "PhoneKey": {
        "type": "object",
        "required": ["position", "kind"],
        "additionalProperties": False,
        "properties": {
            "position": {"type": "integer", "minimum": 1},
            "kind": {"enum": list(KINDS)},
            "target": {
                "type": "string",
                "description": "blf: an extension; park: a park slot; line: unused",
            },
            "label": {"type": "string", "maxLength": LABEL_MAX},
            "line": {"type": "integer", "minimum": 1, "default": 1},
        },
    },
    "ProvisioningSite": {
        "type": "object",
        "properties": _SITE_FIELDS
        | {
            "time_zone_set": {
                "type": "boolean",
                "description": "false: the time zone follows the appliance's",
            }
        },
    },
    "ProvisioningCredentials": {
        "type": "object",
        "properties": {
            "mode": {"enum": list(PHONE_MODES)},
            "effective_mode": {"enum": list(MODES)},
            "username": {"type": "string", "description": "the phone's MAC"},
            "password": {"type": ["string", "null"]},
        },
    },
}

PATHS: dict = {
    "/phones/{mac}/keys": {
        "parameters": [MAC_PARAMETER],
        "get": {
            "operationId": "getPhoneKeys",
            "summary": "The phone's programmable keys (line, BLF, park slot)",
            "responses": {"200": _json(_KEYS, "the keys"), **_ERRORS},
        },
        "put": {
            "operationId": "setPhoneKeys",
            "summary": "Replace the phone's keys; all are checked or none saved",
            "requestBody": _json_body(_KEYS),
            "responses": {"200": _json(_KEYS, "the keys saved"), **_CHANGE_ERRORS},
        },
    },
    "/phones/{mac}/overrides": {
        "parameters": [MAC_PARAMETER],
        "get": {
            "operationId": "getPhoneOverrides",
            "summary": "Settings written last into the phone's own file",
            "responses": {"200": _json(_OVERRIDES, "the overrides"), **_ERRORS},
        },
        "put": {
            "operationId": "setPhoneOverrides",
            "summary": "Replace the phone's overrides",
            "requestBody": _json_body(_OVERRIDES),
            "responses": {
                "200": _json(_OVERRIDES, "the overrides saved"),
                **_CHANGE_ERRORS,
            },
        },
    },
    "/phones/{mac}/http-auth": {
        "parameters": [MAC_PARAMETER],
        "get": {
            "operationId": "getPhoneHttpAuth",
            "summary": "The phone's digest credentials for /prov/",
            "responses": {"200": _json(_CREDENTIALS, "the credentials"), **_ERRORS},
        },
        "put": {
            "operationId": "setPhoneHttpAuth",
            "summary": "Whether the phone needs digest credentials for /prov/",
            "requestBody": _json_body(
                {
                    "type": "object",
                    "required": ["mode"],
                    "properties": {"mode": {"enum": list(PHONE_MODES)}},
                }
            ),
            "responses": {
                "200": _json(_CREDENTIALS, "the credentials"),
                **_CHANGE_ERRORS,
            },
        },
    },
    "/phones/{mac}/http-auth/renew": {
        "parameters": [MAC_PARAMETER],
        "post": {
            "operationId": "renewPhoneHttpPassword",
            "summary": "A new random digest password for the phone",
            "responses": {"200": _json(_CREDENTIALS, "the credentials"), **_ERRORS},
        },
    },
    "/provisioning/http-auth": {
        "get": {
            "operationId": "getSiteHttpAuth",
            "summary": "The digest mode of phones that follow the site",
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"mode": {"enum": list(MODES)}}},
                    "the mode",
                ),
                "401": _ERRORS["401"],
                "403": _ERRORS["403"],
            },
        },
        "put": {
            "operationId": "setSiteHttpAuth",
            "summary": "Set the digest mode of phones that follow the site",
            "requestBody": _json_body(
                {
                    "type": "object",
                    "required": ["mode"],
                    "properties": {"mode": {"enum": list(MODES)}},
                }
            ),
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"mode": {"enum": list(MODES)}}},
                    "the mode",
                ),
                "400": _CHANGE_ERRORS["400"],
                "422": _CHANGE_ERRORS["422"],
                "401": _ERRORS["401"],
                "403": _ERRORS["403"],
            },
        },
    },
    "/provisioning/site": {
        "get": {
            "operationId": "getProvisioningSite",
            "summary": "Time zone, NTP server, language and transport of every phone",
            "responses": {
                "200": _json(_SITE, "the site settings"),
                "401": _ERRORS["401"],
                "403": _ERRORS["403"],
            },
        },
        "put": {
            "operationId": "setProvisioningSite",
            "summary": "Change site settings of every phone; the fields given, or none",
            "requestBody": _json_body(
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": _SITE_FIELDS,
                }
            ),
            "responses": {
                "200": _json(_SITE, "the site settings now"),
                "400": _CHANGE_ERRORS["400"],
                "422": _CHANGE_ERRORS["422"],
                "401": _ERRORS["401"],
                "403": _ERRORS["403"],
            },
        },
    },
}
