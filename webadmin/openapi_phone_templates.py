"""The OpenAPI description of ``/api/v1/phone-templates``
(``webadmin.api_phone_templates``)."""

from __future__ import annotations

from agent.provisioning.templates import BODY_MAX
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_problem = problem_response
_json = json_response
_ERRORS = ACCESS_ERRORS
_TEMPLATE = {"$ref": "#/components/schemas/PhoneTemplate"}
_PARAMETERS = [
    {
        "name": "vendor",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "yealink, snom, …",
    },
    {
        "name": "model",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "a model like T54W, or * for every model of the vendor",
    },
    {
        "name": "file",
        "in": "path",
        "required": True,
        "schema": {"enum": ["mac", "common"]},
        "description": "the phone's own file, or the vendor's common file (* only)",
    },
]

SCHEMAS: dict = {
    "PhoneTemplate": {
        "type": "object",
        "properties": {
            "vendor": {"type": "string"},
            "model": {"type": "string"},
            "file": {"enum": ["mac", "common"]},
            "body": {"type": "string", "maxLength": BODY_MAX},
            "built_in": {
                "type": "boolean",
                "description": "no template saved: the built-in file is served",
            },
            "updated_at": {"type": ["string", "null"]},
            "updated_by": {"type": ["string", "null"]},
        },
    }
}

PATHS: dict = {
    "/phone-templates": {
        "get": {
            "operationId": "listPhoneTemplates",
            "summary": "Saved templates; other models get their built-in files",
            "responses": {
                "200": _json({"type": "array", "items": _TEMPLATE}, "the templates"),
                **_ERRORS,
            },
        }
    },
    "/phone-templates/{vendor}/{model}/{file}": {
        "parameters": _PARAMETERS,
        "get": {
            "operationId": "getPhoneTemplate",
            "summary": "A template, or {{ built_in }} when none is saved",
            "responses": {
                "200": _json(_TEMPLATE, "the template"),
                "422": _problem("no such vendor, model or file"),
                **_ERRORS,
            },
        },
        "put": {
            "operationId": "savePhoneTemplate",
            "summary": "Check a template (parse, render, format) and save it",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["body"],
                            "properties": {"body": {"type": "string"}},
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_TEMPLATE, "the template saved"),
                "400": _problem("the body is not JSON of this shape"),
                "422": _problem("the template does not render: line and cause"),
                **_ERRORS,
            },
        },
        "delete": {
            "operationId": "resetPhoneTemplate",
            "summary": "Remove a template: the built-in file is served again",
            "responses": {
                "204": {"description": "removed"},
                "404": _problem("no template saved there"),
                "422": _problem("no such vendor, model or file"),
                **_ERRORS,
            },
        },
    },
    "/phone-templates/{vendor}/{model}/{file}/preview": {
        "parameters": _PARAMETERS,
        "post": {
            "operationId": "previewPhoneTemplate",
            "summary": "The file a template (saved, or sent) gives",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "body": {"type": "string"},
                                "mac": {
                                    "type": "string",
                                    "description": "a phone to render for",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"content": {"type": "string"}}},
                    "the rendered file",
                ),
                "400": _problem("the body is not JSON of this shape"),
                "404": _problem("no such phone"),
                "422": _problem("the template does not render: line and cause"),
                **_ERRORS,
            },
        },
    },
}
