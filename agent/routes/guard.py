"""Toll-fraud guards: which countries may be called, and how often.

Stolen extension passwords are mostly used to call premium numbers abroad,
fast and many at once. The guard is one JSON setting (``calls.guard``)
that the routing in Kamailio reads with the routes and applies to every
outbound call before it reaches a trunk:

- international calls (the dialled number starts with one of the
  international prefixes) only to the allowed country codes, company-wide
  or, where set, per extension;
- at most N outbound calls per extension, and per PBX, within a window;
- at most N outbound calls up at once.

A refused call gets 403 with the reason, the caller's record shows it, and
a "toll-fraud-guard" security event is raised. The counts come from the
call records, so they need the agent running (it writes them); two calls
placed within the same few milliseconds may both pass a limit of one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from agent import audit, system_settings
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import Extension
from agent.errors import InvalidInput

SETTING = "calls.guard"
# E.164 section 6.2: country codes are 1 to 3 digits.
_COUNTRY_CODE_MAX = 3
WINDOW_MAX_S = 86400
LIMIT_MAX = 100000
# ITU-T E.164 "+", the ITU international prefix 00, and North America's 011.
DEFAULT_INTERNATIONAL_PREFIXES = ["+", "00", "011"]


@dataclass(frozen=True)
class CallGuard:
    #: Country codes anyone may call; None: every country.
    allowed_countries: list[str] | None = None
    #: Per extension, its own list (replaces the company-wide one).
    extension_countries: dict[str, list[str]] = field(default_factory=dict)
    international_prefixes: list[str] = field(
        default_factory=lambda: list(DEFAULT_INTERNATIONAL_PREFIXES)
    )
    #: Outbound calls per extension within window_s; 0: no limit.
    per_extension_calls: int = 0
    #: Outbound calls of the whole PBX within window_s; 0: no limit.
    total_calls: int = 0
    window_s: int = 60
    #: Outbound calls up at once; 0: no limit.
    concurrent_calls: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _codes(field_name: str, values: list[str]) -> list[str]:
    if not isinstance(values, list):
        raise InvalidInput(field_name, None, "a list of country codes")
    out = []
    for value in values:
        value = str(value).strip().lstrip("+")
        if (
            not (value.isascii() and value.isdigit())
            or not 1 <= len(value) <= _COUNTRY_CODE_MAX
        ):
            raise InvalidInput(field_name, value, "country codes of 1 to 3 digits")
        out.append(value)
    return sorted(set(out))


def _count(field_name: str, value: int, maximum: int = LIMIT_MAX) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not 0 <= value <= maximum
    ):
        raise InvalidInput(field_name, value, f"a whole number from 0 to {maximum}")
    return value


def checked(guard: CallGuard) -> CallGuard:
    allowed = (
        None
        if guard.allowed_countries is None
        else _codes("allowed_countries", guard.allowed_countries)
    )
    if not isinstance(guard.extension_countries, dict):
        raise InvalidInput("extension_countries", None, "extension to country codes")
    if not isinstance(guard.international_prefixes, list) or not all(
        isinstance(p, str) for p in guard.international_prefixes
    ):
        raise InvalidInput("international_prefixes", None, "a list of prefixes")
    per_ext = {}
    for number, codes in guard.extension_countries.items():
        if not (str(number).isascii() and str(number).isdigit()):
            raise InvalidInput(
                "extension_countries", number, "keys are extension numbers"
            )
        per_ext[str(number)] = _codes("extension_countries", codes)
    prefixes = []
    for prefix in guard.international_prefixes:
        if not prefix or not all(c.isdigit() or c == "+" for c in prefix):
            raise InvalidInput("international_prefixes", prefix, "digits or +")
        prefixes.append(prefix)
    window = _count("window_s", guard.window_s, WINDOW_MAX_S)
    if window == 0:
        raise InvalidInput("window_s", window, "at least 1 second")
    return CallGuard(
        allowed_countries=allowed,
        extension_countries=per_ext,
        international_prefixes=prefixes,
        per_extension_calls=_count("per_extension_calls", guard.per_extension_calls),
        total_calls=_count("total_calls", guard.total_calls),
        window_s=window,
        concurrent_calls=_count("concurrent_calls", guard.concurrent_calls),
    )


def _refuse_lists_of_unknown_extensions(before: CallGuard, after: CallGuard) -> None:
    """A list set for a number that is no extension would guard nobody. Only
    lists set or changed now are checked: one left by an extension since
    removed does not block other changes to the guard."""
    for number, codes in sorted(after.extension_countries.items()):
        if before.extension_countries.get(number) == codes:
            continue
        if not Extension.select().where(Extension.number == number).exists():
            raise InvalidInput("extension_countries", number, "no such extension")


def current(actor: Principal) -> CallGuard:
    actor.require(Permission.VIEW_CALL_ROUTING)
    return CallGuard(**(system_settings.get(SETTING) or {}))


def change(actor: Principal, **changes) -> CallGuard:
    """Change some fields of the guard; the whole new guard is checked."""
    actor.require(Permission.MANAGE_CALL_ROUTING)
    before = current(actor)
    unknown = set(changes) - set(before.to_dict())
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(name, None, "not a field of the call guard")
    guard = checked(CallGuard(**(before.to_dict() | changes)))
    _refuse_lists_of_unknown_extensions(before, guard)
    with database.atomic():
        system_settings.put(SETTING, guard.to_dict())
        audit.record(
            actor, "update", "call_guard", "calls", before.to_dict(), guard.to_dict()
        )
    return guard
