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
    VIEW_CONTACTS = "view company contacts and phonebooks"
    CHANGE_CONTACTS = "change company contacts and phonebooks"
    VIEW_MEDIA = "view voicemail boxes and IVR menus"
    MANAGE_MEDIA = "change voicemail boxes and IVR menus"
    VIEW_SYSTEM_SETTINGS = "view the system settings"
    CHANGE_SYSTEM_SETTINGS = "change the system settings"
    VIEW_NETWORK = "view the network settings"
    MANAGE_NETWORK = "change the network settings"
    VIEW_CALL_ROUTING = "view trunks, routes and call records"
    MANAGE_CALL_ROUTING = "change trunks and routes"
    VIEW_MONITOR = "watch the PBX monitor"
    VIEW_REPORTS = "view call reports"
    MANAGE_REPORTS = "schedule call reports by e-mail"
    VIEW_EVENTS = "view the event center"
    MANAGE_EVENTS = "change event notifications and webhooks"
    LISTEN_RECORDINGS = "play and download call recordings"


_STAFF_VIEW = {
    Permission.VIEW_EXTENSIONS,
    Permission.VIEW_CONTACTS,
    Permission.VIEW_CALL_ROUTING,
    Permission.VIEW_MEDIA,
    Permission.VIEW_MONITOR,
}
_ADMIN = _STAFF_VIEW | {
    Permission.MANAGE_CALL_ROUTING,
    Permission.MANAGE_MEDIA,
    Permission.CHANGE_EXTENSIONS,
    Permission.VIEW_AUDIT_LOG,
    Permission.VIEW_SECURITY,
    Permission.MANAGE_SECURITY,
    Permission.CHANGE_CONTACTS,
    Permission.VIEW_SYSTEM_SETTINGS,
    Permission.CHANGE_SYSTEM_SETTINGS,
    Permission.VIEW_NETWORK,
    Permission.VIEW_REPORTS,
    Permission.MANAGE_REPORTS,
    Permission.VIEW_EVENTS,
    Permission.MANAGE_EVENTS,
    Permission.LISTEN_RECORDINGS,
}

#: What a custom role may grant, module by module: (view, edit). Managing
#: accounts, installing firmware and restoring backups each hand over the
#: whole appliance, so only the predefined super administrator does them.
MODULES: dict[str, tuple[Permission, Permission | None]] = {
    "extensions": (Permission.VIEW_EXTENSIONS, Permission.CHANGE_EXTENSIONS),
    "contacts": (Permission.VIEW_CONTACTS, Permission.CHANGE_CONTACTS),
    "security": (Permission.VIEW_SECURITY, Permission.MANAGE_SECURITY),
    "audit": (Permission.VIEW_AUDIT_LOG, None),
    "firmware": (Permission.VIEW_FIRMWARE, None),
    "system": (Permission.VIEW_SYSTEM_SETTINGS, Permission.CHANGE_SYSTEM_SETTINGS),
    "network": (Permission.VIEW_NETWORK, Permission.MANAGE_NETWORK),
    "call routing": (Permission.VIEW_CALL_ROUTING, Permission.MANAGE_CALL_ROUTING),
    "voicemail and IVR": (Permission.VIEW_MEDIA, Permission.MANAGE_MEDIA),
    "monitor": (Permission.VIEW_MONITOR, None),
    "reports": (Permission.VIEW_REPORTS, Permission.MANAGE_REPORTS),
    "events": (Permission.VIEW_EVENTS, Permission.MANAGE_EVENTS),
    "recordings": (Permission.LISTEN_RECORDINGS, None),
}
ACCESS_LEVELS = ("none", "view", "edit")


def grants_of(modules: dict[str, str]) -> frozenset[Permission]:
    """The permissions a custom role's module levels amount to."""
    granted: set[Permission] = set()
    for module, level in modules.items():
        view, edit = MODULES[module]
        if level in {"view", "edit"}:
            granted.add(view)
        if level == "edit" and edit is not None:
            granted.add(edit)
    return frozenset(granted)


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
class NumberRanges:
    """Extension numbers as ranges, "100-199,300": who an operator may see."""

    spans: tuple[tuple[int, int], ...]

    @classmethod
    def parse(cls, text: str | None, field: str = "extension_ranges") -> NumberRanges:
        spans = []
        for part in (text or "").replace(" ", "").split(","):
            if not part:
                continue
            low, _, high = part.partition("-")
            high = high or low
            if (
                not (low + high).isascii()
                or not (low.isdigit() and high.isdigit())
                or len(low) > 6
                or len(high) > 6
            ):
                raise InvalidInput(field, text, 'numbers or ranges like "100-199,300"')
            if int(low) > int(high):
                raise InvalidInput(field, part, "a range runs from low to high")
            spans.append((int(low), int(high)))
        if not spans:
            raise InvalidInput(field, text, 'at least one number or range, "100-199"')
        return cls(tuple(spans))

    def __str__(self) -> str:
        return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in self.spans)

    def __contains__(self, number: object) -> bool:
        text = str(number)
        return (
            text.isascii()
            and text.isdigit()
            and any(a <= int(text) <= b for a, b in self.spans)
        )


@dataclass(frozen=True)
class Principal:
    """The person or script a request acts for, as the audit log names it.

    A custom role sets ``grants`` (which replace the predefined role's
    table) and its name in ``custom_role``; ``extensions`` narrows the
    extensions the principal sees, None meaning all. A portal user carries
    the number of their own extension in ``extension``.
    """

    name: str
    role: Role
    grants: frozenset[Permission] | None = None
    custom_role: str | None = None
    extensions: NumberRanges | None = None
    extension: str | None = None

    @property
    def role_name(self) -> str:
        return self.custom_role or self.role.value

    @property
    def role_title(self) -> str:
        return self.custom_role or self.role.title

    def can(self, permission: Permission) -> bool:
        granted = PERMISSIONS[self.role] if self.grants is None else self.grants
        return permission in granted

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"{self.name} ({self.role_name}) may not {permission}")

    def sees_extension(self, number: str) -> bool:
        return self.extensions is None or number in self.extensions

    def require_every_extension(self, what: str) -> None:
        """Refuse a role limited to some extensions a change to something
        that serves every phone; what names it ("speed dials")."""
        if self.extensions is not None:
            raise Forbidden(
                f"{self.name} ({self.role_name}) may change only some "
                f"extensions, and {what} serve every phone"
            )

    def reaches(self, number: str, permission: Permission) -> bool:
        """Whether this principal may act on extension number's own things
        (its mailbox, its forwarding): as the extension's user, or holding
        permission with the number inside its ranges.

        Raises Forbidden when someone else's extension needs a permission
        this principal lacks; False means the number is outside its ranges,
        which callers answer as "no such extension" (or mailbox), so a role
        learns nothing about the numbers it may not see.
        """
        if self.extension is not None and self.extension == number:
            return True
        self.require(permission)
        return self.sees_extension(number)


#: Whoever has a shell on the appliance already owns it; the CLI acts as them.
CONSOLE = Principal("console", Role.SUPER_ADMINISTRATOR)
#: The same owner at a shell, named apart from the recovery console where
#: the audit log must say which of the two reset a password.
COMMAND_LINE = Principal("command line", Role.SUPER_ADMINISTRATOR)
#: The agent's own housekeeping (re-hashing after a domain change, the banner).
SYSTEM = Principal("system", Role.SUPER_ADMINISTRATOR)
