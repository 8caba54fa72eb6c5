"""The OpenAPI 3.1 description of ``/api/v1``, as served.

Written by hand next to the routes it describes (``webadmin.api``); a test
checks that it names exactly the routes the application serves.
"""

from __future__ import annotations

from agent.extensions import rules
from agent.extensions.service import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    SORT_KEYS,
)
from agent.recordings.service import MODES as RECORDING_MODES
from agent.trunks.rules import MAIN_NUMBER_DIGITS_MAX
from webadmin import (
    openapi_audio,
    openapi_backup_schedule,
    openapi_events,
    openapi_feature_codes,
    openapi_features,
    openapi_mail,
    openapi_media,
    openapi_monitor,
    openapi_network,
    openapi_park,
    openapi_people,
    openapi_provisioning,
    openapi_queues,
    openapi_recordings,
    openapi_reports,
    openapi_speed_dials,
    openapi_storage,
    openapi_system_uploads,
    openapi_troubleshoot,
    openapi_trunks,
    security_openapi,
)
from webadmin.bodies import MAX_BODY_BYTES
from webadmin.openapi_parts import problem_response

VERSION = "1.0.0"


BODY_TOO_LARGE = f"the body is larger than {MAX_BODY_BYTES} bytes"


_problem = problem_response


def _json(schema_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{schema_ref}"}
            }
        },
    }


NUMBER_PARAMETER = {
    "name": "number",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]{2,6}$"},
}

_COMMON_ERRORS = {
    "401": _problem("no valid session or bearer token"),
    "403": _problem("the role may not do this, or the CSRF token is missing"),
}

_PRESENTED_NUMBER = rf"^(\+?[0-9]{{1,{MAIN_NUMBER_DIGITS_MAX}}})?$"
_CALLER_ID_NAME = {
    "type": "string",
    "maxLength": rules.DISPLAY_NAME_MAX,
    "description": "no double quotes, backslashes or control characters",
}
#: An extension's caller ID, as it is read (strings) and written (null: "").
CALLER_ID_PROPERTIES = {
    "outside_cid_number": {
        "type": "string",
        "pattern": _PRESENTED_NUMBER,
        "description": f"the number a carrier is given on its outside calls: "
        f"1 to {MAIN_NUMBER_DIGITS_MAX} digits (E.164), optional leading +; "
        "empty: the route's caller ID, else the trunk's main number, else "
        "the extension's number",
    },
    "outside_cid_name": _CALLER_ID_NAME
    | {"description": "the name a carrier is given; empty: none"},
    "internal_cid_name": _CALLER_ID_NAME
    | {
        "description": "the name other extensions' phones show; empty: the display name"
    },
    "withhold_number": {
        "type": "boolean",
        "description": "outside calls go anonymous (Privacy: id, the number "
        "in P-Asserted-Identity only)",
    },
}
_CALLER_ID_CHANGES = {
    name: schema | {"type": ["string", "null"]}
    if schema["type"] == "string"
    else schema
    for name, schema in CALLER_ID_PROPERTIES.items()
}

