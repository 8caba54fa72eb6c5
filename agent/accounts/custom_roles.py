"""Custom roles: view or edit per module, and which extensions they see.

A custom role is named like an account (``switchboard``, ``site-b-admin``)
and never like a predefined role. Accounts and API tokens name their role
in one column; ``principal_for`` turns that name into the ``Principal``
every service checks, so a custom role binds the pages, the API and the
CLI alike.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from agent import audit
from agent.accounts.roles import (
    ACCESS_LEVELS,
    MODULES,
    NumberRanges,
    Permission,
    Principal,
    Role,
    grants_of,
)
from agent.db import database
from agent.db.models import ApiToken, CustomRole, UserAccount
from agent.errors import AlreadyExists, InvalidInput, NotFound, PbxError
from agent.wording import counted

DESCRIPTION_MAX = 128


class RoleInUse(PbxError):
    kind = "in-use"


@dataclass(frozen=True)
class CustomRoleInfo:
    name: str
    description: str
    modules: dict[str, str]
    extension_ranges: str | None

    @classmethod
    def of(cls, row: CustomRole) -> CustomRoleInfo:
        stored = json.loads(row.modules)
        return cls(
            name=row.name,
            description=row.description,
            modules={m: stored.get(m, "none") for m in MODULES},
            extension_ranges=row.extension_ranges,
        )

    def to_dict(self) -> dict:
        return asdict(self)


def _name_rule(value: str) -> str:
    from agent.accounts.service import username_rule

    try:
        name = username_rule(value)
    except InvalidInput as exc:
        raise InvalidInput("name", value, exc.rule) from None
    if name in {r.value for r in Role}:
        raise InvalidInput("name", name, "is a predefined role")
    return name


def _modules_rule(modules: object) -> dict[str, str]:
    if not isinstance(modules, dict):
        raise InvalidInput("modules", None, "an object of module: none, view or edit")
    clean = {}
    for module, level in modules.items():
        if module not in MODULES:
            raise InvalidInput("modules", module, "one of " + ", ".join(MODULES))
        if level not in ACCESS_LEVELS:
            raise InvalidInput(f"modules.{module}", level, "none, view or edit")
        if level == "edit" and MODULES[module][1] is None:
            raise InvalidInput(f"modules.{module}", level, "can only be viewed")
        if level != "none":
            clean[module] = level
    return clean


#: A role that may do nothing is a mistake, not a way to lock an account out
#: (removing the account is).
NO_MODULE_RULE = "at least one module at view or edit: a role with none can do nothing"


def _some_module(clean: dict[str, str]) -> dict[str, str]:
    if not clean:
        raise InvalidInput("modules", None, NO_MODULE_RULE)
    return clean


#: Said when ranges are given but empty: an empty list would read as "no
#: extension" to one person and "every extension" to another, so it is
#: neither; every extension is the absence of ranges.
EMPTY_RANGES_RULE = (
    'numbers or ranges like "100-199,300"; for every extension give no ranges '
    "at all (leave out --extensions, null in the API, tick Every extension)"
)


def _ranges_rule(text: str | None) -> str | None:
    """None: every extension. Ranges given must hold at least one number."""
    if text is None:
        return None
    if not text.strip():
        raise InvalidInput("extension_ranges", None, EMPTY_RANGES_RULE)
    return str(NumberRanges.parse(text.strip()))


def _description_rule(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > DESCRIPTION_MAX or not text.isprintable():
        raise InvalidInput(
            "description", text, f"at most {DESCRIPTION_MAX} printable characters"
        )
    return text


def create(
    actor: Principal,
    name: str,
    modules: dict[str, str],
    extension_ranges: str | None = None,
    description: str = "",
) -> CustomRoleInfo:
    actor.require(Permission.MANAGE_ACCOUNTS)
    name = _name_rule(name)
    clean = _modules_rule(modules)
    ranges = _ranges_rule(extension_ranges)
    _some_module(clean)
    description = _description_rule(description)
    with database.atomic():
        if CustomRole.select().where(CustomRole.name == name).exists():
            raise AlreadyExists(f'role "{name}": already exists', field="name")
        row = CustomRole.create(
            name=name,
            description=description,
            modules=json.dumps(clean, sort_keys=True),
            extension_ranges=ranges,
        )
        info = CustomRoleInfo.of(row)
        audit.record(actor, "create", "role", name, None, info.to_dict())
    return info


def update(
    actor: Principal,
    name: str,
    modules: dict[str, str] | None = None,
    extension_ranges: str | None = None,
    description: str | None = None,
    all_extensions: bool = False,
) -> CustomRoleInfo:
    """Change a role; its holders' next request already obeys the change."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    clean = None if modules is None else _modules_rule(modules)
    ranges = None if extension_ranges is None else _ranges_rule(extension_ranges)
    if clean is not None:
        _some_module(clean)
    description = None if description is None else _description_rule(description)
    with database.atomic():
        row = _row(name)
        before = CustomRoleInfo.of(row)
        if clean is not None:
            row.modules = json.dumps(clean, sort_keys=True)
        if all_extensions:
            row.extension_ranges = None
        elif ranges is not None:
            row.extension_ranges = ranges
        if description is not None:
            row.description = description
        row.save()
        after = CustomRoleInfo.of(row)
        if after != before:
            audit.record(
                actor, "update", "role", row.name, before.to_dict(), after.to_dict()
            )
    return after


