"""The OpenAPI description of ``webadmin.api_troubleshoot``."""

from __future__ import annotations

from agent.troubleshoot import capture, logs
from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_REF = "#/components/schemas/"
_NAME = {
    "name": "name",
    "in": "path",
    "required": True,
    "description": "a capture's file name, as the list shows it",
    "schema": {"type": "string"},
}
_TEXT = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_INVALID = {"422": problem_response("a field broke its rule (named in the problem)")}

SCHEMAS: dict = {
    "CaptureStatus": {
        "type": "object",
        "required": ["running"],
        "properties": {
            "running": {"type": "boolean"},
            "file": {"type": ["string", "null"]},
            "ports": {
                "type": ["string", "null"],
                "enum": [*capture.PORT_CHOICES, None],
            },
            "interface": {"type": ["string", "null"]},
            "started_at": {"type": ["string", "null"]},
            "ends_by": {"type": ["string", "null"]},
            "size": {"type": "integer", "description": "bytes written so far"},
            "started_by": {"type": ["string", "null"]},
        },
    },
    "CaptureStart": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "ports": {
                "type": "string",
                "enum": list(capture.PORT_CHOICES),
                "description": "sip: the SIP ports; rtp: the media relay's port "
                "range; any: every packet. Left out: sip",
            },
            "seconds": {
                "type": "integer",
                "minimum": 1,
                "maximum": capture.SECONDS_MAX,
                "description": f"left out: {capture.SECONDS_DEFAULT}",
            },
            "megabytes": {
                "type": "integer",
                "minimum": 1,
                "maximum": capture.MEGABYTES_MAX,
                "description": "the file stops growing at this size; left out: "
                f"{capture.MEGABYTES_DEFAULT}",
            },
            "interface": {
                "type": "string",
                "description": "a network interface of the appliance; left out: any",
            },
        },
    },
    "CaptureFile": {
        "type": "object",
        "properties": {
            "name": _TEXT,
            "size": {"type": "integer"},
            "modified_at": _TIME,
        },
    },
    "SipDialogSummary": {
        "type": "object",
        "properties": {
            "call_id": _TEXT,
            "from": _TEXT,
            "to": _TEXT,
            "first_request": {"type": "string", "description": "its method"},
            "final_reply": {
                "type": ["string", "null"],
                "description": 'the final reply to it, "200 OK"; null: none seen',
            },
            "started_at": {"type": "number", "description": "Unix time, seconds"},
            "messages": {"type": "integer"},
        },
    },
    "SipDialog": {
        "allOf": [
            {"$ref": _REF + "SipDialogSummary"},
            {
                "type": "object",
                "properties": {
                    "flow": {
                        "type": "array",
                        "description": "every message, in the order seen",
                        "items": {
                            "type": "object",
                            "properties": {
                                "at": {"type": "number"},
                                "transport": {"type": "string", "enum": ["udp", "tcp"]},
                                "source": _TEXT,
                                "destination": _TEXT,
                                "first_line": _TEXT,
                                "text": {
                                    "type": "string",
                                    "description": "the whole message",
                                },
                            },
                        },
                    }
                },
            },
        ]
    },
    "HostProbe": {
        "type": "object",
        "required": ["host"],
        "additionalProperties": False,
        "properties": {
            "host": {
                "type": "string",
                "description": "a host name, an IPv4 or an IPv6 address",
            }
        },
    },
    "ToolRun": {
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": ["ping", "traceroute"]},
            "host": _TEXT,
            "exit_status": {
                "type": "integer",
                "description": "0: the host answered; -1: cut off at the deadline",
            },
            "output": {"type": "string", "description": "as the tool printed it"},
        },
    },
    "LogPage": {
        "type": "object",
        "properties": {
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "at": _TIME,
                        "daemon": {"type": "string", "enum": list(logs.DAEMONS)},
                        "level": {"type": "string", "enum": list(logs.LEVELS)},
                        "text": _TEXT,
                    },
                },
            },
            "page": {"type": "integer"},
            "page_size": {"type": "integer"},
            "more": {"type": "boolean", "description": "a next page exists"},
        },
    },
}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def _probe(tool: str, what: str) -> dict:
    return {
        "post": {
            "operationId": tool,
            "summary": what,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": _REF + "HostProbe"}}
                },
            },
            "responses": {
                "200": json_response({"$ref": _REF + "ToolRun"}, "the tool's output"),
                **_INVALID,
                **ACCESS_ERRORS,
            },
        }
    }