SCHEMAS: dict = {
    "Extension": {
        "type": "object",
        "required": [
            "number",
            "display_name",
            "email",
            "enabled",
            "created_at",
            "updated_at",
        ],
        "properties": {
            "number": {"type": "string", "pattern": "^[0-9]{2,6}$"},
            "display_name": {"type": "string", "maxLength": rules.DISPLAY_NAME_MAX},
            "email": {"type": ["string", "null"], "maxLength": rules.EMAIL_MAX},
            "enabled": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "pickup_group": {
                "type": "string",
                "maxLength": rules.PICKUP_GROUP_MAX,
                "description": "call pickup group; empty: in none",
            },
            "recording": {
                "enum": list(RECORDING_MODES),
                "readOnly": True,
                "description": "which of its calls are recorded; set with "
                "PUT /extensions/{number}/recording",
            },
            **CALLER_ID_PROPERTIES,
        },
    },
    "ExtensionListItem": {
        "allOf": [
            {"$ref": "#/components/schemas/Extension"},
            {
                "type": "object",
                "properties": {
                    "registered_phones": {
                        "type": ["integer", "null"],
                        "description": "null when the SIP core does not answer",
                    }
                },
            },
        ]
    },
    "ExtensionPage": {
        "type": "object",
        "required": ["items", "total", "page", "per_page", "pages"],
        "properties": {
            "items": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ExtensionListItem"},
            },
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
        },
    },
    "ExtensionDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/Extension"},
            {
                "type": "object",
                "properties": {
                    "registrations": {
                        "type": ["array", "null"],
                        "description": "null when the SIP core does not answer",
                        "items": {
                            "type": "object",
                            "properties": {
                                "contact": {"type": "string"},
                                "user_agent": {"type": "string"},
                                "source": {"type": "string"},
                                "expires_in_s": {"type": "integer"},
                            },
                        },
                    }
                },
            },
        ]
    },
    "NewExtension": {
        "type": "object",
        "required": ["number", "display_name"],
        "additionalProperties": False,
        "properties": {
            "number": {"type": "string", "pattern": "^[0-9]{2,6}$"},
            "display_name": {"type": "string", "maxLength": rules.DISPLAY_NAME_MAX},
            "email": {"type": ["string", "null"]},
            "password": {
                "type": ["string", "null"],
                "description": "SIP password; a strong one is generated if omitted",
                "minLength": rules.PASSWORD_MIN,
                "maxLength": rules.PASSWORD_MAX,
            },
            **_CALLER_ID_CHANGES,
        },
    },
    "CreatedExtension": {
        "allOf": [
            {"$ref": "#/components/schemas/Extension"},
            {
                "type": "object",
                "properties": {
                    "password": {
                        "type": ["string", "null"],
                        "description": "the generated SIP password, shown this once",
                    }
                },
            },
        ]
    },
    "ExtensionChanges": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "display_name": {"type": "string", "maxLength": rules.DISPLAY_NAME_MAX},
            "email": {"type": ["string", "null"]},
            "enabled": {"type": "boolean"},
            "pickup_group": {"type": ["string", "null"]},
            **_CALLER_ID_CHANGES,
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "field": {"type": "string", "description": "the request field at fault"},
        },
    },
}


def document() -> dict:
    return _with_versions(_with_reading_errors(_parts()))


# Every route that reads a JSON body or a query goes through the API's one
# reader (webadmin.api.json_object, _query_int): it answers 400 to a body or
# query it cannot read or a field of the wrong JSON type, and 415 to a body
# that is not JSON, whichever part of the API the route belongs to.
_BODY_ERRORS = {
    "400": problem_response(
        "a body the API cannot read, an unknown field, or a field of the wrong "
        "JSON type"
    ),
    "415": problem_response("the body is not application/json"),
}
_QUERY_ERRORS = {
    "400": problem_response("a query value the API cannot read"),
    # gunicorn's own limit on the request line (limit_request_line).
    "414": {"description": "the query makes the request line too long"},
}


def _with_reading_errors(doc: dict) -> dict:
    for path in doc["paths"].values():
        for method, operation in path.items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                for status, response in _BODY_ERRORS.items():
                    responses.setdefault(status, response)
            queries = [
                p for p in operation.get("parameters", []) if p.get("in") == "query"
            ]
            if queries:
                for status, response in _QUERY_ERRORS.items():
                    responses.setdefault(status, response)
    return doc


# The objects an admin edits in a form that carries its version
# (webadmin.form_versions): a GET of one answers that version as its ETag,
# and a PUT, PATCH or DELETE of one honours If-Match.
VERSIONED_PATHS = (
    "/extensions/{number}",
    "/accounts/{username}",
    "/trunks/{trunk}",
    "/speed-dials/{code}",
    "/ivr/{number}",
    "/conference/{number}",
    "/paging/{number}",
    "/paging-broadcasts/{name}",
    "/voicemail/{number}",
    "/queues/{number}",
    "/outbound-routes/{route}",
    "/inbound-routes/{did}",
    "/ring-groups/{group}",
)
_ETAG_HEADER = {
    "ETag": {
        "description": "the version of the object as answered, a strong "
        "entity tag; send it back in If-Match to change the object only if "
        "no one has changed it since",
        "schema": {"type": "string"},
    }
}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "the ETag of the object as last read (or `*` for any "
    "version); the request is refused with 412 if the object has changed "
    "since. Without If-Match the request is not checked and overwrites "
    "whatever was saved meanwhile.",
    "schema": {"type": "string"},
}
_PRECONDITION_FAILED = problem_response(
    "If-Match names a version the object no longer has (someone changed it "
    "since), or the object does not exist; nothing was changed, and the "
    "problem names the object and its current ETag"
)


