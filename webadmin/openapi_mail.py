"""The OpenAPI description of the mail settings routes (``webadmin.api_mail``)."""

from __future__ import annotations

from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_ERRORS = ACCESS_ERRORS
SETTINGS_REF = {"$ref": "#/components/schemas/MailSettings"}
TEMPLATE_REF = {"$ref": "#/components/schemas/MailTemplate"}
KIND_PARAMETER = {
    "name": "kind",
    "in": "path",
    "required": True,
    "schema": {
        "type": "string",
        "enum": [
            "voicemail",
            "portal-sign-in",
            "event",
            "event-summary",
            "report",
            "test",
        ],
    },
}
_TEMPLATE_ERRORS = {"404": problem_response("no such kind of mail"), **_ERRORS}

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
    "MailTemplate": {
        "type": "object",
        "required": ["kind", "label", "subject", "body", "customized", "placeholders"],
        "properties": {
            "kind": KIND_PARAMETER["schema"],
            "label": {"type": "string"},
            "subject": {"type": "string", "description": "with {placeholders}"},
            "body": {"type": "string", "description": "plain text"},
            "customized": {"type": "boolean", "description": "false: the default"},
            "placeholders": {
                "type": "object",
                "description": "each placeholder the kind knows, and its meaning",
                "additionalProperties": {"type": "string"},
            },
        },
    },
    "MailTemplateChanges": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "subject": {"type": ["string", "null"], "maxLength": 200},
            "body": {"type": ["string", "null"], "maxLength": 8000},
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
    "/mail/templates": {
        "get": {
            "operationId": "listMailTemplates",
            "summary": "The wording of each kind of mail, and its placeholders",
            "responses": {
                "200": json_response(
                    {"type": "array", "items": TEMPLATE_REF}, "every kind"
                ),
                **_ERRORS,
            },
        },
    },
    "/mail/templates/{kind}": {
        "parameters": [KIND_PARAMETER],
        "get": {
            "operationId": "getMailTemplate",
            "summary": "One kind's template",
            "responses": {
                "200": json_response(TEMPLATE_REF, "the template"),
                **_TEMPLATE_ERRORS,
            },
        },
        "patch": {
            "operationId": "changeMailTemplate",
            "summary": "Change the subject, the body or both; a refusal keeps both",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/MailTemplateChanges"}
                    }
                },
            },
            "responses": {
                "200": json_response(TEMPLATE_REF, "the template now"),
                "400": problem_response("not a JSON object, or an unknown field"),
                "415": problem_response("not application/json"),
                "422": problem_response(
                    "an unknown placeholder or a malformed template; field names it"
                ),
                **_TEMPLATE_ERRORS,
            },
        },
        "delete": {
            "operationId": "resetMailTemplate",
            "summary": "Go back to the default wording",
            "responses": {
                "200": json_response(TEMPLATE_REF, "the default template"),
                **_TEMPLATE_ERRORS,
            },
        },
    },
    "/mail/templates/{kind}/preview": {
        "parameters": [KIND_PARAMETER],
        "get": {
            "operationId": "previewMailTemplate",
            "summary": "The mail as the template makes it from sample values",
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string"},
                            "subject": {"type": "string"},
                            "body": {"type": "string"},
                        },
                    },
                    "the filled subject and body",
                ),
                **_TEMPLATE_ERRORS,
            },
        },
    },
    "/mail/templates/{kind}/test": {
        "parameters": [KIND_PARAMETER],
        "post": {
            "operationId": "sendMailTemplateTest",
            "summary": "Send the kind's mail with sample values to an address",
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
                            "kind": {"type": "string"},
                            "to": {"type": "string"},
                            "sent": {"type": "boolean"},
                        },
                    },
                    "the server took the message",
                ),
                "400": problem_response("not a JSON object, or no address"),
                "422": problem_response("not an e-mail address"),
                "502": problem_response("the mail server refused or was unreachable"),
                **_TEMPLATE_ERRORS,
            },
        },
    },
}
