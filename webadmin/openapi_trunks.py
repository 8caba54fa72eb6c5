"""The OpenAPI description of the trunk, route, ring group, time condition,
call guard and call record endpoints (``webadmin.api_trunks``), merged into
the document of ``webadmin.openapi``."""

from __future__ import annotations

from agent.cdr.records import DISPOSITIONS
from agent.destinations import TARGET_KINDS, usage
from agent.routes.groups import STRATEGIES
from agent.routes.service import DESTINATION_KINDS
from agent.sip.schedule import MODES
from agent.trunks.rules import (
    ANY_CODEC,
    CALLER_ID_HEADERS,
    CODECS,
    DID_HEADERS,
    KINDS,
    MAIN_NUMBER_DIGITS_MAX,
    TRANSPORTS,
)
from webadmin.openapi_parts import json_response, problem_response

_TARGET = "one of " + usage(TARGET_KINDS)

_ERRORS = {
    "401": problem_response("no valid session or bearer token"),
    "403": problem_response("the role may not do this, or the CSRF token is missing"),
}
_REFUSED = {
    "400": problem_response("a body or query the API cannot read"),
    "404": problem_response("no such object"),
    "409": problem_response("it exists already"),
    "415": problem_response("the body is not application/json"),
    "422": problem_response("a field broke a rule; the problem names it"),
}
_STR = {"type": "string"}
_STRS = {"type": "array", "items": _STR}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _path_parameter(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": _STR,
    }


def _body(schema: str) -> dict:
    return {
        "required": True,
        "content": {"application/json": {"schema": _ref(schema)}},
    }


def _op(op_id: str, summary: str, ok: str, schema: dict | None, **extra) -> dict:
    responses: dict = {}
    if ok == "204":
        responses["204"] = {"description": "done"}
    else:
        responses[ok] = json_response(schema or {}, summary)
    return {
        "operationId": op_id,
        "summary": summary,
        **extra,
        "responses": responses | _ERRORS | _REFUSED,
    }


def _with_csv(operation: dict) -> dict:
    """An operation whose 200 may also be CSV (``format=csv``)."""
    operation["responses"]["200"]["content"]["text/csv"] = {
        "schema": {"type": "string"}
    }
    return operation


def _with_warnings(operation: dict) -> dict:
    """A removal that answers 200 with warnings when it leaves forwards
    without a route, else 204."""
    operation["responses"]["200"] = json_response(
        _ref("RouteRemoved"), "removed; these forwards have no route now"
    )
    return operation


_CODECS_OUT = {
    "type": ["array", "null"],
    "items": {"enum": list(CODECS)},
    "description": "the codecs the carrier is offered, preferred first; null: "
    "whatever the phones offer",
}
_CODECS_IN = {
    "oneOf": [
        {"type": "array", "items": _STR, "minItems": 1},
        _STR,
    ],
    "description": "codec names, preferred first, from "
    + ", ".join(CODECS)
    + " (any case, no repeats), as a list or comma-separated; "
    + f'"{ANY_CODEC}": whatever the phones offer (the default)',
    "example": ["PCMA", "PCMU"],
}


_MAIN_NUMBER_RULE = (
    "the number the PBX presents as its own at the carrier (for an outside "
    "caller transferred out) when the route names no caller ID: 1 to "
    f"{MAIN_NUMBER_DIGITS_MAX} digits (E.164), with an optional leading +"
)
_MAIN_NUMBER_OUT = {
    "type": ["string", "null"],
    "description": _MAIN_NUMBER_RULE + "; null: the DID added to the trunk first",
}
_MAIN_NUMBER_IN = {
    "type": "string",
    "pattern": rf"^(\+?[0-9]{{1,{MAIN_NUMBER_DIGITS_MAX}}})?$",
    "description": _MAIN_NUMBER_RULE
    + '; "" (the default): the DID added to the trunk first',
    "example": "+15550100",
}


def _list_of(name: str) -> dict:
    return {"type": "array", "items": _ref(name)}


TRUNK = {"parameters": [_path_parameter("trunk", "the trunk's name")]}
ROUTE = {"parameters": [_path_parameter("route", "the outbound route's name")]}

