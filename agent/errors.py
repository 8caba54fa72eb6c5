"""The one family of errors a user of edgepbx may see.

Every surface (CLI, REST API, web page) shows these the same way: the field
that is wrong and the rule it broke. Anything else that escapes is a bug.
"""

from __future__ import annotations


class PbxError(Exception):
    """A request the PBX refuses, with a message meant for a person."""

    #: Short machine-readable kind, used as the "type" of an API problem.
    kind = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


# A value quoted back in an error is cut here: enough to recognise it, and a
# 10 MB name sent by mistake is not sent back whole.
QUOTED_VALUE_MAX = 64


def _shortened(value: object) -> str:
    text = str(value)
    if len(text) <= QUOTED_VALUE_MAX:
        return text
    return text[:QUOTED_VALUE_MAX] + "…"


class InvalidInput(PbxError):
    """A value broke a rule: names the field, the value and the rule."""

    kind = "invalid-input"

    def __init__(self, field: str, value: object, rule: str) -> None:
        shown = f' "{_shortened(value)}"' if value not in (None, "") else ""
        super().__init__(f"{field}{shown}: {rule}", field=field)
        self.rule = rule


class NotFound(PbxError):
    kind = "not-found"


class AlreadyExists(PbxError):
    kind = "already-exists"


class ApplianceNotReady(PbxError):
    """A daemon the request needs is not running."""

    kind = "not-ready"


class Forbidden(PbxError):
    """The one asking has no role that allows this."""

    kind = "forbidden"


class TooManyAttempts(PbxError):
    """Sign-in refused for a while after repeated failures."""

    kind = "too-many-attempts"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
