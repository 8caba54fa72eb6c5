"""Optimistic concurrency for the admin's edit forms.

An edit form carries the version of the row it was loaded from: a short
hash of the row's values as the form showed them. A save whose version no
longer matches the row is refused and writes nothing, so of two people
editing one extension the later save cannot silently undo the earlier one.
An add form carries no version, and a number that already exists is
refused instead of being changed: changing is the edit form's job.

The check and the write are two steps, not one transaction: two saves
landing within the same few milliseconds can still both pass. The window
is a person's double click, not an afternoon of two open tabs.
"""

from __future__ import annotations

import hashlib
import json

from agent.errors import InvalidInput, NotFound, PbxError

#: Hex digits of the hash a form carries; enough that two different rows
#: do not share one by chance, short enough to read in a page's source.
VERSION_HEX = 16


class ChangedMeanwhile(PbxError):
    """The row changed after the form was loaded."""

    kind = "conflict"
    status = 409


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