_STATUS = {"$ref": _REF + "CaptureStatus"}

PATHS: dict = {
    "/troubleshoot/capture": {
        "get": {
            "operationId": "getCapture",
            "summary": "The running packet capture, if any",
            "responses": {"200": json_response(_STATUS, "its state"), **ACCESS_ERRORS},
        },
        "post": {
            "operationId": "startCapture",
            "summary": "Start a packet capture (one at a time), recorded in the "
            "audit log",
            "requestBody": {
                "content": {
                    "application/json": {"schema": {"$ref": _REF + "CaptureStart"}}
                }
            },
            "responses": {
                "201": json_response(_STATUS, "capturing"),
                "400": problem_response(
                    "tcpdump is missing or may not capture here (the reason is "
                    "in the problem)"
                ),
                "409": problem_response("a capture is already running"),
                **_INVALID,
                **ACCESS_ERRORS,
            },
        },
        "delete": {
            "operationId": "stopCapture",
            "summary": "Stop the running capture; its file is kept",
            "responses": {
                "200": json_response(_STATUS, "stopped"),
                "404": problem_response("no capture is running"),
                **ACCESS_ERRORS,
            },
        },
    },
    "/troubleshoot/captures": {
        "get": {
            "operationId": "listCaptures",
            "summary": f"The captures kept (the newest {capture.KEEP_FILES}, "
            f"none older than {capture.KEEP_DAYS} days), newest first",
            "responses": {
                "200": json_response(
                    {"type": "array", "items": {"$ref": _REF + "CaptureFile"}},
                    "the files",
                ),
                **ACCESS_ERRORS,
            },
        }
    },
    "/troubleshoot/captures/{name}": {
        "parameters": [_NAME],
        "get": {
            "operationId": "downloadCapture",
            "summary": "A capture's pcap file",
            "responses": {
                "200": {
                    "description": "the pcap file",
                    "content": {
                        "application/vnd.tcpdump.pcap": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                "404": problem_response("no such capture"),
                **_INVALID,
                **ACCESS_ERRORS,
            },
        },
    },
    "/troubleshoot/captures/{name}/dialogs": {
        "parameters": [_NAME],
        "get": {
            "operationId": "listCaptureDialogs",
            "summary": "The SIP dialogs in a capture, or one dialog's messages",
            "parameters": [
                _query(
                    "call_id",
                    _TEXT,
                    "given: that dialog with every message (a SipDialog)",
                )
            ],
            "responses": {
                "200": json_response(
                    {
                        "oneOf": [
                            {
                                "type": "array",
                                "items": {"$ref": _REF + "SipDialogSummary"},
                            },
                            {"$ref": _REF + "SipDialog"},
                        ]
                    },
                    "the dialogs by when they began, or the one asked for",
                ),
                "404": problem_response("no such capture, or no such Call-ID in it"),
                **_INVALID,
                **ACCESS_ERRORS,
            },
        },
    },
    "/troubleshoot/ping": _probe("ping", "Ping a host from the appliance"),
    "/troubleshoot/traceroute": _probe(
        "traceroute", "Trace the route from the appliance to a host"
    ),
    "/logs": {
        "get": {
            "operationId": "readLogs",
            "summary": "The appliance's logs, newest first, one page",
            "parameters": [
                _query("daemon", {"type": "string", "enum": list(logs.DAEMONS)}, ""),
                _query(
                    "level",
                    {"type": "string", "enum": list(logs.LEVELS)},
                    "this level and the ones above it",
                ),
                _query(
                    "text",
                    {"type": "string", "maxLength": logs.TEXT_MAX},
                    "lines containing this, any case",
                ),
                _query("since", _TEXT, "from this time (ISO 8601; UTC if no offset)"),
                _query("until", _TEXT, "up to this time"),
                _query("page", {"type": "integer", "minimum": 1}, ""),
                _query(
                    "page_size",
                    {"type": "integer", "minimum": 1, "maximum": logs.PAGE_SIZE_MAX},
                    "",
                ),
            ],
            "responses": {
                "200": json_response({"$ref": _REF + "LogPage"}, "the page"),
                **_INVALID,
                **ACCESS_ERRORS,
            },
        }
    },
}
