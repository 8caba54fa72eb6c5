"""Request bodies: how large one may be, and reading it without trusting it.

The largest thing anyone sends the web admin is one extension (four short
fields) or one form; a body is refused by its Content-Length before a byte
of it is read, and a chunked body, whose length nobody announced, is read
only up to the limit.
"""

from __future__ import annotations

import bottle

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
    if bottle.request.path.endswith(IMPORT_SUFFIX):
        return IMPORT_MAX_BODY_BYTES
    return MAX_BODY_BYTES


def refuse_oversized() -> None:
    """Run before every route: refuse a body announced larger than the limit."""
    raw = bottle.request.environ.get("CONTENT_LENGTH", "") or "0"
    raw = raw if raw.isascii() else "x"
    if raw.isdigit() and int(raw) <= limit():
        return
    detail = (
        f"the body may be at most {limit()} bytes"
        if raw.isdigit()
        else "the Content-Length header is not a number"
    )
    status = 413 if raw.isdigit() else 400
    if access.is_api(bottle.request.path):
        code, body = problems.problem(
            status, "too-large" if status == 413 else "bad-request", detail
        )
        headers = {"Content-Type": problems.MEDIA_TYPE}
    else:
        code, body = status, f"{detail[0].upper()}{detail[1:]}.\n"
        headers = {"Content-Type": "text/plain; charset=utf-8"}
    # The rest of the body is never read, so the connection cannot be reused.
    headers["Connection"] = "close"
    raise bottle.HTTPResponse(body, code, headers)


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
