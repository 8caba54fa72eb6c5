"""The OpenAPI description of ``webadmin.api_people``: roles, accounts,
API tokens, extension import, phonebooks, contacts and ``/me``; merged into
the document of ``webadmin.openapi``."""

from __future__ import annotations

from agent.accounts.roles import ACCESS_LEVELS, MODULES
from agent.contacts import service as contacts
from agent.csvimport import MAX_BYTES
from agent.extensions.rules import DISPLAY_NAME_MAX
from agent.extensions.service import CSV_COLUMNS as EXTENSION_COLUMNS
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_problem = problem_response
_ERRORS = ACCESS_ERRORS
_BAD_BODY = {
    "400": _problem("not a JSON object, an unknown field or a wrong type"),
    "413": _problem("the body is too large"),
    "415": _problem("the body is not JSON"),
    "422": _problem("a field breaks its rule"),
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict:
    return {"type": "array", "items": _ref(name)}


def _ok(schema: dict, description: str = "the result") -> dict:
    return json_response(schema, description)


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _csv_body(columns: tuple[str, ...]) -> dict:
    return {
        "required": True,
        "description": (
            f"CSV with a header row naming columns of {', '.join(columns)}; "
            f"at most {MAX_BYTES} bytes"
        ),
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }


def _import_responses(item: str) -> dict:
    return {
        "201": _ok(_list_of(item), "every row, imported"),
        "400": _problem("the file is not UTF-8"),
        "413": _problem("the file is too large"),
        "415": _problem("the body is not text/csv"),
        "422": {
            "description": "nothing imported: the wrong rows, each with its error",
            "content": {"application/problem+json": {"schema": _ref("ImportProblem")}},
        },
        **_ERRORS,
    }


def _op(op_id: str, summary: str, responses: dict, **more) -> dict:
    return {"operationId": op_id, "summary": summary, "responses": responses, **more}


def _path(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


_NO_CONTENT = {"204": {"description": "done"}}
_NOT_FOUND = {"404": _problem("no such object")}
_SEARCH = {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 64}}
_NUMBER = _path(
    "number", "the extension", {"type": "string", "pattern": "^[0-9]{2,6}$"}
)
_DIGITS = {"type": "string", "pattern": "^[0-9]+$"}
_TOKEN_ID = _path("token_id", "the token's id", _DIGITS)
_CONTACT_ID = _path("contact_id", "the contact's id", _DIGITS)

SCHEMAS: dict = {
    "CustomRole": {
        "type": "object",
        "required": ["name", "description", "modules", "extension_ranges"],
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "modules": {
                "type": "object",
                "properties": {m: {"enum": list(ACCESS_LEVELS)} for m in MODULES},
            },
            "extension_ranges": {
                "type": ["string", "null"],
                "description": 'numbers and ranges such as "100-199,300"; null: all',
            },
        },
    },
    "NewCustomRole": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "description": {"type": ["string", "null"]},
            "modules": {
                "type": ["object", "null"],
                "description": "module: none, view or edit (edit only where allowed)",
                "properties": {m: {"enum": list(ACCESS_LEVELS)} for m in MODULES},
                "additionalProperties": False,
            },
            "extension_ranges": {
                "type": ["string", "null"],
                "description": 'numbers and ranges such as "100-199,300"; null or'
                " left out: all; an empty string is refused",
            },
        },
    },
    "Account": {
        "type": "object",
        "required": ["username", "role", "must_change_password", "created_at"],
        "properties": {
            "username": {"type": "string"},
            "role": {"type": "string"},
            "must_change_password": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "extension": {
                "type": ["string", "null"],
                "description": "the extension of a user portal account",
            },
            "one_time_password": {
                "type": "string",
                "description": "only when made: shown this once",
            },
            "mailed": {
                "enum": ["sent", "no-address", "no-server", "not-sent"],
                "description": "portal accounts: whether the details were e-mailed",
            },
        },
    },
    "ApiToken": {
        "type": "object",
        "required": ["id", "name", "role", "created_by", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "role": {"type": "string"},
            "created_by": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "last_used_at": {"type": ["string", "null"], "format": "date-time"},
            "token": {"type": "string", "description": "only when made: shown once"},
        },
    },
    "Phonebook": {
        "type": "object",
        "required": ["name", "visible_to", "contacts"],
        "properties": {
            "name": {"type": "string"},
            "visible_to": {"type": ["string", "null"]},
            "contacts": {"type": "integer"},
        },
    },
    "Contact": {
        "type": "object",
        "required": ["id", "name", "company", "number", "email"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "company": {"type": "string"},
            "number": {"type": "string"},
            "email": {"type": ["string", "null"]},
            "phonebook": {"type": ["string", "null"]},
            "owner": {"type": ["string", "null"]},
        },
    },
    "NewContact": {
        "type": "object",
        "required": ["name", "number"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": contacts.NAME_MAX},
            "number": {"type": "string"},
            "company": {"type": ["string", "null"]},
            "email": {"type": ["string", "null"]},
        },
    },
    "ImportProblem": {
        "allOf": [
            _ref("Problem"),
            {
                "type": "object",
                "description": "rows is absent when the file as a whole is refused",
                "properties": {
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "row": {"type": "integer"},
                                "field": {"type": ["string", "null"]},
                                "error": {"type": "string"},
                            },
                        },
                    }
                },
            },
        ]
    },
    "Me": {
        "type": "object",
        "required": ["name", "role", "extension"],
        "properties": {
            "name": {"type": "string"},
            "role": {"type": "string"},
            "extension": {"type": ["string", "null"]},
        },
    },
    "Profile": {
        "type": "object",
        "additionalProperties": False,
        "required": ["display_name"],
        "properties": {
            "display_name": {"type": "string", "maxLength": DISPLAY_NAME_MAX},
            "email": {
                "type": ["string", "null"],
                "description": "empty or null clears it",
            },
        },
    },
    "Presence": {
        "type": "object",
        "required": ["extension", "phones", "dnd", "forwards", "rings", "why_not"],
        "properties": {
            "extension": {"type": "string"},
            "phones": {
                "type": ["array", "null"],
                "items": {"type": "string"},
                "description": "the registered phones' User-Agents; null when "
                "the SIP core does not answer",
            },
            "dnd": {"type": "boolean"},
            "forwards": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "forward kind (always, busy, no_answer, "
                "unreachable) to its target, only those set",
            },
            "rings": {"type": "boolean"},
            "why_not": {"type": "string", "description": "empty when it rings"},
        },
    },
}

