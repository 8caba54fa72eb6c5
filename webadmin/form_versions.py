"""Optimistic concurrency for the admin's edit forms.

An edit form carries the version of the row it was loaded from: a short
hash of the row's values as the form showed them. A save whose version no
longer matches the row is refused and writes nothing, so of two people
editing one extension the later save cannot silently undo the earlier one.
An add form carries no version, and a number that already exists is
refused instead of being changed: changing is the edit form's job.

The REST API carries the same hash as a strong entity tag (RFC 9110
section 8.8.3): a GET of one object answers it in ``ETag``, and a PUT,
PATCH or DELETE that sends it back in ``If-Match`` is refused with 412 when
the object has changed since. A request without ``If-Match`` is not checked.

The check and the write are two steps, not one transaction: two saves
landing within the same few milliseconds can still both pass. The window
is a person's double click, not an afternoon of two open tabs.
"""

from __future__ import annotations

import hashlib
import json

from agent.errors import InvalidInput, NotFound, PbxError, shortened
from agent.queues.service import QueueInfo

#: Hex digits of the hash a form carries; enough that two different rows
#: do not share one by chance, short enough to read in a page's source.
VERSION_HEX = 16


class ChangedMeanwhile(PbxError):
    """The row changed after the form was loaded."""

    kind = "conflict"
    status = 409


class PreconditionFailed(ChangedMeanwhile):
    """An API request's If-Match names a version the object no longer has."""

    kind = "precondition-failed"
    status = 412


#: An If-Match value is quoted back in a refusal at most this long.
SHOWN_TAG_MAX = 40


def queue_version(queue: QueueInfo) -> dict:
    """What a queue's version covers: its settings, not who is logged in
    now (agents log in and out from their phones all day)."""
    return queue.to_dict() | {"logged_in": None}


def version_of(values: dict) -> str:
    """The version of a row as a form shows it (its values, JSON)."""
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:VERSION_HEX]


def check(
    what: str, key: str, current: dict | None, sent: str, field: str = "number"
) -> None:
    """Refuse a save that would overwrite what the form did not show.

    Args:
        what: the object in words, like "queue" or "extension".
        key: its number (or code), as the person knows it.
        current: the row's values now; None if there is no such row.
        sent: the form's version; empty for an add form.
        field: the form's field that holds the key.
    """
    if not sent:
        if current is not None:
            raise InvalidInput(
                field,
                key,
                f"{what} {key} already exists; use its Edit link to change it",
            )
        return
    if current is None:
        raise NotFound(
            f"{what} {key} was removed after this form was loaded; nothing was saved",
            field="form",
        )
    if version_of(current) != sent:
        raise ChangedMeanwhile(
            f"{what} {key} was changed by someone else after this form was "
            "loaded; nothing was saved. The form now shows its current values: "
            "make your change again on them.",
            field="form",
        )


def check_edit(what: str, key: str, current: dict | None, sent: str) -> None:
    """``check`` for a form that only edits: it must carry a version."""
    if not sent:
        raise InvalidInput(
            "version", None, f"missing; reload the {what}'s page and save again"
        )
    check(what, key, current, sent)


def etag_of(values: dict) -> str:
    """The strong entity tag of an object the API shows: its version, quoted
    as RFC 9110 section 8.8.3 writes an entity tag."""
    return f'"{version_of(values)}"'


def check_if_match(what: str, key: str, current: dict | None, if_match: str) -> None:
    """Refuse an API request whose If-Match does not name the object as it is.

    RFC 9110 section 13.1.1: the tags are compared strongly, so a weak tag
    (``W/"..."``) never matches; ``*`` matches any object that exists, and
    nothing matches one that does not.

    Args:
        what: the object in words, like "speed dial".
        key: its number, code or name.
        current: the object's values now (what its ETag is made of); None
            if there is no such object.
        if_match: the request's If-Match header, as sent.
    """
    tags = {tag.strip() for tag in if_match.split(",") if tag.strip()}
    if current is None:
        raise PreconditionFailed(
            f"{what} {key} does not exist, and If-Match asks for one that "
            "does; nothing was changed",
            field="If-Match",
        )
    now = etag_of(current)
    if "*" in tags or now in tags:
        return
    sent = shortened(if_match.strip(), SHOWN_TAG_MAX)
    raise PreconditionFailed(
        f"{what} {key} was changed by someone else since version {sent} was "
        f"read; it is now {now}. Nothing was changed: read it again and "
        "decide on what it shows.",
        field="If-Match",
    )
