"""The OpenAPI description of ``webadmin.api_recordings``."""

from __future__ import annotations

from agent.recordings.service import MODES
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

RECORDING_REF = {"$ref": "#/components/schemas/Recording"}
_CALL_ID = {
    "name": "call_id",
    "in": "path",
    "required": True,
    "description": "the call's SIP Call-ID, as its call record says",
    "schema": {"type": "string"},
}

SCHEMAS: dict = {
    "Recording": {
        "type": "object",
        "properties": {
            "call_id": {"type": "string"},
            "start": {"type": "string", "format": "date-time"},
            "direction": {"enum": ["in", "out", "internal"]},
            "src": {"type": "string"},
            "dst": {"type": "string"},
            "billsec": {"type": "integer"},
            "file": {
                "type": "string",
                "description": "the WAV file's name under recordings/",
            },
            "present": {
                "type": "boolean",
                "description": "false once the file was removed (old recordings "
                "are cleaned up): the call record still names it",
            },
            "size": {"type": "integer", "description": "bytes; 0 when removed"},
        },
    },
    "ExtensionRecording": {
        "type": "object",
        "additionalProperties": False,
        "required": ["recording"],
        "properties": {
            "recording": {
                "enum": list(MODES),
                "description": "which of the extension's calls are recorded: "
                "those it takes (inbound), makes (outbound), both, or none",
            }
        },
    },
    "TrunkRecording": {
        "type": "object",
        "additionalProperties": False,
        "required": ["recording"],
        "properties": {
            "recording": {
                "type": "boolean",
                "description": "record every call through the trunk",
            }
        },
    },
}

_NEEDS = " Needs the recordings permission; a role limited to some extensions "
_NEEDS += "gets their calls' recordings, a portal user their own."

PATHS: dict = {
    "/recordings": {
        "get": {
            "operationId": "listRecordings",
            "summary": "Recorded calls, newest first",
            "description": "Days are the appliance's time zone's, inclusive." + _NEEDS,
            "parameters": [
                {"name": "since", "in": "query", "schema": {"type": "string"}},
                {"name": "until", "in": "query", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer"}},
            ],
            "responses": {
                "200": json_response(
                    {"type": "array", "items": RECORDING_REF}, "the recordings"
                ),
                "400": problem_response("the limit is not a whole number"),
                "422": problem_response(
                    "a day that is no date, until before since, a limit out of"
                    " range, or a parameter this list does not take"
                ),
                **ACCESS_ERRORS,
            },
        }
    },
    "/recordings/{call_id}": {
        "parameters": [_CALL_ID],
        "get": {
            "operationId": "getRecording",
            "summary": "One call's recording",
            "description": _NEEDS.strip(),
            "responses": {
                "200": json_response(RECORDING_REF, "the recording"),
                "404": problem_response("the call has no recording this one sees"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/recordings/{call_id}/audio": {
        "parameters": [
            _CALL_ID,
            {
                "name": "download",
                "in": "query",
                "description": "1: as an attachment, under the file's name",
                "schema": {"type": "string"},
            },
        ],
        "get": {
            "operationId": "getRecordingAudio",
            "summary": "The recording's audio: WAV, caller left, callee right",
            "description": "Honours Range (RFC 9110 section 14): a player "
            "seeks with 206 Partial Content." + _NEEDS,
            "responses": {
                "200": {
                    "description": "the audio",
                    "content": {"audio/wav": {"schema": {"type": "string"}}},
                },
                "206": {"description": "the part of the audio asked for"},
                "404": problem_response(
                    "no recording, or its file was removed (the detail says so)"
                ),
                **ACCESS_ERRORS,
            },
        },
    },
    "/extensions/{number}/recording": {
        "parameters": [
            {
                "name": "number",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
        "put": {
            "operationId": "setExtensionRecording",
            "summary": "Which of the extension's calls are recorded",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ExtensionRecording"}
                    }
                },
            },
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "required": ["extension", "recording"],
                        "properties": {
                            "extension": {"type": "string"},
                            "recording": {"enum": list(MODES)},
                        },
                    },
                    "the setting",
                ),
                "422": problem_response("not one of the choices"),
                "404": problem_response("no such extension"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/trunks/{name}/recording": {
        "parameters": [
            {
                "name": "name",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
        "put": {
            "operationId": "setTrunkRecording",
            "summary": "Whether every call through the trunk is recorded",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/TrunkRecording"}
                    }
                },
            },
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "required": ["trunk", "recording"],
                        "properties": {
                            "trunk": {"type": "string"},
                            "recording": {"type": "boolean"},
                        },
                    },
                    "the setting",
                ),
                "400": problem_response("not true or false"),
                "422": problem_response("no recording given"),
                "404": problem_response("no such trunk"),
                **ACCESS_ERRORS,
            },
        },
    },
}