_NAMED = {"type": "object", "additionalProperties": False}

PATHS: dict = {
    "/roles": {
        "get": _op(
            "listRoles", "Custom roles", {"200": _ok(_list_of("CustomRole"))} | _ERRORS
        ),
        "post": _op(
            "addRole",
            "Add a custom role (super administrators)",
            {"201": _ok(_ref("CustomRole"), "added"), "409": _problem("name taken")}
            | _BAD_BODY
            | _ERRORS,
            requestBody=_body(_ref("NewCustomRole")),
        ),
    },
    "/roles/{name}": {
        "parameters": [_path("name", "the custom role")],
        "get": _op(
            "getRole",
            "One custom role",
            {"200": _ok(_ref("CustomRole"))} | _NOT_FOUND | _ERRORS,
        ),
        "patch": _op(
            "changeRole",
            "Change a custom role; extension_ranges null: all, empty: refused",
            {"200": _ok(_ref("CustomRole"))} | _NOT_FOUND | _BAD_BODY | _ERRORS,
            requestBody=_body(
                _NAMED
                | {
                    "properties": {
                        k: v
                        for k, v in SCHEMAS["NewCustomRole"]["properties"].items()
                        if k != "name"
                    }
                }
            ),
        ),
        "delete": _op(
            "deleteRole",
            "Remove a custom role no account or token holds",
            _NO_CONTENT | _NOT_FOUND | {"400": _problem("still held")} | _ERRORS,
        ),
    },
    "/accounts": {
        "get": _op(
            "listAccounts",
            "Accounts that sign in",
            {"200": _ok(_list_of("Account"))} | _ERRORS,
        ),
        "post": _op(
            "addAccount",
            "Add an account with a one-time password",
            {"201": _ok(_ref("Account"), "added"), "409": _problem("name taken")}
            | _BAD_BODY
            | _ERRORS,
            requestBody=_body(
                _NAMED
                | {
                    "required": ["username", "role"],
                    "properties": {
                        "username": {"type": "string"},
                        "role": {"type": "string"},
                    },
                }
            ),
        ),
    },
    "/accounts/{username}": {
        "parameters": [_path("username", "the account")],
        "get": _op(
            "getAccount",
            "One account",
            {"200": _ok(_ref("Account"))} | _NOT_FOUND | _ERRORS,
        ),
        "patch": _op(
            "changeAccount",
            "Give an account another role (its sessions end)",
            {"200": _ok(_ref("Account"))} | _NOT_FOUND | _BAD_BODY | _ERRORS,
            requestBody=_body(_NAMED | {"properties": {"role": {"type": "string"}}}),
        ),
        "delete": _op(
            "deleteAccount",
            "Remove an account",
            _NO_CONTENT
            | _NOT_FOUND
            | {"422": _problem("yourself or the last super administrator")}
            | _ERRORS,
        ),
    },
    "/extensions/{number}/portal-account": {
        "parameters": [_NUMBER],
        "post": _op(
            "addPortalAccount",
            "Give an extension's user a portal account (role user); it takes "
            "no body, and a body's field is refused, named",
            {
                "201": _ok(_ref("Account"), "added"),
                "400": _problem("a body with a field: this takes none"),
                "409": _problem("it has one"),
                "415": _problem("a body that is not application/json"),
            }
            | _NOT_FOUND
            | _ERRORS,
        ),
    },
    "/extensions/{number}/contacts": {
        "parameters": [_NUMBER],
        "get": _op(
            "listContactsOfExtension",
            "The company contacts an extension's phones show",
            {"200": _ok(_list_of("Contact"))} | _NOT_FOUND | _ERRORS,
        ),
    },
    "/extensions/import": {
        "post": _op(
            "importExtensions",
            "Add extensions from CSV: all rows, or none if any is wrong",
            _import_responses("CreatedExtension"),
            requestBody=_csv_body(EXTENSION_COLUMNS),
        ),
    },
    "/tokens": {
        "get": _op(
            "listTokens",
            "API tokens (never the tokens themselves)",
            {"200": _ok(_list_of("ApiToken"))} | _ERRORS,
        ),
        "post": _op(
            "addToken",
            "Make an API token, shown once",
            {"201": _ok(_ref("ApiToken"), "made")} | _BAD_BODY | _ERRORS,
            requestBody=_body(
                _NAMED
                | {
                    "required": ["name", "role"],
                    "properties": {
                        "name": {"type": "string"},
                        "role": {"type": "string"},
                    },
                }
            ),
        ),
    },
    "/tokens/{token_id}": {
        "parameters": [_TOKEN_ID],
        "delete": _op(
            "revokeToken",
            "Revoke an API token",
            _NO_CONTENT | _NOT_FOUND | {"422": _problem("not a number")} | _ERRORS,
        ),
    },
    "/phonebooks": {
        "get": _op(
            "listPhonebooks",
            "Company phonebooks",
            {"200": _ok(_list_of("Phonebook"))} | _ERRORS,
        ),
        "post": _op(
            "addPhonebook",
            "Add a phonebook, visible to all or to extension ranges",
            {"201": _ok(_ref("Phonebook"), "added"), "409": _problem("name taken")}
            | _BAD_BODY
            | _ERRORS,
            requestBody=_body(
                _NAMED
                | {
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "visible_to": {"type": ["string", "null"]},
                    },
                }
            ),
        ),
    },
    "/phonebooks/{name}": {
        "parameters": [_path("name", "the phonebook")],
        "patch": _op(
            "changePhonebook",
            "Change who sees a phonebook (null or empty: everyone)",
            {"200": _ok(_ref("Phonebook"))} | _NOT_FOUND | _BAD_BODY | _ERRORS,
            requestBody=_body(
                _NAMED | {"properties": {"visible_to": {"type": ["string", "null"]}}}
            ),
        ),
        "delete": _op(
            "deletePhonebook",
            "Remove a phonebook and its contacts",
            _NO_CONTENT | _NOT_FOUND | _ERRORS,
        ),
    },
    "/phonebooks/{name}/contacts": {
        "parameters": [_path("name", "the phonebook")],
        "get": _op(
            "listContacts",
            "A phonebook's contacts, searched by name, company or number",
            {"200": _ok(_list_of("Contact")), "422": _problem("search too long")}
            | _NOT_FOUND
            | _ERRORS,
            parameters=[_SEARCH],
        ),
        "post": _op(
            "addContact",
            "Add a contact to a phonebook",
            {"201": _ok(_ref("Contact"), "added")} | _NOT_FOUND | _BAD_BODY | _ERRORS,
            requestBody=_body(_ref("NewContact")),
        ),
    },
    "/phonebooks/{name}/import": {
        "parameters": [_path("name", "the phonebook")],
        "post": _op(
            "importContacts",
            "Add contacts from CSV: all rows, or none if any is wrong",
            _import_responses("Contact") | _NOT_FOUND,
            requestBody=_csv_body(contacts.CSV_COLUMNS),
        ),
    },
    "/contacts/{contact_id}": {
        "parameters": [_CONTACT_ID],
        "delete": _op(
            "deleteContact",
            "Remove a company contact",
            _NO_CONTENT | _NOT_FOUND | {"422": _problem("not a number")} | _ERRORS,
        ),
    },
    "/me": {
        "get": _op("getMe", "Who is asking", {"200": _ok(_ref("Me"))} | _ERRORS),
    },
    "/me/presence": {
        "get": _op(
            "getMyPresence",
            "The portal user's extension as callers meet it",
            {"200": _ok(_ref("Presence"))} | _ERRORS,
        ),
    },
    "/me/profile": {
        "put": _op(
            "changeMyProfile",
            "The portal user changes their extension's name and e-mail address",
            {
                "200": _ok(_ref("Extension"), "the extension as changed"),
                "422": _problem("a field breaks its rule; field names it"),
            }
            | _BAD_BODY
            | _ERRORS,
            requestBody=_body(_ref("Profile")),
        ),
    },
    "/me/contacts": {
        "get": _op(
            "listMyContacts",
            "The personal contacts of the portal user's extension",
            {"200": _ok(_list_of("Contact")), "422": _problem("search too long")}
            | _ERRORS,
            parameters=[_SEARCH],
        ),
        "post": _op(
            "addMyContact",
            "Add a personal contact",
            {"201": _ok(_ref("Contact"), "added")} | _BAD_BODY | _ERRORS,
            requestBody=_body(_ref("NewContact")),
        ),
    },
    "/me/contacts/import": {
        "post": _op(
            "importMyContacts",
            "Add personal contacts from CSV: all rows, or none",
            _import_responses("Contact"),
            requestBody=_csv_body(contacts.CSV_COLUMNS),
        ),
    },
    "/me/contacts/{contact_id}": {
        "parameters": [_CONTACT_ID],
        "delete": _op(
            "deleteMyContact",
            "Remove a personal contact",
            _NO_CONTENT | _NOT_FOUND | {"422": _problem("not a number")} | _ERRORS,
        ),
    },
}