def list_roles(actor: Principal) -> list[CustomRoleInfo]:
    actor.require(Permission.MANAGE_ACCOUNTS)
    return [CustomRoleInfo.of(r) for r in CustomRole.select().order_by(CustomRole.name)]


def get(actor: Principal, name: str) -> CustomRoleInfo:
    actor.require(Permission.MANAGE_ACCOUNTS)
    return CustomRoleInfo.of(_row(name))


def remove(actor: Principal, name: str) -> None:
    actor.require(Permission.MANAGE_ACCOUNTS)
    with database.atomic():
        row = _row(name)
        users = UserAccount.select().where(UserAccount.role == row.name).count()
        holders = users + ApiToken.select().where(ApiToken.role == row.name).count()
        if holders:
            raise RoleInUse(
                f'role "{row.name}": '
                f"{counted(holders, 'account or API token', 'accounts or API tokens')}"
                f" still {'holds' if holders == 1 else 'hold'} it",
                field="name",
            )
        before = CustomRoleInfo.of(row)
        row.delete_instance()
        audit.record(actor, "delete", "role", row.name, before.to_dict())


def _row(name: str) -> CustomRole:
    row = CustomRole.get_or_none(CustomRole.name == (name or "").strip().lower())
    if row is None:
        raise NotFound("role: no such custom role", field="name")
    return row


def role_name_rule(
    value: str, field: str = "role", predefined: tuple[Role, ...] = tuple(Role)
) -> str:
    """A predefined or custom role's name as an account or token may hold it
    (of the predefined roles, only those given)."""
    value = (value or "").strip().lower()
    if value in {r.value for r in predefined}:
        return value
    if CustomRole.select().where(CustomRole.name == value).exists():
        return value
    names = [r.value for r in predefined] + [r.name for r in CustomRole.select()]
    raise InvalidInput(field, value, "one of " + ", ".join(names))


def all_role_names() -> list[str]:
    names = [r.value for r in Role]
    return names + [r.name for r in CustomRole.select().order_by(CustomRole.name)]


def principal_for(name: str, role_name: str, extension: str | None = None) -> Principal:
    """The principal of an account or token holding role_name.

    A role that no longer exists grants nothing rather than failing: the
    account can still sign in and change its password, and see no page.
    """
    try:
        return Principal(name, Role(role_name), extension=extension)
    except ValueError:
        pass
    row = CustomRole.get_or_none(CustomRole.name == role_name)
    if row is None:
        return Principal(name, Role.USER, grants=frozenset(), custom_role=role_name)
    ranges = row.extension_ranges
    return Principal(
        name,
        Role.USER,
        grants=grants_of(json.loads(row.modules)),
        custom_role=row.name,
        extensions=NumberRanges.parse(ranges) if ranges else None,
        extension=extension,
    )
