"""Who may do what: the predefined roles and the principal behind a request.

Every service call takes a ``Principal`` and checks it against this table,
so the web pages, the REST API and the command line obey one rule set.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from agent.errors import Forbidden, InvalidInput


class Role(enum.StrEnum):
    SUPER_ADMINISTRATOR = "super-administrator"
    ADMINISTRATOR = "administrator"
    OPERATOR = "operator"
    USER = "user"

    @property
    def title(self) -> str:
        return self.value.replace("-", " ").capitalize()


class Permission(enum.StrEnum):
    VIEW_EXTENSIONS = "view extensions"
    CHANGE_EXTENSIONS = "change extensions"
    VIEW_AUDIT_LOG = "view the audit log"
    MANAGE_ACCOUNTS = "manage accounts and API tokens"
    VIEW_FIRMWARE = "view the firmware slots"
    MANAGE_FIRMWARE = "install, commit and roll back firmware"
    MANAGE_BACKUPS = "make and restore backups"
    VIEW_SECURITY = "view bans and the firewall"
    MANAGE_SECURITY = "ban addresses and change the firewall"
    VIEW_SYSTEM_SETTINGS = "view the system settings"
    CHANGE_SYSTEM_SETTINGS = "change the system settings"
    VIEW_CALL_ROUTING = "view trunks, routes and call records"
    MANAGE_CALL_ROUTING = "change trunks and routes"


_STAFF_VIEW = {Permission.VIEW_EXTENSIONS, Permission.VIEW_CALL_ROUTING}
_ADMIN = _STAFF_VIEW | {
    Permission.MANAGE_CALL_ROUTING,
    Permission.CHANGE_EXTENSIONS,
    Permission.VIEW_AUDIT_LOG,
    Permission.VIEW_SECURITY,
    Permission.MANAGE_SECURITY,
    Permission.VIEW_SYSTEM_SETTINGS,
    Permission.CHANGE_SYSTEM_SETTINGS,
}

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SUPER_ADMINISTRATOR: frozenset(Permission),
    Role.ADMINISTRATOR: frozenset(_ADMIN),
    # Operators run the switchboard: they see who is registered, change nothing.
    Role.OPERATOR: frozenset(_STAFF_VIEW),
    # Users will get their own portal (voicemail, forwarding); no admin pages.
    Role.USER: frozenset(),
}


def role(value: str) -> Role:
    """Parse a role name as typed at the CLI or sent to the API."""
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput("role", value, f"one of {names}") from None


@dataclass(frozen=True)
class Principal:
    """The person or script a request acts for, as the audit log names it."""

    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"{self.name} ({self.role.value}) may not {permission}")


#: Whoever has a shell on the appliance already owns it; the CLI acts as them.
CONSOLE = Principal("console", Role.SUPER_ADMINISTRATOR)
#: The agent's own housekeeping (re-hashing after a domain change, the banner).
SYSTEM = Principal("system", Role.SUPER_ADMINISTRATOR)