def _with_versions(doc: dict) -> dict:
    """VERSIONED_PATHS with their ETag and If-Match, on copies: the paths'
    operations are shared with the modules that describe them."""
    for path in VERSIONED_PATHS:
        item = dict(doc["paths"][path])
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = dict(operation["responses"])
            for status in ("200", "201"):
                if method == "delete":
                    break
                if status in responses and "content" in responses[status]:
                    response = responses[status]
                    headers = response.get("headers", {}) | _ETAG_HEADER
                    responses[status] = response | {"headers": headers}
            parameters = operation.get("parameters", [])
            if method in {"put", "patch", "delete"}:
                parameters = [*parameters, _IF_MATCH]
                responses["412"] = _PRECONDITION_FAILED
            item[method] = operation | {"responses": responses}
            if parameters:
                item[method]["parameters"] = parameters
        doc["paths"][path] = item
    return doc


def _parts() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "edgepbx REST API",
            "version": VERSION,
            "description": (
                "Manage the PBX from scripts. Authenticate with an API token "
                "(edgepbx token create --role ROLE) as Authorization: Bearer, "
                "or with the web admin's session cookie plus its X-CSRF-Token "
                "header on changes. Every route refuses a body the same way: "
                "one that is not a JSON object, an unknown field or a field of "
                "the wrong JSON type (a string for a number, true for a "
                "number) is 400 bad-request; a value of the right type that "
                "breaks a rule is 422 invalid-input. Both problems name the "
                "field and say the rule. A GET of one object that an admin "
                "edits (an extension, account, trunk, route, ring group, speed "
                "dial, menu, room, page group, broadcast, mailbox or queue) "
                "answers its version "
                "as a strong ETag; a PUT, PATCH or DELETE of it that sends "
                "that ETag in If-Match is refused with 412 precondition-failed "
                "if someone changed the object since, and nothing is saved. A "
                "request without If-Match is not checked, as before: it "
                "overwrites whatever was saved meanwhile."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "__Host-edgepbx_session",
                },
            },
            "schemas": SCHEMAS
            | openapi_provisioning.SCHEMAS
            | security_openapi.SCHEMAS
            | openapi_people.SCHEMAS
            | openapi_mail.SCHEMAS
            | openapi_network.SCHEMAS
            | openapi_media.SCHEMAS
            | openapi_queues.SCHEMAS
            | openapi_park.SCHEMAS
            | openapi_trunks.SCHEMAS
            | openapi_features.SCHEMAS
            | openapi_speed_dials.SCHEMAS
            | openapi_feature_codes.SCHEMAS
            | openapi_recordings.SCHEMAS
            | openapi_backup_schedule.SCHEMAS
            | openapi_monitor.SCHEMAS
            | openapi_reports.SCHEMAS
            | openapi_events.SCHEMAS
            | openapi_audio.SCHEMAS
            | openapi_storage.SCHEMAS
            | openapi_troubleshoot.SCHEMAS,
        },
        "paths": {
            **openapi_provisioning.PATHS,
            **openapi_media.PATHS,
            **openapi_queues.PATHS,
            **openapi_park.PATHS,
            **openapi_audio.PATHS,
            **openapi_trunks.PATHS,
            **openapi_speed_dials.PATHS,
            **openapi_feature_codes.PATHS,
            **openapi_recordings.PATHS,
            **openapi_backup_schedule.PATHS,
            **openapi_storage.PATHS,
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "responses": {
                        "200": {"description": "the OpenAPI document"},
                        **_COMMON_ERRORS,
                    },
                }
            },
            "/extensions": {
                "get": {
                    "operationId": "listExtensions",
                    "summary": "One page of extensions, searched and sorted",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "sort",
                            "in": "query",
                            "schema": {"enum": list(SORT_KEYS), "default": "number"},
                        },
                        {
                            "name": "order",
                            "in": "query",
                            "schema": {"enum": ["asc", "desc"], "default": "asc"},
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_PAGE,
                                "default": 1,
                            },
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_PAGE_SIZE,
                                "default": DEFAULT_PAGE_SIZE,
                            },
                        },
                    ],
                    "responses": {
                        "200": _json("ExtensionPage", "the page"),
                        "422": _problem(
                            "a query parameter is not valid, or not one of these"
                        ),
                        **_COMMON_ERRORS,
                    },
                },
                "post": {
                    "operationId": "addExtension",
                    "summary": "Add an extension",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewExtension"}
                            }
                        },
                    },
                    "responses": {
                        "201": _json("CreatedExtension", "added"),
                        "400": _problem("not a JSON object, or an unknown field"),
                        "409": _problem("the number is taken"),
                        "413": _problem(BODY_TOO_LARGE),
                        "415": _problem("the body is not JSON"),
                        "422": _problem("a field breaks its rule"),
                        **_COMMON_ERRORS,
                    },
                },
            },
            "/extensions/{number}": {
                "parameters": [NUMBER_PARAMETER],
                "get": {
                    "operationId": "getExtension",
                    "summary": "One extension and its registered phones",
                    "responses": {
                        "200": _json("ExtensionDetail", "the extension"),
                        "404": _problem("no such extension"),
                        **_COMMON_ERRORS,
                    },
                },
                "patch": {
                    "operationId": "changeExtension",
                    "summary": "Change some fields of an extension",
                    "description": (
                        "Fields left out, or sent with the value they already "
                        "have, stay as they are. A body that changes nothing "
                        "(such as `{}`) answers 200 with the extension as it "
                        "is and leaves no audit log entry."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {
                            media: {
                                "schema": {
                                    "$ref": "#/components/schemas/ExtensionChanges"
                                }
                            }
                            for media in (
                                "application/json",
                                "application/merge-patch+json",
                            )
                        },
                    },
                    "responses": {
                        "200": _json("Extension", "the extension as changed"),
                        "400": _problem("not a JSON object, or an unknown field"),
                        "404": _problem("no such extension"),
                        "413": _problem(BODY_TOO_LARGE),
                        "415": _problem("the body is not JSON"),
                        "422": _problem("a field breaks its rule"),
                        **_COMMON_ERRORS,
                    },
                },
                "delete": {
                    "operationId": "deleteExtension",
                    "summary": "Delete an extension",
                    "responses": {
                        "204": {"description": "deleted"},
                        "404": _problem("no such extension"),
                        "409": _problem("an IVR, route, group or condition uses it"),
                        **_COMMON_ERRORS,
                    },
                },
            },
            **SYSTEM_PATHS,
            **security_openapi.PATHS,
            **openapi_people.PATHS,
            **openapi_mail.PATHS,
            **openapi_network.PATHS,
            **openapi_features.PATHS,
            **openapi_monitor.PATHS,
            **openapi_reports.PATHS,
            **openapi_events.PATHS,
            **openapi_troubleshoot.PATHS,
            **openapi_system_uploads.PATHS,
        },
    }


