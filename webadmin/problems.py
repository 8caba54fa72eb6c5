"""Errors as the REST API shows them: RFC 9457 problem details.

A domain error names the field it is about in the service layer's words
("extension", "name"); the API and the forms speak of the request's own
field names ("number", "display_name"), so the name is translated here.
"""

from __future__ import annotations

import json

from agent.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    PbxError,
    TooManyAttempts,
)

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:edgepbx:problem:"

#: Service-layer field names and the names the API and forms use for them.
FIELD_NAMES = {"extension": "number", "name": "display_name"}

STATUS = {
    InvalidInput: 422,
    NotFound: 404,
    AlreadyExists: 409,
    Forbidden: 403,
    TooManyAttempts: 429,
}
TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Already exists",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts",
    500: "Internal error",
    503: "Not ready",
}


def field_name(service_field: str | None) -> str | None:
    if service_field is None:
        return None
    return FIELD_NAMES.get(service_field, service_field)


def status_of(error: PbxError) -> int:
    for kind, status in STATUS.items():
        if isinstance(error, kind):
            return status
    return 400


def problem(
    status: int, kind: str, detail: str, field: str | None = None
) -> tuple[int, str]:
    """The status and JSON body of one problem."""
    body: dict = {
        "type": TYPE_PREFIX + kind,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if field:
        body["field"] = field
    return status, json.dumps(body)


def from_error(error: PbxError) -> tuple[int, str]:
    return problem(status_of(error), error.kind, str(error), field_name(error.field))
