"""A phone's programmable keys and per-device overrides.

Keys are line keys, BLF keys on other extensions and park-slot keys, set
as a whole list per phone (what the page's form and a script send); each
vendor module writes them in its own format. Overrides are settings in the
vendor's own names, written last into the phone's file. Both are checked
whole before anything is written, and saved with an audit entry and a new
configuration version, so a polling phone fetches its file again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import Extension, Phone, PhoneKey, PhoneLine, PhoneOverride
from agent.errors import InvalidInput, NotFound
from agent.park.service import current_settings
from agent.provisioning import rules
from agent.provisioning.profile import FunctionKey
from agent.provisioning.vendors import vendor as vendor_named

KINDS = ("line", "blf", "park")
LABEL_MAX = 32
OVERRIDE_VALUE_MAX = 256
MAX_OVERRIDES = 64


@dataclass(frozen=True)
class KeyInfo:
    position: int
    kind: str
    target: str
    label: str
    line: int

    def to_dict(self) -> dict:
        return asdict(self)

    def as_profile_key(self) -> FunctionKey:
        return FunctionKey(self.position, self.kind, self.target, self.label, self.line)


def parse_key_spec(spec: str, position: int) -> dict:
    """``blf:102``, ``park:7001:Park 1``, ``line:2`` (CLI and page form) as
    fields.

    The form is KIND:TARGET[:LABEL][@LINE]; a line key's target is its line.
    """
    text, _, line = spec.strip().rpartition("@") if "@" in spec else (spec, "", "")
    kind, _, rest = text.partition(":")
    target, _, label = rest.partition(":")
    fields: dict = {"position": position, "kind": kind.strip(), "label": label}
    if fields["kind"] == "line":
        fields["line"] = _int_field("line", target)
        fields["target"] = ""
    else:
        fields["target"] = target.strip()
        fields["line"] = _int_field("line", line) if line else 1
    return fields


def key_spec(key: KeyInfo) -> str:
    """The CLI and page form of a key, as parse_key_spec reads it."""
    if key.kind == "line":
        return f"line:{key.line}:{key.label}"
    return f"{key.kind}:{key.target}:{key.label}@{key.line}"


def parse_override_lines(text: str) -> dict[str, str]:
    """``name = value`` lines (the page's form) as a dict."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            values.update(parse_override(raw, f"line {number}: name = value"))
    return values


def parse_override(text: str, rule: str = "name = value") -> dict[str, str]:
    """One ``name = value`` setting; a newline stays in the value, to be refused."""
    name, sep, value = text.partition("=")
    if not sep:
        raise InvalidInput("overrides", text, rule)
    return {name.strip(): value.strip()}


def _int_field(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(name, value, "a whole number") from None


def _no_keys_reason(row: Phone) -> str | None:
    maker = vendor_named(row.vendor)
    if maker.keys_for(row.model) > 0:
        return None
    return f"{maker.title} {row.model}: no programmable keys the PBX can write"


def _number_in(fields: dict, name: str, rule: str, default: int | None = None) -> int:
    """A key's whole-number field: "required" when it is left out (unless it
    has a default), "a whole number" when it is another type (text, a
    fraction, true), each with rule, the range the number must be in."""
    if name not in fields and default is not None:
        return default
    value = fields.get(name)
    if value is None:
        raise InvalidInput(name, None, f"required: {rule}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(name, value, f"a whole number: {rule}")
    return value


class PhoneKeyService:
    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    # -- reading ---------------------------------------------------------------

    def keys(self, mac: str) -> list[KeyInfo]:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        return self._keys(find_phone(mac, self.actor))

    def overrides(self, mac: str) -> dict[str, str]:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        return self._overrides(find_phone(mac, self.actor))

    # -- changes ---------------------------------------------------------------

    def set_keys(self, mac: str, keys: list[dict]) -> list[KeyInfo]:
        """Replace the phone's keys by these, or refuse them all."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        row = find_phone(mac, self.actor)
        checked = self.validate_keys(row, keys)
        with database.atomic():
            before = [key.to_dict() for key in self._keys(row)]
            PhoneKey.delete().where(PhoneKey.phone == row).execute()
            for key in checked:
                PhoneKey.create(phone=row, **key.to_dict())
            _bump(row)
            after = [key.to_dict() for key in checked]
            audit.record(
                self.actor,
                "update",
                "phone-keys",
                row.mac,
                {"keys": before},
                {"keys": after},
            )
        return checked

    def set_overrides(self, mac: str, values: dict[str, str]) -> dict[str, str]:
        """Replace the phone's overrides by these, or refuse them all."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        row = find_phone(mac, self.actor)
        checked = self.validate_overrides(row, values)
        with database.atomic():
            before = self._overrides(row)
            PhoneOverride.delete().where(PhoneOverride.phone == row).execute()
            for name, value in checked.items():
                PhoneOverride.create(phone=row, name=name, value=value)
            _bump(row)
            audit.record(
                self.actor, "update", "phone-overrides", row.mac, before, checked
            )
        return checked

    # -- rules -----------------------------------------------------------------

    def no_keys_reason(self, mac: str) -> str | None:
        """Why this phone has no keys to set, for a model the PBX writes no
        keys for (a Grandstream GXV); None when it has some."""
        self.actor.require(Permission.VIEW_EXTENSIONS)
        return _no_keys_reason(find_phone(mac, self.actor))

    def validate_keys(self, row: Phone, keys: list[dict]) -> list[KeyInfo]:
        maker = vendor_named(row.vendor)
        lines = {line.line for line in PhoneLine.select().where(PhoneLine.phone == row)}
        most = maker.keys_for(row.model)
        no_keys = _no_keys_reason(row)
        if keys and no_keys:
            raise InvalidInput("keys", None, no_keys)
        checked: list[KeyInfo] = []
        positions: set[int] = set()
        for fields in keys:
            key = self._key(fields, most, lines)
            if key.position in positions:
                raise InvalidInput("position", key.position, "each key once")
            positions.add(key.position)
            checked.append(key)
        return sorted(checked, key=lambda key: key.position)

    def _key(self, fields: dict, most: int, lines: set[int]) -> KeyInfo:
        # Each refusal says its own rule: a field left out is "required", a
        # value of the wrong type "a whole number", one out of range the range.
        where = f"1 to {most} on this phone"
        position = _number_in(fields, "position", where)
        if not 1 <= position <= most:
            raise InvalidInput("position", position, where)
        kinds = "one of " + ", ".join(KINDS)
        kind = fields.get("kind")
        if kind in (None, ""):
            raise InvalidInput("kind", None, f"required: {kinds}")
        if kind not in KINDS:
            raise InvalidInput("kind", kind, kinds)
        shown = ", ".join(str(n) for n in sorted(lines))
        of_this_phone = f"a line of this phone ({shown})"
        line = _number_in(fields, "line", of_this_phone, default=1)
        if line not in lines:
            raise InvalidInput("line", line, of_this_phone)
        target = str(fields.get("target") or "").strip()
        label = str(fields.get("label") or "").strip()
        if kind == "blf":
            existing = "an existing extension"
            if not target:
                raise InvalidInput("target", None, f"required: {existing}")
            extension = Extension.get_or_none(Extension.number == target)
            if extension is None:
                raise InvalidInput("target", target, existing)
            # A long name is cut for the key; a label typed too long is refused.
            label = label or extension.display_name[:LABEL_MAX].rstrip()
        elif kind == "park":
            slots = current_settings().slots
            a_slot = f"a park slot, {slots[0]} to {slots[-1]}"
            if not target:
                raise InvalidInput("target", None, f"required: {a_slot}")
            if target not in slots:
                raise InvalidInput("target", target, a_slot)
            label = label or f"Park {target}"
        else:
            target = ""
            label = label or f"Line {line}"
        if len(label) > LABEL_MAX or not label.isprintable():
            raise InvalidInput("label", label, f"at most {LABEL_MAX} printable")
        return KeyInfo(position, kind, target, label, line)

    def validate_overrides(self, row: Phone, values: dict) -> dict[str, str]:
        maker = vendor_named(row.vendor)
        if not isinstance(values, dict) or len(values) > MAX_OVERRIDES:
            raise InvalidInput("overrides", None, f"at most {MAX_OVERRIDES} settings")
        checked: dict[str, str] = {}
        for name, value in values.items():
            if not isinstance(name, str) or not maker.override_name.fullmatch(name):
                raise InvalidInput(
                    "name", name, f"a {maker.title} setting name: {maker.override_rule}"
                )
            if not isinstance(value, str):
                raise InvalidInput(name, value, "a text value")
            if len(value) > OVERRIDE_VALUE_MAX or not value.isprintable():
                raise InvalidInput(
                    name,
                    value,
                    f"at most {OVERRIDE_VALUE_MAX} printable characters, one line",
                )
            checked[name] = value
        return checked

    # -- steps -----------------------------------------------------------------

    def _keys(self, row: Phone) -> list[KeyInfo]:
        query = (
            PhoneKey.select().where(PhoneKey.phone == row).order_by(PhoneKey.position)
        )
        return [
            KeyInfo(key.position, key.kind, key.target, key.label, key.line)
            for key in query
        ]

    def _overrides(self, row: Phone) -> dict[str, str]:
        query = PhoneOverride.select().where(PhoneOverride.phone == row)
        return {o.name: o.value for o in query.order_by(PhoneOverride.name)}


def profile_keys(row: Phone) -> tuple[FunctionKey, ...]:
    query = PhoneKey.select().where(PhoneKey.phone == row).order_by(PhoneKey.position)
    return tuple(
        FunctionKey(key.position, key.kind, key.target, key.label, key.line)
        for key in query
    )


def profile_overrides(row: Phone) -> tuple[tuple[str, str], ...]:
    query = PhoneOverride.select().where(PhoneOverride.phone == row)
    return tuple((o.name, o.value) for o in query.order_by(PhoneOverride.name))


def _bump(row: Phone) -> None:
    Phone.update(config_version=Phone.config_version + 1).where(
        Phone.id == row.id
    ).execute()


def find_phone(mac: str, actor: Principal | None = None) -> Phone:
    """The phone with this MAC, in any of the spellings ``rules.mac`` takes.

    With an ``actor`` limited to some extensions, a phone with a line of
    another extension is not there for them, as that extension is not.
    """
    try:
        digits = rules.mac(mac)
    except InvalidInput:
        raise NotFound(f'phone "{mac}": no such phone', field="mac") from None
    row = Phone.get_or_none(Phone.mac == digits)
    if row is None or (actor is not None and not sees_phone(actor, row)):
        raise NotFound(f'phone "{mac}": no such phone', field="mac")
    return row


def sees_phone(actor: Principal, row: Phone) -> bool:
    """Whether every extension on the phone's lines is one the actor sees."""
    if actor.extensions is None:
        return True
    lines = (
        PhoneLine.select(Extension.number).join(Extension).where(PhoneLine.phone == row)
    )
    return all(actor.sees_extension(line.extension.number) for line in lines)