# The box itself (webadmin/api_system.py): firmware slots and backups.
SYSTEM_PATHS: dict = {
    "/firmware": {
        "get": {
            "operationId": "getFirmwareStatus",
            "summary": "Which slot runs, which boots next, what each holds",
            "responses": {
                "200": _json("FirmwareStatus", "the firmware slots"),
                "404": _problem("this machine has no firmware slots"),
                **_COMMON_ERRORS,
            },
        }
    },
    "/backups": {
        "post": {
            "operationId": "createBackup",
            "summary": "Make a backup and download it (super administrators)",
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "passphrase": {
                                    "type": "string",
                                    "minLength": 12,
                                    "description": "seals the backup",
                                }
                            },
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "the backup file (sealed with a passphrase)",
                    "content": {
                        "application/gzip": {},
                        "application/octet-stream": {},
                    },
                },
                "400": _problem("not a JSON object, or an unknown field"),
                "422": _problem("the passphrase is too short"),
                **_COMMON_ERRORS,
            },
        }
    },
}

SCHEMAS["FirmwareStatus"] = {
    "type": "object",
    "required": [
        "booted_slot",
        "version",
        "trial",
        "default_slot",
        "tryboot_slot",
        "slots",
    ],
    "properties": {
        "booted_slot": {"type": "string", "enum": ["A", "B"]},
        "version": {"type": ["string", "null"]},
        "trial": {"type": "boolean", "description": "booted once, not committed"},
        "default_slot": {"type": "string", "enum": ["A", "B"]},
        "tryboot_slot": {"type": "string", "enum": ["A", "B"]},
        "slots": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "partition": {"type": "integer"},
                    "version": {"type": ["string", "null"]},
                    "state": {"type": ["string", "null"]},
                    "booted": {"type": "boolean"},
                },
            },
        },
    },
}
