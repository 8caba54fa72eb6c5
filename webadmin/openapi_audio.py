"""The OpenAPI description of ``/api/v1/prompts``, ``/api/v1/music`` and
``/api/v1/music-on-hold`` (``webadmin.api_audio``), merged into the document
of ``webadmin.openapi``."""

from __future__ import annotations

from agent.media.uploads import MAX_PROMPT_S, MAX_UPLOAD_BYTES
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_AUDIO = {"$ref": "#/components/schemas/AudioFile"}
_NAME = {
    "name": "name",
    "in": "path",
    "required": True,
    "description": "letters, digits, - and _ (up to 64)",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"},
}
_BINARY = {"type": "string", "format": "binary", "maxLength": MAX_UPLOAD_BYTES}

SCHEMAS: dict = {
    "AudioFile": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "duration_s": {"type": "number", "maximum": MAX_PROMPT_S},
        },
    },
    "MusicOnHold": {
        "type": "object",
        "required": ["enabled"],
        "additionalProperties": False,
        "properties": {
            "enabled": {
                "type": "boolean",
                "description": "whether a held party hears the music",
            }
        },
    },
}
_SWITCH = {"$ref": "#/components/schemas/MusicOnHold"}


def _folder(what: str, plural: str, tag: str, note: str) -> dict:
    """The three operations on one folder of uploaded audio."""
    return {
        f"/{tag}": {
            "get": {
                "operationId": f"list{plural}",
                "summary": f"The uploaded {what}",
                "responses": {
                    "200": json_response(
                        {"type": "array", "items": _AUDIO}, f"the {what}"
                    ),
                    **ACCESS_ERRORS,
                },
            }
        },
        f"/{tag}/{{name}}": {
            "parameters": [_NAME],
            "put": {
                "operationId": f"upload{plural}",
                "summary": f"Add or replace one of the {what} from a WAV or MP3 file",
                "description": note,
                "requestBody": {
                    "required": True,
                    "content": {
                        "audio/wav": {"schema": _BINARY},
                        "audio/mpeg": {"schema": _BINARY},
                        "application/octet-stream": {"schema": _BINARY},
                    },
                },
                "responses": {
                    "200": json_response(_AUDIO, "replaced"),
                    "201": json_response(_AUDIO, "added"),
                    "413": problem_response("larger than the limit"),
                    "415": problem_response("not sent as audio"),
                    "422": problem_response(
                        "not audio, empty or too long (field file), or a bad name"
                    ),
                    **ACCESS_ERRORS,
                },
            },
            "delete": {
                "operationId": f"remove{plural}",
                "summary": f"Remove one of the {what}",
                "responses": {
                    "204": {"description": "removed"},
                    "404": problem_response("no such file"),
                    "422": problem_response("still in use"),
                    **ACCESS_ERRORS,
                },
            },
        },
    }


PATHS: dict = _folder(
    "prompts",
    "Prompts",
    "prompts",
    "Converted to 8 kHz mono; an IVR menu plays it when its prompt names it.",
) | _folder(
    "music on hold",
    "Music",
    "music",
    "Converted to 8 kHz mono; once any is uploaded it replaces the system's music.",
)

PATHS["/music-on-hold"] = {
    "get": {
        "operationId": "getMusicOnHold",
        "summary": "Whether a party put on hold hears the music on hold",
        "responses": {"200": json_response(_SWITCH, "the switch"), **ACCESS_ERRORS},
    },
    "put": {
        "operationId": "setMusicOnHold",
        "summary": "Turn music on hold on or off; the next hold follows",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _SWITCH}},
        },
        "responses": {
            "200": json_response(_SWITCH, "the switch as changed"),
            "400": problem_response("not a JSON object with enabled true or false"),
            "415": problem_response("not sent as application/json"),
            **ACCESS_ERRORS,
        },
    },
}
