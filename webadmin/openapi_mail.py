"""The OpenAPI description of the mail settings routes (``webadmin.api_mail``)."""

from __future__ import annotations

from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_ERRORS = ACCESS_ERRORS
SETTINGS_REF = {"$ref": "#/components/schemas/MailSettings"}

SCHEMAS: dict = {
    "MailSettings": {
        "type": "object",
        "required": [
            "host",
            "port",
            "security",
            "verify_certificate",
            "username",
            "password_set",
            "sender",
            "sender_name",
            "configured",
        ],
        "properties": {
            "host": {"type": "string", "description": "SMTP server; empty: none"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "security": {"type": "string", "enum": ["starttls", "tls", "none"]},
            "verify_certificate": {"type": "boolean"},
            "username": {"type": "string"},
            "password_set": {"type": "boolean"},
            "sender": {"type": "string", "description": "the From address"},
            "sender_name": {"type": "string"},
            "configured": {"type": "boolean"},
        },
    },
    "MailChanges": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "host": {"type": ["string", "null"]},
            "port": {"type": ["integer", "null"], "minimum": 1, "maximum": 65535},
            "security": {"type": "string", "enum": ["starttls", "tls", "none"]},
            "verify_certificate": {"type": "boolean"},
            "username": {"type": ["string", "null"]},
            "password": {
                "type": ["string", "null"],
                "description": "stored sealed; empty clears it",
            },
            "sender": {"type": ["string", "null"]},
            "sender_name": {"type": ["string", "null"]},
        },
    },
    "MailTest": {
        "type": "object",
        "required": ["to"],
        "additionalProperties": False,
        "properties": {"to": {"type": "string", "format": "email"}},
    },
}

PATHS: dict = {
    "/mail": {
        "get": {
            "operationId": "getMailSettings",
            "summary": "The SMTP server mail is sent through (never its password)",
            "responses": {
                "200": json_response(SETTINGS_REF, "the settings"),
                **_ERRORS,
            },
        },
        "patch": {
            "operationId": "changeMailSettings",
            "summary": "Change some mail settings; a refused change keeps all",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/MailChanges"}
                    }
                },
            },
            "responses": {
                "200": json_response(SETTINGS_REF, "the settings now"),
                "400": problem_response("not a JSON object, or an unknown field"),
                "415": problem_response("not application/json"),
                "422": problem_response("a value broke its rule; field names it"),
                **_ERRORS,
            },
        },
    },
    "/mail/test": {
        "post": {
            "operationId": "sendTestMail",
            "summary": "Send a test message through the configured server",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/MailTest"}
                    }
                },
            },
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "to": {"type": "string"},
                            "sent": {"type": "boolean"},
                        },
                    },
                    "the server took the message",
                ),
                "400": problem_response("not a JSON object, or no address"),
                "422": problem_response("not an e-mail address"),
                "502": problem_response("the mail server refused or was unreachable"),
                **_ERRORS,
            },
        },
    },
}
