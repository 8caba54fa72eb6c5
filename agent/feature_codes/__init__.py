"""The feature-code table as administrators see and change it.

The CLI (``edgepbx feature-codes list|set|reset``), the REST API
(``/api/v1/feature-codes``) and the admin page all call
``FeatureCodeService``. The features, their defaults and how a dialled
number is matched live with the SIP routing, which reads the same table
(``agent/sip/feature_codes.py``); the media service reads it through
``current_codes``.

A code is refused, naming the field, when it is not made of ``*``, ``#``
and digits, when another feature has it, when one code would hide another
(a code that takes a number, followed by digits, spelling another code),
when it begins another code or another begins it (a phone that collects
digits would stop at the shorter code, or wait after it), or when it is a
number of the internal number space (``agent.numbering``).

The one prefix kept on purpose is the shipped table's own: pickup ``*8``
beside intercom ``*80`` and park ``*85``, which the routing tells apart by
the longest match (``agent.sip.feature_codes.match``). Two features whose
defaults begin one another in this way may keep doing so with new codes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import peewee

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import BaseModel, utcnow
from agent.errors import InvalidInput, NotFound
from agent.sip.feature_codes import BY_NAME, DEFAULT_CODES, FEATURES

#: Phones dial these keys; eight is room for any code office PBXs use.
CODE = re.compile(r"[*#0-9]{2,8}")
CODE_RULE = "2 to 8 characters, each *, # or a digit 0-9"


class FeatureCodeRow(BaseModel):
    """A code changed from its default (migration 22)."""

    feature = peewee.CharField(max_length=32, primary_key=True)
    code = peewee.CharField(max_length=8)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "feature_code"


@dataclass(frozen=True)
class FeatureCodeInfo:
    feature: str
    code: str
    default: str
    description: str
    takes_number: bool

    def to_dict(self) -> dict:
        return asdict(self)


def current_codes() -> dict[str, str]:
    """Feature name -> its code now."""
    codes = dict(DEFAULT_CODES)
    for row in FeatureCodeRow.select():
        if row.feature in codes:
            codes[row.feature] = row.code
    return codes


def hides(code: str, takes_number: bool, other: str) -> bool:
    """Whether dialling code (and, if it takes one, a number) could spell
    other, or the reverse: one of the two would never be reached."""
    if code == other:
        return True
    if takes_number and other.startswith(code):
        return other[len(code) :].isdigit()
    return False


def _prefix_allowed(short_feature: str, long_feature: str) -> bool:
    """Whether the default table already has short_feature's code begin
    long_feature's (pickup_group's *8 and intercom's *80)."""
    short, long = DEFAULT_CODES[short_feature], DEFAULT_CODES[long_feature]
    return short != long and long.startswith(short)


def prefix_clash(feature: str, code: str, name: str, other: str) -> str | None:
    """Why code (for feature) cannot live beside other (the code of name)
    when one begins the other, or None when neither does or it is allowed."""
    if code == other:
        return None
    if other.startswith(code) and not _prefix_allowed(feature, name):
        return f"begins {other}, the code of {name}"
    if code.startswith(other) and not _prefix_allowed(name, feature):
        return f"begins with {other}, the code of {name}"
    return None


def feature_code_of(number: str) -> str | None:
    """The feature whose code is number or begins it (for the number
    space: an extension numbered like a code would never ring)."""
    for name, code in current_codes().items():
        if number == code or (BY_NAME[name].takes_number and hides(code, True, number)):
            return name
    return None


class FeatureCodeService:
    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    def list(self) -> list[FeatureCodeInfo]:
        self.actor.require(Permission.VIEW_CALL_ROUTING)
        codes = current_codes()
        return [
            FeatureCodeInfo(
                f.name, codes[f.name], f.default, f.description, f.takes_number
            )
            for f in FEATURES
        ]

    def show(self, feature: str) -> FeatureCodeInfo:
        self._feature(feature)
        return next(info for info in self.list() if info.feature == feature)

    def set(self, feature: str, code: str) -> FeatureCodeInfo:
        """Give feature a new code; refused whole, naming the field."""
        self._require_change()
        self._feature(feature)
        code = (code or "").strip() if isinstance(code, str) else code
        if not isinstance(code, str) or not CODE.fullmatch(code):
            raise InvalidInput("code", code, CODE_RULE)
        with database.atomic():
            codes = current_codes()
            before = codes[feature]
            takes_number = BY_NAME[feature].takes_number
            for name, other in codes.items():
                if name == feature:
                    continue
                if hides(code, takes_number, other) or hides(
                    other, BY_NAME[name].takes_number, code
                ):
                    raise InvalidInput(
                        "code",
                        code,
                        f"clashes with {other}, the code of {name}",
                    )
                clash = prefix_clash(feature, code, name, other)
                if clash:
                    raise InvalidInput("code", code, clash)
            _refuse_numbers(code, takes_number)
            if code == before:
                return self.show(feature)
            FeatureCodeRow.delete().where(FeatureCodeRow.feature == feature).execute()
            if code != DEFAULT_CODES[feature]:
                FeatureCodeRow.create(feature=feature, code=code, updated_at=utcnow())
            audit.record(
                self.actor,
                "update",
                "feature code",
                feature,
                {"code": before},
                {"code": code},
            )
        return self.show(feature)

    def reset(self, feature: str) -> FeatureCodeInfo:
        """Back to the default code (refused if something took it since)."""
        return self.set(feature, DEFAULT_CODES.get(feature, ""))

    def _feature(self, feature: str) -> None:
        if feature not in BY_NAME:
            raise NotFound(
                f'feature "{feature}": no such feature; one of ' + ", ".join(BY_NAME),
                field="feature",
            )

    def _require_change(self) -> None:
        """The codes serve every phone, so a role limited to some
        extensions may read them but not change them."""
        self.actor.require(Permission.MANAGE_CALL_ROUTING)
        self.actor.require_every_extension("feature codes")


def _refuse_numbers(code: str, takes_number: bool) -> None:
    """Refuse a code that is, or (taking a number) begins, an internal
    number: dialling that number would reach the feature instead."""
    from agent.numbering import HOLDERS, park_slots

    for slot in park_slots():
        if slot == code or (takes_number and slot.startswith(code)):
            raise InvalidInput("code", code, f"{slot} is already a park slot's number")
    for article, table in HOLDERS.values():
        query = table.select(table.number)
        if takes_number:
            query = query.where(table.number.startswith(code))
        else:
            query = query.where(table.number == code)
        row = query.first()
        if row is not None:
            raise InvalidInput(
                "code", code, f"{row.number} is already {article}'s number"
            )
