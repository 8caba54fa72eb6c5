"""The OpenAPI description of ``/api/v1/voicemail`` and ``/api/v1/ivr``
(``webadmin.api_media``), merged into the document of ``webadmin.openapi``."""

from __future__ import annotations

from agent.destinations import MENU_KINDS as KINDS
from agent.ivr.service import DIGIT_TIMEOUT_S, RETRIES
from agent.media.pool import CALLS_PER_WORKER
from agent.paging.broadcasts import NAME_MAX as BROADCAST_NAME_MAX
from agent.paging.broadcasts import WEEKDAYS
from agent.paging.service import MAX_MEMBERS as PAGE_MAX_MEMBERS
from agent.voicemail.service import (
    MAX_MESSAGE_S_LIMIT,
    MIN_MESSAGE_S_LIMIT,
    PIN_MAX_DIGITS,
    PIN_MIN_DIGITS,
)
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_problem = problem_response
_json = json_response

_ERRORS = ACCESS_ERRORS
_MAILBOX = {"$ref": "#/components/schemas/Mailbox"}
_MESSAGE = {"$ref": "#/components/schemas/VoicemailMessage"}
_TRANSCRIPTION = {"$ref": "#/components/schemas/VoicemailTranscription"}
_MENU = {"$ref": "#/components/schemas/IvrMenu"}
_ROOM = {"$ref": "#/components/schemas/ConferenceRoom"}
_PAGE_GROUP = {"$ref": "#/components/schemas/PageGroup"}
_BROADCAST = {"$ref": "#/components/schemas/PageBroadcast"}
NAME_PARAMETER = {
    "name": "name",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": BROADCAST_NAME_MAX},
}
_WEEKDAYS = {
    "type": "array",
    "items": {"type": "string", "enum": list(WEEKDAYS)},
    "uniqueItems": True,
    "description": "the days of a weekly broadcast; empty for one on_date",
}
_BROADCAST_PROPERTIES = {
    "page_group": {"type": "string", "description": "a page group's number"},
    "prompt": {
        "type": "string",
        "pattern": "^(upload|system):[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
        "description": "upload:NAME, an uploaded prompt, or system:NAME",
    },
    "weekdays": _WEEKDAYS,
    "time_of_day": {
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        "description": "HH:MM in the appliance's time zone",
    },
    "on_date": {
        "type": ["string", "null"],
        "format": "date",
        "description": "the one day of a single broadcast, instead of weekdays",
    },
    "enabled": {"type": "boolean"},
}
NUMBER_PARAMETER = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "the extension's number (voicemail) or the menu's (IVR)",
    "schema": {"type": "string", "pattern": "^[0-9]{2,6}$"},
}
MESSAGE_PARAMETER = {
    "name": "message",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
_DESTINATION = {
    "type": "string",
    "description": "one of "
    + ", ".join(f"{k}:NUMBER" for k in KINDS[:-1])
    + ", or hangup",
    "examples": ["extension:101", "voicemail:101", "ivr:600", "hangup"],
}

SCHEMAS: dict = {
    "PageGroup": {
        "type": "object",
        "properties": {
            "number": {"type": "string", "readOnly": True},
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "members": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-9]+$"},
                "minItems": 1,
                "maxItems": PAGE_MAX_MEMBERS,
                "uniqueItems": True,
                "description": "extensions whose phones answer the page by "
                "themselves; at most one media worker's calls less the caller's",
            },
        },
    },
    "PageGroupChange": {
        "type": "object",
        "required": ["name", "members"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "members": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-9]+$"},
                "minItems": 1,
                "maxItems": PAGE_MAX_MEMBERS,
                "uniqueItems": True,
            },
        },
    },
    "PageBroadcast": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "readOnly": True},
            **_BROADCAST_PROPERTIES,
            "next_run": {
                "type": "string",
                "readOnly": True,
                "description": "the next run in the appliance's zone (ISO 8601 "
                "with its offset); empty when disabled or none is due",
            },
            "last_run": {"type": "string", "readOnly": True},
        },
    },
    "PageBroadcastChange": {
        "type": "object",
        "required": ["page_group", "prompt", "time_of_day"],
        "additionalProperties": False,
        "properties": _BROADCAST_PROPERTIES,
    },
    "ConferenceRoom": {
        "type": "object",
        "properties": {
            "number": {"type": "string", "readOnly": True},
            "name": {"type": "string", "maxLength": 64},
            "has_pin": {"type": "boolean", "readOnly": True},
            "max_members": {
                "type": "integer",
                "minimum": 2,
                "maximum": CALLS_PER_WORKER,
                "description": "one media worker's calls",
            },
            "has_moderator_pin": {"type": "boolean", "readOnly": True},
            "wait_for_moderator": {
                "type": "boolean",
                "description": "members hear music, not each other, until a "
                "moderator joins",
            },
            "end_with_moderator": {
                "type": "boolean",
                "description": "everyone is hung up when the last moderator leaves",
            },
        },
    },
    "ConferenceRoomChange": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": 64},
            "pin": {
                "type": ["string", "null"],
                "description": "digits callers enter; null removes it",
            },
            "moderator_pin": {
                "type": ["string", "null"],
                "description": "digits that make the caller the moderator; "
                "null removes it; must differ from the PIN",
            },
            "wait_for_moderator": {
                "type": "boolean",
                "description": "needs a moderator PIN",
            },
            "end_with_moderator": {
                "type": "boolean",
                "description": "needs a moderator PIN",
            },
            "max_members": {
                "type": "integer",
                "minimum": 2,
                "maximum": CALLS_PER_WORKER,
            },
        },
    },
    "Mailbox": {
        "type": "object",
        "properties": {
            "extension": {"type": "string"},
            "enabled": {"type": "boolean"},
            "email_enabled": {"type": "boolean"},
            "email": {"type": ["string", "null"]},
            "max_message_s": {"type": "integer"},
            "transcribe": {"type": "boolean"},
            "new_messages": {"type": "integer"},
            "old_messages": {"type": "integer"},
            "greetings": {
                "type": "array",
                "items": {"enum": ["busy", "unavailable"]},
                "description": "the greetings recorded by the owner",
            },
        },
    },
    "MailboxChange": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "pin": {
                "type": "string",
                "pattern": f"^[0-9]{{{PIN_MIN_DIGITS},{PIN_MAX_DIGITS}}}$",
                "description": (
                    "required for a new mailbox; never shown again; not one digit"
                    " repeated, not a run up or down (1234, 4321), not the"
                    " extension's own number"
                ),
            },
            "enabled": {"type": "boolean"},
            "email_enabled": {
                "type": "boolean",
                "description": "e-mail each message, WAV attached, to the "
                "extension's address",
            },
            "max_message_s": {
                "type": "integer",
                "minimum": MIN_MESSAGE_S_LIMIT,
                "maximum": MAX_MESSAGE_S_LIMIT,
            },
            "transcribe": {
                "type": "boolean",
                "description": "send its messages to the transcription provider "
                "while transcription is on",
            },
        },
    },
    "VoicemailMessage": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "extension": {"type": "string"},
            "caller": {"type": "string"},
            "caller_name": {"type": "string"},
            "reason": {"enum": ["busy", "unavailable"]},
            "received_at": {"type": "string", "format": "date-time"},
            "duration_s": {"type": "number"},
            "heard": {"type": "boolean"},
            "audio": {"type": "string", "description": "URL of the WAV"},
            "transcript": {
                "type": "string",
                "description": "the provider's text; empty when none",
            },
        },
    },
    "VoicemailTranscription": {
        "type": "object",
        "required": ["enabled", "url", "key_set", "timeout_s"],
        "properties": {
            "enabled": {"type": "boolean"},
            "url": {"type": "string", "description": "the provider; empty: none"},
            "key_set": {"type": "boolean"},
            "timeout_s": {"type": "integer", "minimum": 1, "maximum": 120},
        },
    },
    "VoicemailTranscriptionChanges": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "enabled": {"type": "boolean"},
            "url": {"type": ["string", "null"], "description": "http or https"},
            "key": {
                "type": ["string", "null"],
                "description": "sent as a bearer key; stored sealed, never shown; "
                "empty clears it",
            },
            "timeout_s": {"type": "integer", "minimum": 1, "maximum": 120},
        },
    },
    "IvrMenu": {
        "type": "object",
        "required": ["name", "prompt"],
        "properties": {
            "number": {"type": "string", "readOnly": True},
            "name": {"type": "string", "maxLength": 64},
            "prompt": {
                "type": "string",
                "description": "an uploaded prompt's name or a system prompt's",
            },
            "choices": {
                "type": "object",
                "propertyNames": {"pattern": "^[0-9*#]$"},
                "additionalProperties": _DESTINATION,
            },
            "fallback": _DESTINATION,
            "digit_timeout_s": {
                "type": "integer",
                "minimum": DIGIT_TIMEOUT_S[0],
                "maximum": DIGIT_TIMEOUT_S[1],
            },
            "retries": {
                "type": "integer",
                "minimum": RETRIES[0],
                "maximum": RETRIES[1],
            },
            "dial_by_extension": {"type": "boolean"},
        },
    },
}

