"""What makes an extension's fields valid, each rule said in plain words."""

from __future__ import annotations

import re
import secrets
import string
import unicodedata

from agent.errors import InvalidInput
from agent.trunks.rules import presented_number

NUMBER_DIGITS = (2, 6)
DISPLAY_NAME_MAX = 64
EMAIL_MAX = 254  # RFC 5321 section 4.5.3.1.3 path limit, less the brackets

# SIP passwords are typed into phones' web pages and written into vendors'
# configuration files, so the rule is about entropy, not exotic symbols.
PASSWORD_MIN = 12
PASSWORD_MAX = 64
PASSWORD_CLASSES_NEEDED = 3  # of: lower case, upper case, digits, symbols
GENERATED_PASSWORD_LENGTH = 16  # 16 of 62 symbols: about 95 bits

# A pickup group is a short name, as a person types it into a phone-side
# list or a CSV column: letters, digits, dashes and underscores.
PICKUP_GROUP_MAX = 16
_PICKUP_GROUP = re.compile(r"[A-Za-z0-9_-]+")

_NUMBER = re.compile(r"[0-9]+")
_EMAIL = re.compile(r"[^@\s\"<>()\[\],;:\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_PRINTABLE_NO_SPACE = set(string.printable) - set(string.whitespace)


def number(value: str) -> str:
    low, high = NUMBER_DIGITS
    if not _NUMBER.fullmatch(value or "") or not low <= len(value) <= high:
        raise InvalidInput("extension", value, f"digits only, {low} to {high} of them")
    if value.startswith("0"):
        # 0 is the outside-line prefix of most dial plans, and "0101" next
        # to "101" is two extensions no person can tell apart.
        raise InvalidInput("extension", value, "must not start with 0")
    return value


def display_name(value: str, limit: int = DISPLAY_NAME_MAX, field: str = "name") -> str:
    """A name people read on pages, phone screens and in the CLI's tables
    (an extension's, a queue's, a page group's): trimmed, 1 to ``limit``
    characters, nothing that breaks a SIP display name or a table line."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(field, value, "must not be empty")
    if len(value) > limit:
        raise InvalidInput(field, value, f"at most {limit} characters")
    if any(ch in value for ch in '"\\') or any(_invisible(ch) for ch in value):
        raise InvalidInput(
            field,
            None,
            "no double quotes, backslashes, control or invisible characters",
        )
    return value


def outside_cid_number(value: str | None) -> str:
    """The number the carrier is given on this extension's outside calls;
    "": the route's caller ID, else the trunk's main number."""
    return presented_number(
        "outside_cid_number",
        value,
        "the route's caller ID, else the trunk's main number",
    )


def caller_id_name(field: str, value: str | None) -> str:
    """An optional name sent in a SIP display name (the outside or internal
    caller ID name): the rule of a display name, or "" for none."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput(field, None, "a name or empty")
    value = (value or "").strip()
    return display_name(value, field=field) if value else ""


def pickup_group(value: str | None) -> str:
    """A pickup group's name; empty: the extension is in no group."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > PICKUP_GROUP_MAX or not _PICKUP_GROUP.fullmatch(value):
        raise InvalidInput(
            "pickup group",
            value,
            f"letters, digits, - and _ only, at most {PICKUP_GROUP_MAX} of them",
        )
    return value


def _invisible(ch: str) -> bool:
    """Control and format characters (Unicode Cc, Cf): right-to-left
    overrides and zero-width marks make a name read unlike what it is."""
    return unicodedata.category(ch) in {"Cc", "Cf"}


def email(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip()
    if len(value) > EMAIL_MAX or not _EMAIL.fullmatch(value):
        raise InvalidInput("email", value, "an address like name@example.com")
    return value


def password(value: str, extension_number: str) -> str:
    """Check a password chosen by a person; the message never echoes it."""
    rule = (
        f"{PASSWORD_MIN} to {PASSWORD_MAX} characters, with at least three of "
        "lower case, upper case, digits and symbols, no spaces, and not "
        "containing the extension number"
    )
    classes = [
        any(ch.islower() for ch in value),
        any(ch.isupper() for ch in value),
        any(ch.isdigit() for ch in value),
        any(ch in string.punctuation for ch in value),
    ]
    if (
        not PASSWORD_MIN <= len(value) <= PASSWORD_MAX
        or not set(value) <= _PRINTABLE_NO_SPACE
        or sum(classes) < PASSWORD_CLASSES_NEEDED
        or extension_number in value
    ):
        raise InvalidInput("password", None, rule)
    return value


def generate_password(extension_number: str) -> str:
    """A random password that always meets the rule above."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(
            secrets.choice(alphabet) for _ in range(GENERATED_PASSWORD_LENGTH)
        )
        try:
            return password(candidate, extension_number)
        except InvalidInput:
            continue
