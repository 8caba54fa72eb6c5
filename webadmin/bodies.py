"""Request bodies: how large one may be, and reading it without trusting it.

The largest thing anyone sends the web admin is one extension (four short
fields) or one form; a body is refused by its Content-Length before a byte
of it is kept, and a chunked body, whose length nobody announced, is read
only up to the limit.

A refused body is still read to its end and thrown away, up to
DRAIN_MAX_BYTES: a browser or script sends its whole body before it reads
the answer, and a server that closes with the body unread resets the
connection, so the sender would see "connection reset" instead of the rule.
An upload form refused this way keeps its short fields (the CSRF token
among them, so the form is checked as usual): its route runs without the
file and says, beside the file's field, how large it may be
(``check_upload()``, which every upload form's route calls first).
"""

from __future__ import annotations

import contextlib
import io
import re
import time
import urllib.parse

import bottle

from agent.errors import InvalidInput, PbxError
from webadmin import access, problems

# An extension as JSON is a few hundred bytes and its fields are capped far
# below this by the service layer's rules; 64 KiB leaves room for any form
# we serve while a worker never holds more than this of one request.
MAX_BODY_BYTES = 64 * 1024
# A CSV import (extensions, contacts, phones) may be a thousand rows long;
# only routes ending in /import take a body this large.
IMPORT_MAX_BODY_BYTES = 1024 * 1024
IMPORT_SUFFIX = "/import"
# gunicorn hands the application a de-chunked stream; it is read in steps.
READ_STEP_BYTES = 16 * 1024
#: Routes that read large bodies in steps themselves (uploads), by path
#: prefix, with their own limit; only for PUT and POST.
LARGE_BODY_ROUTES: dict[str, int] = {}
# A refused body is read and dropped up to this much, so its sender gets
# the answer: six times the largest upload (a 10 MB greeting), a few seconds
# on an office LAN. Past it the connection is closed, as a body that large
# is no mistake of someone choosing the wrong file.
DRAIN_MAX_BYTES = 64 * 1024 * 1024
# A sender that announced a body and pauses this long between its parts is
# not uploading (a browser sends without pause); it gets the answer and the
# connection is closed. The whole drain takes at most DRAIN_DEADLINE_S.
DRAIN_IDLE_S = 2.0
DRAIN_DEADLINE_S = 30.0
# The short fields of a refused upload form come before its file (browsers
# send the fields in the form's order, and every form here puts the file
# last): they are looked for in this much of the body's start.
FORM_FIELDS_BYTES = MAX_BODY_BYTES
#: The environ key that marks a request whose body was refused: its limit.
TOO_LARGE_KEY = "edgepbx.body_too_large"
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?')
_FIELD_NAME = re.compile(rb'name="([^"]*)"')


class BodyTooLarge(Exception):
    """The body is larger than MAX_BODY_BYTES."""


def is_chunked() -> bool:
    coding = bottle.request.environ.get("HTTP_TRANSFER_ENCODING", "")
    return "chunked" in coding.lower()


def limit() -> int:
    """The largest body the request's route takes."""
    request = bottle.request
    if request.method in {"PUT", "POST"}:
        for prefix, largest in LARGE_BODY_ROUTES.items():
            if request.path.startswith(prefix):
                return largest
    if request.path.endswith(IMPORT_SUFFIX):
        return IMPORT_MAX_BODY_BYTES
    return MAX_BODY_BYTES


def limit_text(size: int) -> str:
    """A limit as people say it, in whole units: "10 MB", "64 KB". A route's
    limit is its largest file plus a little room for the form around it, so
    it is rounded down to the file's own limit."""
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if size >= unit:
            return f"{size // unit} {name}"
    return f"{size} bytes"


def size_text(size: int) -> str:
    """A file's size as people read it: "512 bytes", "12.8 KB", "3.2 MB"."""
    for unit, name in ((1024 * 1024 * 1024, "GB"), (1024 * 1024, "MB"), (1024, "KB")):
        if size >= unit:
            return f"{size / unit:.1f} {name}"
    return f"{size} bytes"


def field_of_body() -> str:
    """What a refused body is called: the file of an upload form, else the
    body itself."""
    kind = bottle.request.environ.get("CONTENT_TYPE", "")
    return "file" if kind.startswith("multipart/form-data") else "body"


class UploadTooLarge(InvalidInput):
    """An upload form's file was larger than its route takes (HTTP 413)."""

    kind = "too-large"