PATHS: dict = {
    "/paging": {
        "get": {
            "operationId": "listPageGroups",
            "summary": "Every page group",
            "responses": {
                "200": _json({"type": "array", "items": _PAGE_GROUP}, "the groups"),
                **_ERRORS,
            },
        }
    },
    "/paging/{number}": {
        "parameters": [NUMBER_PARAMETER],
        "get": {
            "operationId": "getPageGroup",
            "summary": "One page group",
            "responses": {
                "200": _json(_PAGE_GROUP, "the group"),
                "404": _problem("no such page group"),
                **_ERRORS,
            },
        },
        "put": {
            "operationId": "setPageGroup",
            "summary": "Create or change a page group",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/PageGroupChange"}
                    }
                },
            },
            "responses": {
                "200": _json(_PAGE_GROUP, "the group as changed"),
                "201": _json(_PAGE_GROUP, "the group as created"),
                "400": _problem("the body is not a JSON object of these fields"),
                "422": _problem("a field breaks its rule"),
                **_ERRORS,
            },
        },
        "delete": {
            "operationId": "removePageGroup",
            "summary": "Remove a page group",
            "responses": {
                "204": {"description": "removed"},
                "404": _problem("no such page group"),
                "422": _problem("a page broadcast still uses the group"),
                **_ERRORS,
            },
        },
    },
    "/paging-broadcasts": {
        "get": {
            "operationId": "listPageBroadcasts",
            "summary": "Every page broadcast",
            "responses": {
                "200": _json({"type": "array", "items": _BROADCAST}, "the broadcasts"),
                **_ERRORS,
            },
        }
    },
    "/paging-broadcasts/{name}": {
        "parameters": [NAME_PARAMETER],
        "get": {
            "operationId": "getPageBroadcast",
            "summary": "One page broadcast",
            "responses": {
                "200": _json(_BROADCAST, "the broadcast"),
                "404": _problem("no such page broadcast"),
                **_ERRORS,
            },
        },
        "put": {
            "operationId": "setPageBroadcast",
            "summary": "Create or change a page broadcast",
            "description": "Give weekdays or on_date, one of the two.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/PageBroadcastChange"}
                    }
                },
            },
            "responses": {
                "200": _json(_BROADCAST, "the broadcast as changed"),
                "201": _json(_BROADCAST, "the broadcast as created"),
                "400": _problem("the body is not a JSON object of these fields"),
                "422": _problem("a field breaks its rule"),
                **_ERRORS,
            },
        },
        "delete": {
            "operationId": "removePageBroadcast",
            "summary": "Remove a page broadcast",
            "responses": {
                "204": {"description": "removed"},
                "404": _problem("no such page broadcast"),
                **_ERRORS,
            },
        },
    },
    "/paging-broadcasts/{name}/run": {
        "parameters": [NAME_PARAMETER],
        "post": {
            "operationId": "runPageBroadcast",
            "summary": "Run a page broadcast now",
            "description": "The first free media worker calls the members; a "
            "broadcast that reaches nobody is a page-broadcast-failed event.",
            "responses": {
                "202": _json(_BROADCAST, "sent to the media service"),
                "404": _problem("no such page broadcast"),
                "422": _problem("its page group or prompt is gone"),
                **_ERRORS,
            },
        },
    },
    "/conference": {
        "get": {
            "operationId": "listConferenceRooms",
            "summary": "Every conference room",
            "responses": {
                "200": _json({"type": "array", "items": _ROOM}, "the rooms"),
                **_ERRORS,
            },
        }
    },
    "/conference/{number}": {
        "parameters": [NUMBER_PARAMETER],
        "get": {
            "operationId": "getConferenceRoom",
            "summary": "One conference room",
            "responses": {
                "200": _json(_ROOM, "the room"),
                "404": _problem("no such room"),
                **_ERRORS,
            },
        },
        "put": {
            "operationId": "setConferenceRoom",
            "summary": "Create or change a conference room",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ConferenceRoomChange"}
                    }
                },
            },
            "responses": {
                "200": _json(_ROOM, "the room as changed"),
                "201": _json(_ROOM, "the room as created"),
                "400": _problem("the body is not a JSON object of these fields"),
                "422": _problem("a field breaks its rule"),
                **_ERRORS,
            },
        },
        "delete": {
            "operationId": "removeConferenceRoom",
            "summary": "Remove a conference room",
            "responses": {
                "204": {"description": "removed"},
                "404": _problem("no such room"),
                **_ERRORS,
            },
        },
    },
    "/voicemail-transcription": {
        "get": {
            "operationId": "getVoicemailTranscription",
            "summary": "The transcription provider (never its key)",
            "responses": {
                "200": _json(_TRANSCRIPTION, "the settings"),
                **_ERRORS,
            },
        },
        "patch": {
            "operationId": "changeVoicemailTranscription",
            "summary": "Change some transcription settings; a refusal keeps all",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "$ref": "#/components/schemas/VoicemailTranscriptionChanges"
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_TRANSCRIPTION, "the settings now"),
                "400": _problem("not a JSON object, an unknown field or a wrong type"),
                "415": _problem("not application/json"),
                "422": _problem("a value broke its rule; field names it"),
                **_ERRORS,
            },
        },
    },
    "/voicemail": {
        "get": {
            "operationId": "listMailboxes",
            "summary": "Every mailbox with its message counts",
            "responses": {
                "200": _json({"type": "array", "items": _MAILBOX}, "the mailboxes"),
                **_ERRORS,
            },
        }
    },
    "/voicemail/{number}": {
        "parameters": [NUMBER_PARAMETER],
        "get": {
            "operationId": "getMailbox",
            "summary": "One extension's mailbox",
            "responses": {
                "200": _json(_MAILBOX, "the mailbox"),
                "404": _problem("no such extension, or it has no mailbox"),
                **_ERRORS,
            },
        },
        "put": {
            "operationId": "setMailbox",
            "summary": "Create or change an extension's mailbox",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/MailboxChange"}
                    }
                },
            },
            "responses": {
                "200": _json(_MAILBOX, "the mailbox as changed"),
                "201": _json(_MAILBOX, "the mailbox as created"),
                "400": _problem("the body is not a JSON object of these fields"),
                "404": _problem("no such extension"),
                "422": _problem("a field breaks its rule (the PIN: digits only)"),
                **_ERRORS,
            },
        },
        "delete": {
            "operationId": "removeMailbox",
            "summary": "Remove a mailbox with its messages and greetings",
            "responses": {
                "204": {"description": "removed"},
                "404": _problem("no such mailbox"),
                **_ERRORS,
            },
        },
    },
    "/voicemail/{number}/transcribe": {
        "parameters": [NUMBER_PARAMETER],
        "put": {
            "operationId": "setMailboxTranscribe",
            "summary": "Send a mailbox's new messages to the transcription "
            "provider, or not; its owner (a portal user) may too",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["transcribe"],
                            "properties": {"transcribe": {"type": "boolean"}},
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_MAILBOX, "the mailbox as changed"),
                "400": _problem("not a JSON object, an unknown field or a wrong type"),
                "404": _problem("no such mailbox"),
                "415": _problem("not application/json"),
                "422": _problem("transcribe left out or null"),
                **_ERRORS,
            },
        },
    },
    "/voicemail/{number}/messages": {
        "parameters": [NUMBER_PARAMETER],
        "get": {
            "operationId": "listVoicemailMessages",
            "summary": "The messages of a mailbox, new ones first",
            "responses": {
                "200": _json({"type": "array", "items": _MESSAGE}, "the messages"),
                "404": _problem("no such mailbox"),
                **_ERRORS,
            },
        },
    },
    "/voicemail/{number}/messages/{message}": {
        "parameters": [NUMBER_PARAMETER, MESSAGE_PARAMETER],
        "delete": {
            "operationId": "deleteVoicemailMessage",
            "summary": "Delete a message; the phones' message light follows",
            "responses": {
                "204": {"description": "deleted"},
                "404": _problem("no such mailbox or message"),
                **_ERRORS,
            },
        },
    },
    "/voicemail/{number}/messages/{message}/audio": {
        "parameters": [NUMBER_PARAMETER, MESSAGE_PARAMETER],
        "get": {
            "operationId": "getVoicemailAudio",
            "summary": "The message's recording",
            "responses": {
                "200": {
                    "description": "8 kHz 16-bit mono WAV",
                    "content": {"audio/wav": {"schema": {"type": "string"}}},
                },
                "404": _problem("no such mailbox or message"),
                **_ERRORS,
            },
        },
    },
    "/ivr": {
        "get": {
            "operationId": "listIvrMenus",
            "summary": "Every IVR menu",
            "responses": {
                "200": _json({"type": "array", "items": _MENU}, "the menus"),
                **_ERRORS,
            },
        }
    },
    "/ivr/{number}": {
        "parameters": [NUMBER_PARAMETER],
        "get": {
            "operationId": "getIvrMenu",
            "summary": "One IVR menu",
            "responses": {
                "200": _json(_MENU, "the menu"),
                "404": _problem("no such menu"),
                **_ERRORS,
            },
        },
        "put": {
            "operationId": "setIvrMenu",
            "summary": "Create or replace a menu; refused if a destination is "
            "missing or leads back to it",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _MENU}},
            },
            "responses": {
                "200": _json(_MENU, "the menu as replaced"),
                "201": _json(_MENU, "the menu as created"),
                "400": _problem("the body is not a JSON object of these fields"),
                "422": _problem(
                    "a field breaks its rule; field names it (choices.1, fallback)"
                ),
                **_ERRORS,
            },
        },
        "delete": {
            "operationId": "removeIvrMenu",
            "summary": "Remove a menu no other menu leads to",
            "responses": {
                "204": {"description": "removed"},
                "404": _problem("no such menu"),
                "422": _problem("another menu still leads to it"),
                **_ERRORS,
            },
        },
    },
}
