"""The one family of errors a user of edgepbx may see.

Every surface (CLI, REST API, web page) shows these the same way: the field
that is wrong and the rule it broke. Anything else that escapes is a bug.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


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


def shortened(value: object, limit: int = QUOTED_VALUE_MAX) -> str:
    """value as a message may quote it back: cut at limit, with an ellipsis."""
    text = str(value)
    if len(text) <= limit:
        return text
    return text[:limit] + "…"


# Characters a value may hold that would break a message shown on one line
# (a newline typed into a number) or hide what the value is: escaped.
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(value: object) -> str:
    """value as a message quotes it, the same on every surface: control and
    other invisible characters escaped (``150\\n`` for "150" and a newline),
    every letter and digit of any script kept as it is."""
    shown = []
    for char in str(value):
        if char in _NAMED_ESCAPES:
            shown.append(_NAMED_ESCAPES[char])
        elif unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            code = ord(char)
            shown.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            shown.append(char)
    return "".join(shown)


# The user-information part of an address (RFC 3986 section 3.2.1): what
# stands before "@" in the authority, "user:password" as often as not.
_USERINFO = re.compile(r"//[^/?#]*@")


def holds_credentials(value: object) -> bool:
    """Whether a value quoted back could show a user name or a password: an
    address with user information, or a host written as ``user:pw@host``."""
    text = str(value or "")
    host_part = re.split(r"[/?#]", text, maxsplit=1)[0]
    return bool(_USERINFO.search(text)) or ("@" in host_part and ":" in host_part)


class InvalidInput(PbxError):
    """A value broke a rule: names the field, the value and the rule.

    A value that could hold a user name or password is never quoted back.
    """

    kind = "invalid-input"

    def __init__(self, field: str, value: object, rule: str) -> None:
        if isinstance(value, str) and holds_credentials(value):
            value = None
        shown = f' "{printable(shortened(value))}"' if value not in (None, "") else ""
        super().__init__(f"{field}{shown}: {rule}", field=field)
        self.value = value
        self.rule = rule

    def renamed(self, field: str) -> InvalidInput:
        """The same refusal naming the field as another surface calls it
        (a CLI option for an API field), of the same kind."""
        message = field + self.message.removeprefix(self.field or "")
        # Not through __init__: a subclass's takes other arguments.
        other = type(self).__new__(type(self), message)
        other.__dict__.update(vars(self), message=message, field=field)
        return other


class InvalidFields(InvalidInput):
    """Several fields refused at once, so a form can show every error beside
    its field. It reads as the first refusal (its field, message and rule):
    a surface that shows one error (the REST API, the CLI) shows that one;
    ``refusals`` holds them all, in the order the fields were checked."""

    def __init__(self, refusals: list[InvalidInput]) -> None:
        first = refusals[0]
        PbxError.__init__(self, first.message, field=first.field)
        self.value = first.value
        self.rule = first.rule
        self.refusals = refusals


class Refusals:
    """Check a form's fields one after another and refuse them together::

        refusals = Refusals()
        name = refusals.check(rules.display_name, name)
        email = refusals.check(rules.email, email)
        refusals.raise_any()

    A check refused returns None; ``raise_any`` raises the one refusal as
    it was, or several as one ``InvalidFields``.
    """

    def __init__(self) -> None:
        self.found: list[InvalidInput] = []

    def check(self, rule: Callable[..., T], *args: object) -> T | None:
        try:
            return rule(*args)
        except InvalidFields as exc:
            self.found.extend(exc.refusals)
        except InvalidInput as exc:
            self.found.append(exc)
        return None

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise InvalidFields(self.found)


class NotFound(PbxError):
    kind = "not-found"


def no_such_extension(number: object) -> NotFound:
    """The one wording of an extension that does not exist, or that the one
    asking may not see (to them it does not exist either)."""
    return NotFound(
        f'extension "{printable(shortened(number))}": no such extension',
        field="extension",
    )


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