SCHEMAS: dict = {
    "Trunk": {
        "type": "object",
        "properties": {
            "name": _STR,
            "kind": {"enum": list(KINDS)},
            "host": _STR,
            "port": {"type": "integer"},
            "transport": {"enum": list(TRANSPORTS)},
            "outbound_proxy": {"type": ["string", "null"]},
            "username": {"type": ["string", "null"]},
            "auth_username": {"type": ["string", "null"]},
            "password_set": {"type": "boolean"},
            "realm": {"type": ["string", "null"]},
            "caller_id_header": {"enum": list(CALLER_ID_HEADERS)},
            "did_header": {"enum": list(DID_HEADERS)},
            "enabled": {"type": "boolean"},
            "dids": _STRS,
            "codecs": _CODECS_OUT,
            "main_number": _MAIN_NUMBER_OUT,
            "recording": {
                "type": "boolean",
                "readOnly": True,
                "description": "every call through it is recorded; set with "
                "PUT /trunks/{name}/recording",
            },
        },
    },
    "NewTrunk": {
        "type": "object",
        "required": ["name", "kind", "host"],
        "additionalProperties": False,
        "properties": {
            "name": _STR,
            "kind": {"enum": list(KINDS)},
            "host": _STR,
            "port": {"type": "integer"},
            "transport": {"enum": list(TRANSPORTS)},
            "outbound_proxy": _STR,
            "username": _STR,
            "auth_username": _STR,
            "password": {"type": "string", "writeOnly": True},
            "realm": _STR,
            "caller_id_header": {"enum": list(CALLER_ID_HEADERS)},
            "did_header": {"enum": list(DID_HEADERS)},
            "dids": _STRS,
            "codecs": _CODECS_IN,
            "main_number": _MAIN_NUMBER_IN,
        },
    },
    "TrunkStatus": {
        "type": "object",
        "properties": {
            "name": _STR,
            "state": {
                "enum": [
                    "registered",
                    "registering",
                    "failed auth",
                    "unreachable",
                    "reachable",
                    "disabled",
                    "unknown",
                ]
            },
            "options_reply": {"type": ["integer", "null"]},
            "registration_flags": {"type": ["integer", "null"]},
        },
    },
    "OutboundRoute": {
        "type": "object",
        "properties": {
            "name": _STR,
            "position": {"type": "integer", "description": "1 is tried first"},
            "patterns": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "pattern": {
                            "type": "string",
                            "description": "X Z N [1-5] . ! and prefix|rest",
                        },
                        "strip": {"type": "integer"},
                        "prepend": _STR,
                    },
                },
            },
            "trunks": {**_STRS, "description": "tried in this order"},
            "extensions": {**_STRS, "description": "empty: every extension"},
            "caller_id": {"type": ["string", "null"]},
            "enabled": {"type": "boolean"},
            "warnings": {
                **_STRS,
                "readOnly": True,
                "description": "after a change: the saved forwards to outside "
                "numbers it leaves without a route (their calls then go on as "
                "without the forward), one plain sentence each",
            },
        },
    },
    "RouteRemoved": {
        "type": "object",
        "required": ["warnings"],
        "properties": {"warnings": {**_STRS, "readOnly": True}},
        "description": "the saved forwards the removal leaves without a route",
    },
    "InboundRoute": {
        "type": "object",
        "required": ["did", "destination"],
        "properties": {
            "did": _STR,
            "caller_id": {"type": "string", "description": "empty: any caller"},
            "destination_kind": {"enum": list(DESTINATION_KINDS)},
            "destination": {
                "type": "string",
                "description": "the target of the kind: a number, a time"
                " condition's name, empty for hangup; it must exist",
            },
        },
    },
    "InboundRouteChange": {
        "type": "object",
        "properties": {
            "caller_id": {
                "type": "string",
                "description": "the caller the route is for from now on;"
                " empty: any caller",
            },
            "destination_kind": {"enum": list(DESTINATION_KINDS)},
            "destination": {
                "type": "string",
                "description": "the target of the kind; it must exist",
            },
        },
        "description": "the fields to change; the others stay",
    },
    "RingGroup": {
        "type": "object",
        "required": ["number", "name", "members"],
        "properties": {
            "number": _STR,
            "name": _STR,
            "strategy": {"enum": list(STRATEGIES)},
            "ring_time_s": {"type": "integer"},
            "members": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "extension": _STR,
                        "ring_time_s": {"type": "integer"},
                    },
                },
            },
            "failover": {
                "type": "string",
                "description": "where calls go when no member took them, "
                "empty for nowhere: a bare extension number or "
                + usage(DESTINATION_KINDS),
            },
        },
    },
    "TimeCondition": {
        "type": "object",
        "properties": {
            "name": _STR,
            "timezone": _STR,
            "hours": {
                "type": "object",
                "description": '{"mon": [["09:00", "17:00"]], ...}',
            },
            "holidays": {"type": "array", "description": "YYYY-MM-DD[..YYYY-MM-DD]"},
            "mode": {"enum": list(MODES)},
            "open_destination": {"type": "string", "description": _TARGET},
            "closed_destination": {"type": "string", "description": _TARGET},
            "open_now": {"type": "boolean", "readOnly": True},
        },
    },
    "CallGuard": {
        "type": "object",
        "properties": {
            "allowed_countries": {"type": ["array", "null"], "items": _STR},
            "extension_countries": {"type": "object"},
            "international_prefixes": _STRS,
            "per_extension_calls": {"type": "integer"},
            "total_calls": {"type": "integer"},
            "window_s": {"type": "integer"},
            "concurrent_calls": {"type": "integer"},
        },
    },
    "CallRecord": {
        "type": "object",
        "properties": {
            "call_id": _STR,
            "direction": {"enum": ["in", "out", "internal"]},
            "src": _STR,
            "dst": _STR,
            "did": _STR,
            "trunk": _STR,
            "caller_name": _STR,
            "start": {"type": "string", "format": "date-time"},
            "answer": {"type": ["string", "null"], "format": "date-time"},
            "end": {"type": ["string", "null"], "format": "date-time"},
            "duration": {"type": "integer"},
            "billsec": {"type": "integer"},
            "disposition": {"enum": [*DISPOSITIONS, ""]},
            "last_code": {
                "type": "integer",
                "description": "the final SIP code that ended the call, 0 when "
                "none did; a call the PBX cut keeps what its phones last "
                "answered (see end_reason)",
            },
            "recording": {
                "type": "string",
                "description": "the call's recording under recordings/ "
                '(see /recordings/{call_id}); "" when not recorded',
            },
            "transferred_by": {
                "type": "string",
                "description": "the extension whose transfer (blind or attended) "
                'made this call of its caller\'s; "" for any other call',
            },
            "end_reason": {
                "type": "string",
                "description": "why the call ended when the PBX cut it "
                '("cut: the PBX stopped", "cut: the PBX went down"); '
                '"" for any other call',
            },
        },
    },
}