def check_upload(field: str = "file") -> None:
    """In an upload form's route, first: refuse a file that was too large,
    naming the form's field for it and the limit.

    Raises:
        UploadTooLarge: refuse_oversized() dropped this request's file.
    """
    largest = bottle.request.environ.get(TOO_LARGE_KEY)
    if largest is not None:
        raise UploadTooLarge(
            field, None, f"at most {limit_text(largest)}; nothing was changed"
        )


def status_of(error: PbxError) -> int:
    """A refused form's status: 413 for a file too large, else 422."""
    return 413 if isinstance(error, UploadTooLarge) else 422


def refuse_oversized() -> None:
    """Run before every route: refuse a body announced larger than the limit."""
    raw = bottle.request.environ.get("CONTENT_LENGTH", "") or "0"
    raw = raw if raw.isascii() else "x"
    largest = limit()
    if raw.isdigit() and int(raw) <= largest:
        return
    headers: dict[str, str] = {}
    start = None
    if raw.isdigit() and int(raw) <= DRAIN_MAX_BYTES:
        start = _drain(int(raw))
    if start is None:
        # The rest of the body is never read: the connection cannot be reused.
        headers["Connection"] = "close"
    elif not access.is_api(bottle.request.path) and _keep_form_fields(start):
        bottle.request.environ[TOO_LARGE_KEY] = largest
        return  # the route says so beside the file's field
    field = field_of_body()
    detail = (
        f"{field}: at most {limit_text(largest)} ({largest} bytes)"
        if raw.isdigit()
        else "the Content-Length header is not a number"
    )
    status = 413 if raw.isdigit() else 400
    if access.is_api(bottle.request.path):
        code, body = problems.problem(
            status,
            "too-large" if status == 413 else "bad-request",
            detail,
            field if status == 413 else None,
        )
        headers["Content-Type"] = problems.MEDIA_TYPE
    else:
        # A page's form: the error page, with the way back (pages imports
        # this module, so render is looked up here).
        from webadmin.pages import render

        code = status
        body = render(
            "error",
            status,
            title="Too large" if status == 413 else "Bad request",
            message=f"{detail[0].upper()}{detail[1:]}; nothing was changed.",
        )
        headers["Content-Type"] = "text/html; charset=utf-8"
    raise bottle.HTTPResponse(body, code, headers)


def _drain(length: int) -> bytes | None:
    """Read a refused body to its end and keep only its first
    FORM_FIELDS_BYTES; None if the sender stalled or went away first."""
    environ = bottle.request.environ
    stream = environ["wsgi.input"]
    connection = environ.get("gunicorn.socket")
    start = bytearray()
    left = length
    deadline = time.monotonic() + DRAIN_DEADLINE_S
    try:
        if connection is not None:
            connection.settimeout(DRAIN_IDLE_S)
        while left > 0 and time.monotonic() < deadline:
            part = stream.read(min(READ_STEP_BYTES, left))
            if not part:
                break
            left -= len(part)
            if len(start) < FORM_FIELDS_BYTES:
                start += part[: FORM_FIELDS_BYTES - len(start)]
    except OSError:  # a timeout included: the sender stopped sending
        return None
    finally:
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.settimeout(None)
    return bytes(start) if left == 0 else None


def _keep_form_fields(start: bytes) -> bool:
    """Give the route the short fields of a refused multipart form, as an
    ordinary form body without its file; False if it is no such form."""
    kind = bottle.request.environ.get("CONTENT_TYPE", "")
    boundary = _BOUNDARY.search(kind)
    if not kind.startswith("multipart/form-data") or boundary is None:
        return False
    fields = []
    for part in start.split(b"--" + boundary.group(1).encode())[1:]:
        head, found, value = part.partition(b"\r\n\r\n")
        name = _FIELD_NAME.search(head)
        if not found or name is None or b"filename=" in head:
            continue
        if not value.endswith(b"\r\n"):
            break  # cut off at FORM_FIELDS_BYTES
        fields.append(
            (
                name.group(1).decode(errors="replace"),
                value[:-2].decode(errors="replace"),
            )
        )
    encoded = urllib.parse.urlencode(fields).encode()
    bottle.request.environ.update(
        {
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(encoded)),
            "wsgi.input": io.BytesIO(encoded),
        }
    )
    return True


def read() -> bytes:
    """The whole body, chunked or not, never more than MAX_BODY_BYTES of it.

    Raises:
        BodyTooLarge: a chunked body went past the limit.
    """
    stream = bottle.request.environ["wsgi.input"]
    if not is_chunked():
        length = int(bottle.request.environ.get("CONTENT_LENGTH", "") or "0")
        return stream.read(length) if length else b""
    received = bytearray()
    while len(received) <= limit():
        part = stream.read(READ_STEP_BYTES)
        if not part:
            return bytes(received)
        received += part
    raise BodyTooLarge
