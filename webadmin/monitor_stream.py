"""The live monitor as server-sent events, for the page and the API alike.

``/monitor/stream`` (the page's EventSource, with the session cookie) and
``/api/v1/monitor/stream`` (scripts, with a bearer token or the session)
answer ``text/event-stream`` (HTML Living Standard, section 9.2): a
``snapshot`` event with the whole monitor first, then a ``change`` event
with what changed (agent.monitor.service.diff), ``end`` when the stream
ends on purpose.

A stream holds one of gunicorn's threads for as long as it is open, so a
worker process serves at most ``STREAMS_PER_PROCESS`` of them and keeps its
other threads for pages (agent/web/daemons.py: WEB_THREADS); one more is
refused with 503 and Retry-After. A comment line every ``HEARTBEAT_S``
keeps proxies and the browser from taking a quiet stream for a dead one.
Every ``CHECK_S`` the session (or token) is looked up again without
counting as activity: when its owner signs out, the session idles out or
the token is revoked, the stream sends ``end`` and closes.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator

import bottle

from agent.accounts import sessions, tokens
from agent.accounts.roles import Permission, Principal
from agent.appliance import Appliance
from agent.errors import Forbidden, InvalidInput
from agent.monitor import service
from webadmin import access, problems

log = logging.getLogger("edgepbx.web")

MEDIA_TYPE = "text/event-stream"
# Twenty-four of the worker's thirty-two threads, so eight always remain
# for pages.
STREAMS_PER_PROCESS = 24
# Idle timeouts of common proxies start at 30 s (60 s is nginx's default).
HEARTBEAT_S = 15.0
# How often a stream checks that its session or token still holds.
CHECK_S = 5.0
# Where a browser reconnects after a dropped stream (the "retry" field).
RECONNECT_MS = 3000
# When the streams are all taken, how long a client should wait.
BUSY_RETRY_AFTER_S = 30
# The longest "for_s" a client may ask for: a day.
FOR_S_MAX = 86400

_open = threading.BoundedSemaphore(STREAMS_PER_PROCESS)
_feed: service.MonitorFeed | None = None
_feed_lock = threading.Lock()


def feed_of(appliance: Appliance) -> service.MonitorFeed:
    """This process's one feed."""
    global _feed
    with _feed_lock:
        if _feed is None:
            _feed = service.MonitorFeed(appliance.settings, appliance.kamailio)
        return _feed


def _event(kind: str, data: dict, number: int | None = None) -> bytes:
    head = f"id: {number}\n" if number is not None else ""
    # json.dumps writes no line breaks, so one data line carries it whole.
    return f"{head}event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


def _still_allowed() -> Callable[[], Principal | None]:
    """A check of the request's session or bearer token, for later calls."""
    auth = access.current()
    if auth.session is not None:
        token = auth.session.token

        def by_session() -> Principal | None:
            live = sessions.still_valid(token)
            return live.principal if live else None

        return by_session
    _scheme, _, bearer = bottle.request.get_header("Authorization", "").partition(" ")
    bearer = bearer.strip()
    return lambda: tokens.principal_for(bearer)


def for_seconds(raw: str) -> float | None:
    """The optional "for_s" query parameter: end the stream after it."""
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= FOR_S_MAX:
        raise InvalidInput("for_s", raw, f"whole seconds, 1 to {FOR_S_MAX}")
    return float(raw)


def open_stream(appliance: Appliance, api: bool) -> Iterator[bytes] | str:
    """Answer the request with the stream, or refuse it (403, 422, 503)."""
    principal = access.current().principal
    try:
        principal.require(Permission.VIEW_MONITOR)
        until = for_seconds(bottle.request.query.get("for_s", ""))
    except (Forbidden, InvalidInput) as exc:
        return _refuse(*problems.from_error(exc), api)
    if not _open.acquire(blocking=False):
        bottle.response.set_header("Retry-After", str(BUSY_RETRY_AFTER_S))
        return _refuse(
            *problems.problem(
                503,
                "too-many-streams",
                f"{STREAMS_PER_PROCESS} monitor streams are open on this worker "
                "already; close one, or reload the page for a snapshot",
            ),
            api,
        )
    bottle.response.content_type = MEDIA_TYPE
    bottle.response.set_header("X-Accel-Buffering", "no")
    allowed = _still_allowed()
    deadline = None if until is None else time.monotonic() + until
    return _stream(feed_of(appliance), allowed, deadline)


def _refuse(status: int, body: str, api: bool) -> str:
    bottle.response.status = status
    if api:
        bottle.response.content_type = problems.MEDIA_TYPE
        return body
    bottle.response.content_type = "text/plain; charset=utf-8"
    return json.loads(body)["detail"]


def _stream(
    feed: service.MonitorFeed,
    allowed: Callable[[], Principal | None],
    deadline: float | None,
) -> Iterator[bytes]:
    number = 0
    try:
        yield f"retry: {RECONNECT_MS}\n".encode()
        last_sent = time.monotonic()
        reason = "signed out, or the session expired"
        try:
            for change in service.changes(allowed, feed, check_s=CHECK_S):
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    reason = "the time asked for (for_s) is over"
                    break
                if change.kind != "idle":
                    number += 1
                    yield _event(change.kind, change.data, number)
                    last_sent = now
                elif now - last_sent >= HEARTBEAT_S:
                    # A comment line: EventSource ignores it (section 9.2.6).
                    yield b": keep-alive\n\n"
                    last_sent = now
        except Forbidden:
            reason = "the role may no longer watch the monitor"
        yield _event("end", {"reason": reason})
    finally:
        _open.release()