PATHS: dict = {
    "/trunks": {
        "get": _op("listTrunks", "Every trunk", "200", _list_of("Trunk")),
        "post": _op(
            "addTrunk",
            "Add a trunk",
            "201",
            _ref("Trunk"),
            requestBody=_body("NewTrunk"),
        ),
    },
    "/trunks/{trunk}": {
        **TRUNK,
        "get": _op("getTrunk", "One trunk", "200", _ref("Trunk")),
        "patch": _op(
            "changeTrunk",
            "Change a trunk's fields (password write-only)",
            "200",
            _ref("Trunk"),
            requestBody=_body("NewTrunk"),
        ),
        "delete": _op("removeTrunk", "Remove a trunk no route uses", "204", None),
    },
    "/trunks/{trunk}/status": {
        **TRUNK,
        "get": _op(
            "getTrunkStatus",
            "Registration state and an OPTIONS probe",
            "200",
            _ref("TrunkStatus"),
        ),
    },
    "/trunks/{trunk}/dids": {
        **TRUNK,
        "post": _op(
            "addDids",
            "Add DIDs to a trunk (all or none)",
            "200",
            _ref("Trunk"),
            requestBody={
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"dids": _STRS}}
                    }
                },
            },
        ),
    },
    "/trunks/{trunk}/dids/{did}": {
        "parameters": [
            _path_parameter("trunk", "the trunk's name"),
            _path_parameter("did", "the DID"),
        ],
        "delete": _op("removeDid", "Remove a DID from a trunk", "200", _ref("Trunk")),
    },
    "/outbound-routes": {
        "get": _op(
            "listOutboundRoutes",
            "Outbound routes in order",
            "200",
            _list_of("OutboundRoute"),
        ),
        "post": _op(
            "addOutboundRoute",
            "Add an outbound route (patterns that cannot match are refused)",
            "201",
            _ref("OutboundRoute"),
            requestBody=_body("OutboundRoute"),
        ),
    },
    "/outbound-routes/{route}": {
        **ROUTE,
        "get": _op(
            "getOutboundRoute", "One outbound route", "200", _ref("OutboundRoute")
        ),
        "patch": _op(
            "changeOutboundRoute",
            "Change a route, or its position",
            "200",
            _ref("OutboundRoute"),
            requestBody=_body("OutboundRoute"),
        ),
        "delete": _with_warnings(
            _op("removeOutboundRoute", "Remove an outbound route", "204", None)
        ),
    },
    "/inbound-routes": {
        "get": _op(
            "listInboundRoutes", "Inbound routes", "200", _list_of("InboundRoute")
        ),
        "post": _op(
            "addInboundRoute",
            "Route a DID (a DID on two routes is refused)",
            "201",
            _ref("InboundRoute"),
            requestBody=_body("InboundRoute"),
        ),
    },
    "/inbound-routes/{did}": {
        "parameters": [
            _path_parameter("did", "the DID"),
            {
                "name": "caller_id",
                "in": "query",
                "description": "the route for this caller only",
                "schema": _STR,
            },
        ],
        "get": _op("getInboundRoute", "One inbound route", "200", _ref("InboundRoute")),
        "patch": _op(
            "changeInboundRoute",
            "Change where a DID's calls go, or which caller the route is for",
            "200",
            _ref("InboundRoute"),
            requestBody=_body("InboundRouteChange"),
        ),
        "delete": _op("removeInboundRoute", "Remove an inbound route", "204", None),
    },
    "/ring-groups": {
        "get": _op("listRingGroups", "Ring groups", "200", _list_of("RingGroup")),
        "post": _op(
            "addRingGroup",
            "Add a ring group",
            "201",
            _ref("RingGroup"),
            requestBody=_body("RingGroup"),
        ),
    },
    "/ring-groups/{group}": {
        "parameters": [_path_parameter("group", "the ring group's number")],
        "get": _op("getRingGroup", "One ring group", "200", _ref("RingGroup")),
        "put": _op(
            "replaceRingGroup",
            "Change every field of a ring group (the number stays)",
            "200",
            _ref("RingGroup"),
            requestBody=_body("RingGroup"),
        ),
        "delete": _op(
            "removeRingGroup", "Remove a ring group no route uses", "204", None
        ),
    },
    "/time-conditions": {
        "get": _op(
            "listTimeConditions",
            "Time conditions, open now or not",
            "200",
            _list_of("TimeCondition"),
        ),
        "post": _op(
            "addTimeCondition",
            "Add a time condition",
            "201",
            _ref("TimeCondition"),
            requestBody=_body("TimeCondition"),
        ),
    },
    "/time-conditions/{condition}": {
        "parameters": [_path_parameter("condition", "the time condition's name")],
        "put": _op(
            "replaceTimeCondition",
            "Change a time condition's hours, holidays and targets (its mode stays)",
            "200",
            _ref("TimeCondition"),
            requestBody=_body("TimeCondition"),
        ),
        "patch": _op(
            "changeTimeCondition",
            "Force day or night mode, add or remove holidays",
            "200",
            _ref("TimeCondition"),
            requestBody={
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "mode": {"enum": list(MODES)},
                                "add_holidays": _STRS,
                                "remove_holidays": _STRS,
                            },
                        }
                    }
                },
            },
        ),
    },
    "/call-guard": {
        "get": _op("getCallGuard", "The toll-fraud guards", "200", _ref("CallGuard")),
        "patch": _op(
            "changeCallGuard",
            "Change some toll-fraud guards",
            "200",
            _ref("CallGuard"),
            requestBody=_body("CallGuard"),
        ),
    },
    "/cdr": {
        "get": _with_csv(
            _op(
                "listCallRecords",
                "Call records, newest first; format=csv: Asterisk Master.csv columns",
                "200",
                _list_of("CallRecord"),
                parameters=[
                    {"name": name, "in": "query", "schema": schema}
                    for name, schema in (
                        ("since", {"type": "string", "format": "date"}),
                        ("until", {"type": "string", "format": "date"}),
                        ("number", _STR),
                        ("disposition", {"enum": list(DISPOSITIONS)}),
                        ("limit", {"type": "integer"}),
                        ("format", {"enum": ["json", "csv"]}),
                    )
                ],
            )
        ),
    },
}
