"""The OpenAPI description of ``/api/v1/phone-firmware`` and
``/api/v1/phone-firmware-targets`` (``webadmin.api_phone_firmware``)."""

from __future__ import annotations

from agent.provisioning.firmware import FIRMWARE_MAX_BYTES
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_problem = problem_response
_json = json_response
_ERRORS = ACCESS_ERRORS
_FIRMWARE = {"$ref": "#/components/schemas/PhoneFirmware"}


def _path(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


_VENDOR = _path("vendor", "yealink, snom, …")
_MODEL = _path("model", "a model like T54W")
_VERSION = _path("version", "the version the file holds")

SCHEMAS: dict = {
    "PhoneFirmware": {
        "type": "object",
        "properties": {
            "vendor": {"type": "string"},
            "model": {"type": "string"},
            "version": {"type": "string"},
            "file_name": {"type": "string"},
            "size": {"type": "integer"},
            "sha256": {"type": "string"},
            "uploaded_at": {"type": "string"},
            "target": {
                "type": "boolean",
                "description": "the version the model's phones should run",
            },
        },
    }
}

PATHS: dict = {
    "/phone-firmware": {
        "get": {
            "operationId": "listPhoneFirmware",
            "summary": "Firmware files uploaded for the phones",
            "responses": {
                "200": _json({"type": "array", "items": _FIRMWARE}, "the files"),
                **_ERRORS,
            },
        }
    },
    "/phone-firmware/{vendor}/{model}/{version}": {
        "parameters": [_VENDOR, _MODEL, _VERSION],
        "put": {
            "operationId": "uploadPhoneFirmware",
            "summary": "Upload a firmware file (the raw body, streamed to disk)",
            "parameters": [
                {
                    "name": "file_name",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "the name phones ask for, like gxp2170fw.bin",
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {
                        "schema": {
                            "type": "string",
                            "format": "binary",
                            "maxLength": FIRMWARE_MAX_BYTES,
                        }
                    }
                },
            },
            "responses": {
                "201": _json(_FIRMWARE, "the file as stored"),
                "400": _problem("not an octet stream, or no file_name"),
                "409": _problem("that version or file name is already uploaded"),
                "413": _problem("larger than the limit"),
                "422": _problem("a field breaks its rule"),
                **_ERRORS,
            },
        },
        "delete": {
            "operationId": "removePhoneFirmware",
            "summary": "Remove a firmware file that is not a model's target",
            "responses": {
                "204": {"description": "removed"},
                "404": _problem("no such file"),
                "422": _problem("the file is its model's target"),
                **_ERRORS,
            },
        },
    },
    "/phone-firmware-targets/{vendor}/{model}": {
        "parameters": [_VENDOR, _MODEL],
        "put": {
            "operationId": "setPhoneFirmwareTarget",
            "summary": "The version a model's phones upgrade to (null: none)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["version"],
                            "properties": {"version": {"type": ["string", "null"]}},
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "vendor": {"type": "string"},
                            "model": {"type": "string"},
                            "version": {"type": ["string", "null"]},
                        },
                    },
                    "the target",
                ),
                "400": _problem('the body is not {"version": …}'),
                "404": _problem("that version is not uploaded"),
                "422": _problem("a field breaks its rule"),
                **_ERRORS,
            },
        },
    },
}
