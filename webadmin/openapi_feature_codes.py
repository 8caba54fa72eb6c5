"""The OpenAPI description of ``webadmin.api_feature_codes``."""

from __future__ import annotations

from agent.feature_codes import CODE_RULE
from agent.sip.feature_codes import BY_NAME
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

FEATURE_CODE_REF = {"$ref": "#/components/schemas/FeatureCode"}
_FEATURE = {
    "name": "feature",
    "in": "path",
    "required": True,
    "description": "the feature's name",
    "schema": {"type": "string", "enum": list(BY_NAME)},
}

SCHEMAS: dict = {
    "FeatureCode": {
        "type": "object",
        "properties": {
            "feature": {"type": "string", "readOnly": True},
            "code": {
                "type": "string",
                "pattern": "^[*#0-9]{2,8}$",
                "description": "what a phone dials: " + CODE_RULE,
            },
            "default": {"type": "string", "readOnly": True},
            "description": {"type": "string", "readOnly": True},
            "takes_number": {
                "type": "boolean",
                "readOnly": True,
                "description": "a number follows the code (a forward target, "
                "an extension, a speed dial's code)",
            },
        },
    },
    "FeatureCodeChange": {
        "type": "object",
        "additionalProperties": False,
        "required": ["code"],
        "properties": {"code": {"type": "string"}},
    },
}

PATHS: dict = {
    "/feature-codes": {
        "get": {
            "operationId": "listFeatureCodes",
            "summary": "Every feature and the code phones dial for it",
            "responses": {
                "200": json_response(
                    {"type": "array", "items": FEATURE_CODE_REF}, "the codes"
                ),
                **ACCESS_ERRORS,
            },
        }
    },
    "/feature-codes/{feature}": {
        "parameters": [_FEATURE],
        "get": {
            "operationId": "getFeatureCode",
            "summary": "One feature's code",
            "responses": {
                "200": json_response(FEATURE_CODE_REF, "the code"),
                "404": problem_response("no such feature"),
                **ACCESS_ERRORS,
            },
        },
        "put": {
            "operationId": "setFeatureCode",
            "summary": "Give a feature a new code",
            "description": "Phones reach the feature by the new code from the "
            "next call on, and by the old one no more. A refused change "
            "changes nothing.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/FeatureCodeChange"}
                    }
                },
            },
            "responses": {
                "200": json_response(FEATURE_CODE_REF, "changed"),
                "400": problem_response("not a JSON object with a string code"),
                "404": problem_response("no such feature"),
                "422": problem_response(
                    "a code that breaks its rule, clashes with another feature's "
                    "code, or is a number of the internal number space"
                ),
                **ACCESS_ERRORS,
            },
        },
        "delete": {
            "operationId": "resetFeatureCode",
            "summary": "Give a feature its default code back",
            "responses": {
                "200": json_response(FEATURE_CODE_REF, "the default code again"),
                "404": problem_response("no such feature"),
                "422": problem_response("another feature has the default code now"),
                **ACCESS_ERRORS,
            },
        },
    },
}
