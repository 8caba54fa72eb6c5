"""What a trunk's fields may hold; each refusal names the field and rule."""

from __future__ import annotations

import ipaddress
import re

from agent.errors import InvalidInput

KINDS = ("register", "peer")
TRANSPORTS = ("udp", "tcp")
#: How the caller ID reaches the carrier: the From user, or From stays the
#: account and RFC 3325 P-Asserted-Identity / draft Remote-Party-ID carry it.
CALLER_ID_HEADERS = ("from", "pai", "rpid")
#: Where the carrier puts the number that was called (the DID): To, the
#: Request-URI, RFC 3455 P-Called-Party-ID, or RFC 5806 Diversion.
DID_HEADERS = ("to", "ruri", "pcpi", "diversion")
DEFAULT_SIP_PORT = 5060  # RFC 3261 section 19.1.2
#: Codecs a trunk may be limited to: those rtpengine here transcodes both
#: ways (``rtpengine --codecs``: "fully supported") and that have a static
#: RTP payload type (RFC 3551 section 6), so a phone that offers another
#: codec still talks to the carrier through rtpengine. G.729 needs no
#: licence since its patents ran out (2017); Opus, GSM and Speex are left
#: out: carriers do not ask for them on a trunk.
CODECS = ("PCMU", "PCMA", "G722", "G729")
#: What means "no limit, whatever the phones offer" (the default).
ANY_CODEC = "any"

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_HOST = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_SIP_USER = re.compile(r"[A-Za-z0-9_.!~*'()&=+$,;?/%-]{1,64}")
_DID = re.compile(r"\+?[0-9]{1,31}")
_NUMBER = re.compile(r"\+?[0-9*#]{1,31}")
#: An E.164 number has at most 15 digits (ITU-T E.164 section 6.1); a
#: carrier's national form is shorter, never longer.
MAIN_NUMBER_DIGITS_MAX = 15
_MAIN_NUMBER = re.compile(rf"\+?[0-9]{{1,{MAIN_NUMBER_DIGITS_MAX}}}")


def name(value: str) -> str:
    value = (value or "").strip()
    if not _NAME.fullmatch(value):
        raise InvalidInput(
            "name", value, "1 to 32 lower-case letters, digits and -, not - first"
        )
    return value


def choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    value = (value or "").strip().lower()
    if value not in allowed:
        raise InvalidInput(field, value, "one of " + ", ".join(allowed))
    return value


def host(field: str, value: str) -> str:
    value = (value or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not _HOST.fullmatch(value):
        raise InvalidInput(
            field, value, "a host name like sip.example.com or an address"
        )
    return value.lower()


def port(field: str, value: int | str) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise InvalidInput(field, value, "a port number from 1 to 65535")
    return int(text)


def hostport(field: str, value: str | None) -> str | None:
    """host or host:port (IPv6 in brackets), or nothing."""
    value = (value or "").strip()
    if not value:
        return None
    if value.startswith("["):
        address, _, rest = value[1:].partition("]")
        host(field, address)
        if rest:
            port(field, rest.lstrip(":"))
        return value
    address, sep, rest = value.partition(":")
    host(field, address)
    if sep:
        port(field, rest)
    return value.lower()


def sip_user(field: str, value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not _SIP_USER.fullmatch(value):
        raise InvalidInput(field, None, "1 to 64 characters allowed in a SIP user name")
    return value


def password(value: str) -> str:
    if not value or len(value) > 128 or any(ord(c) < 32 for c in value):
        raise InvalidInput("password", None, "1 to 128 printable characters")
    return value


def did(value: str) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInput("did", None, "digits, with an optional leading +")
    value = (value or "").strip().replace(" ", "")
    if not _DID.fullmatch(value):
        raise InvalidInput("did", value, "digits, with an optional leading +")
    return value


def number(field: str, value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not _NUMBER.fullmatch(value):
        raise InvalidInput(field, value, "digits, * or #, with an optional leading +")
    return value


def presented_number(field: str, value: str | None, when_empty: str) -> str:
    """A number the PBX presents to a carrier as a caller ID (a trunk's main
    number, an extension's outside caller ID): 1 to 15 digits with an
    optional leading +, spaces dropped; "" (or nothing given) means
    when_empty, which the refusal names."""
    rule = (
        f"1 to {MAIN_NUMBER_DIGITS_MAX} digits (E.164), with an optional leading +;"
        f" empty: {when_empty}"
    )
    if value is not None and not isinstance(value, str):
        raise InvalidInput(field, None, rule)
    value = (value or "").strip().replace(" ", "")
    if value and not _MAIN_NUMBER.fullmatch(value):
        raise InvalidInput(field, value, rule)
    return value


def main_number(value: str | None) -> str:
    """The number the PBX presents as its own at this carrier when the route
    names no caller ID; "" (or nothing given) leaves it to the trunk's first
    DID."""
    return presented_number("main_number", value, "the trunk's first DID")


def codecs(value: str | list[str] | tuple[str, ...]) -> str:
    """An ordered codec list, given as "pcma,pcmu" or a list; stored as
    "PCMA,PCMU", or "" for the word any (whatever the phones offer)."""
    rule = (
        f"codec names from {', '.join(CODECS)}, preferred first, "
        f"separated by commas, or {ANY_CODEC}"
    )
    if isinstance(value, str):
        names = value.split(",")
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        names = list(value)
    else:
        raise InvalidInput("codecs", None, rule)
    names = [n.strip() for n in names if n.strip()]
    if [n.lower() for n in names] == [ANY_CODEC]:
        return ""
    if not names:
        raise InvalidInput("codecs", "", "at least one codec, or " + ANY_CODEC)
    known = {c.upper(): c for c in CODECS}
    clean = []
    for given in names:
        codec = known.get(given.upper())
        if codec is None:
            raise InvalidInput(
                "codecs",
                given,
                "not a codec this PBX bridges: one of " + ", ".join(CODECS),
            )
        if codec in clean:
            raise InvalidInput("codecs", given, "given twice")
        clean.append(codec)
    return ",".join(clean)
