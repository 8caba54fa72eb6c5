"""Errors as the REST API shows them: RFC 9457 problem details.

A domain error names the field it is about in the service layer's words.
The extension routes speak of an extension's "number" and "display_name"
where the extension rules say "extension" and "name"; they pass
``EXTENSION_FIELDS`` so the problem names the field the request sent. Every
other route's fields are the service's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from agent import errors
from agent.backup.sealing import SealError
from agent.backup.service import BackupRefused
from agent.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    PbxError,
    TooManyAttempts,
)
from agent.events.service import WebhookNotDelivered
from agent.extensions.references import ExtensionInUse
from agent.firmware.bundle import BundleRefused
from agent.mail import MailNotSent
from webadmin.form_versions import ChangedMeanwhile, PreconditionFailed

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:edgepbx:problem:"

#: A value the person sent is quoted back in a problem at most this long:
#: enough to recognise it, never the megabyte someone pasted.
SHOWN_VALUE_MAX = 64

#: The extension rules' field names and the extension routes' names for them.
EXTENSION_FIELDS = {
    "extension": "number",
    "name": "display_name",
    "pickup group": "pickup_group",
}

# The first class an error is an instance of gives its status, so a
# subclass stands before its base.
STATUS = {
    # An If-Match that no longer names the object (RFC 9110 section 15.5.13),
    # and a form's version that no longer does (section 15.5.10).
    PreconditionFailed: 412,
    ChangedMeanwhile: 409,
    InvalidInput: 422,
    NotFound: 404,
    AlreadyExists: 409,
    Forbidden: 403,
    TooManyAttempts: 429,
    # The mail server, not this request, is at fault (RFC 9110 15.6.3).
    MailNotSent: 502,
    WebhookNotDelivered: 502,
    ExtensionInUse: 409,
    # A backup or bundle that is damaged, sealed otherwise or not signed by
    # a trusted key: the request was read, its content broke a rule.
    BackupRefused: 422,
    SealError: 422,
    BundleRefused: 422,
}
TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts",
    500: "Internal error",
    502: "Mail server or webhook receiver failed",
    503: "Not ready",
}


def field_name(
    service_field: str | None, names: Mapping[str, str] | None = None
) -> str | None:
    if service_field is None:
        return None
    return (names or {}).get(service_field, service_field)


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


def shortened(value: str, limit: int = SHOWN_VALUE_MAX) -> str:
    """value as it may be quoted back: cut at limit, with an ellipsis."""
    return errors.shortened(value, limit)


def message(error: PbxError) -> str:
    """The error's message for a page or a problem, with the value cut short.

    ``InvalidInput`` quotes the value it refused (``field "value": rule``);
    the CLI shows that in full, a web answer only its start.
    """
    text = str(error)
    if isinstance(error, InvalidInput):
        prefix, suffix = f'{error.field} "', f'": {error.rule}'
        if text.startswith(prefix) and text.endswith(suffix):
            value = text[len(prefix) : len(text) - len(suffix)]
            return f"{prefix}{shortened(value)}{suffix}"
    return text


def from_error(
    error: PbxError, names: Mapping[str, str] | None = None
) -> tuple[int, str]:
    field = field_name(error.field, names)
    if (
        isinstance(error, InvalidInput)
        and field != error.field
        and str(error).startswith(f"{error.field}:")
    ):
        # A refusal that labels the field (``name: must not be empty``)
        # labels it as the request sent it, the same as its "field".
        error = error.renamed(field)
    return problem(status_of(error), error.kind, message(error), field)
