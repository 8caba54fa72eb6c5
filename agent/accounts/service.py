"""Accounts of the web admin: the first administrator, sign-in, passwords.

The first administrator, ``admin``, is made on the appliance's first start
with a one-time password. A sign-in password, one-time or chosen, is only
ever stored as a hash: the one-time password is shown once, by the process
that made it (the ``make run`` banner on first start, ``edgepbx admin
reset-password`` later), and cannot be shown again by anyone.

Older firmware kept a sealed copy of the one-time password in
``user_account.one_time_password``; schema 6 drops that column.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass

import peewee

from agent import audit
from agent.accounts import custom_roles, passwords, sessions, throttle
from agent.accounts.roles import SYSTEM, Permission, Principal, Role
from agent.db import database
from agent.db.models import Extension, UserAccount, utcnow
from agent.devicekey import DeviceKey
from agent.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    no_such_extension,
)
from agent.events import catalogue, raise_event
from agent.security import events

log = logging.getLogger("edgepbx.accounts")

FIRST_ADMIN = "admin"
#: Portal accounts are named after their extension: "ext101".
PORTAL_PREFIX = "ext"
USERNAME_LENGTH = (3, 32)
_USERNAME = re.compile(r"[a-z][a-z0-9._-]*")
# Said the same way whichever was wrong, so it tells nothing about who exists.
WRONG_CREDENTIALS = "user name or password is not right"


# The first administrator's one-time password, kept in this process's
# memory only from its making until the banner takes it, so that it is
# printed exactly once and never stored in any form that can be read back.
_made_in_this_process: dict[str, str] = {}


def username_rule(value: str) -> str:
    low, high = USERNAME_LENGTH
    value = (value or "").strip().lower()
    if not _USERNAME.fullmatch(value) or not low <= len(value) <= high:
        raise InvalidInput(
            "username",
            value,
            f"{low} to {high} of a-z, 0-9, dot, dash, underscore; "
            "starting with a letter",
        )
    return value


@dataclass(frozen=True)
class AccountInfo:
    username: str
    role: str
    must_change_password: bool
    created_at: str
    extension: str | None = None

    @classmethod
    def of(cls, row: UserAccount) -> AccountInfo:
        return cls(
            username=row.username,
            role=row.role,
            must_change_password=bool(row.must_change_password),
            created_at=f"{row.created_at.isoformat()}Z",
            extension=row.extension.number if row.extension_id else None,
        )

    def to_dict(self) -> dict:
        return asdict(self)


class AccountService:
    def __init__(self, key: DeviceKey) -> None:
        self.key = key

    # -- one-time passwords ----------------------------------------------------

    def ensure_first_admin(self) -> str | None:
        """Make ``admin`` if there is no account; return its one-time password."""
        if UserAccount.select().exists():
            return None
        password = passwords.generate_one_time_password()
        try:
            with database.atomic():
                UserAccount.create(
                    username=FIRST_ADMIN,
                    role=Role.SUPER_ADMINISTRATOR.value,
                    password_hash=passwords.hash_password(password),
                    must_change_password=True,
                )
                audit.record(
                    SYSTEM,
                    "create",
                    "account",
                    FIRST_ADMIN,
                    None,
                    {"role": Role.SUPER_ADMINISTRATOR.value},
                )
        except peewee.IntegrityError:
            return None  # another process made it first
        log.info(
            "account %s: created; make run shows its one-time password, "
            "edgepbx admin reset-password makes a new one",
            FIRST_ADMIN,
        )
        _made_in_this_process[FIRST_ADMIN] = password
        return password

    def first_admin_pending(self) -> bool:
        """Whether ``admin`` still signs in with a one-time password."""
        row = UserAccount.get_or_none(UserAccount.username == FIRST_ADMIN)
        return row is not None and bool(row.must_change_password)

    def first_admin_marker(self) -> str | None:
        """What changes whenever ``admin``'s password does, while it is still
        one-time; None once its owner has chosen their own. The agent's
        console banner compares it to know its password is still the one."""
        row = UserAccount.get_or_none(UserAccount.username == FIRST_ADMIN)
        if row is None or not row.must_change_password:
            return None
        return row.password_hash

    def pending_one_time_password(self, username: str = FIRST_ADMIN) -> str | None:
        """The one-time password this process just made, for the banner; once.

        Only the process that made the first administrator knows its
        password, and only until it is taken: a second call, or any other
        process, gets None (``edgepbx admin reset-password`` makes a new one).
        """
        password = _made_in_this_process.pop(username, None)
        if password is None:
            return None
        row = UserAccount.get_or_none(UserAccount.username == username)
        if row is None or not row.must_change_password:
            return None  # already replaced by its owner
        if not passwords.verify_password(password, row.password_hash):
            return None  # reset since, or another appliance's database
        return password

    def add(
        self, actor: Principal, username: str, role_name: str
    ) -> tuple[AccountInfo, str]:
        """Make an account with a one-time password; return it to show once."""
        actor.require(Permission.MANAGE_ACCOUNTS)
        username = username_rule(username)
        account_role = custom_roles.role_name_rule(role_name)
        password = passwords.generate_one_time_password()
        with database.atomic():
            if UserAccount.select().where(UserAccount.username == username).exists():
                raise AlreadyExists(
                    f'username "{username}": already exists', field="username"
                )
            row = UserAccount.create(
                username=username,
                role=account_role,
                password_hash=passwords.hash_password(password),
                must_change_password=True,
            )
            audit.record(
                actor,
                "create",
                "account",
                username,
                None,
                {"role": account_role},
            )
        log.info("account %s: created as %s", username, account_role)
        return AccountInfo.of(row), password

    def add_portal_user(self, actor: Principal, number: str) -> tuple[AccountInfo, str]:
        """Give an extension's user a portal account with a one-time password.

        The account's role is always ``user``, so whoever may change the
        extension may make it: it grants nothing beyond that extension.
        """
        actor.require(Permission.CHANGE_EXTENSIONS)
        extension = Extension.get_or_none(Extension.number == (number or "").strip())
        if extension is None or not actor.sees_extension(extension.number):
            raise no_such_extension(number)
        username = f"{PORTAL_PREFIX}{extension.number}"
        password = passwords.generate_one_time_password()
        with database.atomic():
            taken = UserAccount.select().where(
                (UserAccount.extension == extension.id)
                | (UserAccount.username == username)
            )
            if taken.exists():
                raise AlreadyExists(
                    f"extension {extension.number}: already has a portal account",
                    field="extension",
                )
            row = UserAccount.create(
                username=username,
                role=Role.USER.value,
                password_hash=passwords.hash_password(password),
                must_change_password=True,
                extension=extension.id,
            )
            audit.record(
                actor,
                "create",
                "account",
                username,
                None,
                {"role": Role.USER.value, "extension": extension.number},
            )
        log.info("account %s: portal user of extension %s", username, extension.number)
        return AccountInfo.of(row), password

    def get(self, actor: Principal, username: str) -> AccountInfo:
        actor.require(Permission.MANAGE_ACCOUNTS)
        return AccountInfo.of(self._row(username))

    def set_role(self, actor: Principal, username: str, role_name: str) -> AccountInfo:
        """Give an account another role; its sessions end so none keeps the old."""
        actor.require(Permission.MANAGE_ACCOUNTS)
        new_role = custom_roles.role_name_rule(role_name)
        with database.atomic():
            row = self._row(username)
            before = row.role
            if before == new_role:
                return AccountInfo.of(row)
            self._keep_a_super_administrator(row, new_role)
            row.role = new_role
            row.save()
            sessions.end_all_of(row.id)
            audit.record(
                actor,
                "update",
                "account",
                row.username,
                {"role": before},
                {"role": new_role},
            )
        return AccountInfo.of(row)

    def remove(self, actor: Principal, username: str) -> None:
        actor.require(Permission.MANAGE_ACCOUNTS)
        with database.atomic():
            row = self._row(username)
            if row.username == actor.name:
                raise InvalidInput(
                    "username", row.username, "you cannot remove yourself"
                )
            self._keep_a_super_administrator(row, None)
            before = AccountInfo.of(row).to_dict()
            row.delete_instance()
            audit.record(actor, "delete", "account", row.username, before)
        log.info("account %s: removed by %s", row.username, actor.name)

    def _keep_a_super_administrator(
        self, row: UserAccount, new_role: str | None
    ) -> None:
        top = Role.SUPER_ADMINISTRATOR.value
        if row.role != top or new_role == top:
            return
        others = UserAccount.select().where(
            (UserAccount.role == top) & (UserAccount.id != row.id)
        )
        if not others.exists():
            raise InvalidInput(
                "role", None, "the last super administrator must stay one"
            )

    def list(self, actor: Principal) -> list[AccountInfo]:
        actor.require(Permission.MANAGE_ACCOUNTS)
        return [
            AccountInfo.of(r) for r in UserAccount.select().order_by(UserAccount.id)
        ]

    def reset_password(self, actor: Principal, username: str = FIRST_ADMIN) -> str:
        """Give the account a new one-time password and end its sessions.

        Raises:
            NotFound: no such account (the name given is not quoted back).
        """
        actor.require(Permission.MANAGE_ACCOUNTS)
        row = self._row(username)
        password = passwords.generate_one_time_password()
        with database.atomic():
            row.password_hash = passwords.hash_password(password)
            row.must_change_password = True
            row.password_changed_at = utcnow()
            row.save()
            sessions.end_all_of(row.id)
            throttle.succeeded(throttle.Subject.user(row.username))
            audit.record(
                actor,
                "reset-password",
                "account",
                row.username,
                None,
                {"password": "one-time"},
            )
        log.info("account %s: password reset by %s", row.username, actor.name)
        return password

    # -- sign-in ---------------------------------------------------------------

    def sign_in(self, username: str, password: str, source_ip: str) -> sessions.Session:
        """Check the credentials under the throttle; start a session.

        Raises:
            TooManyAttempts: the user name or the address is locked for now.
            InvalidInput: wrong user name or password (the same either way).
        """
        name = (username or "").strip().lower()
        subjects = [throttle.Subject.user(name), throttle.Subject.address(source_ip)]
        try:
            throttle.check(subjects)
        except TooManyAttempts as exc:
            events.report(
                events.SecurityEvent(
                    events.WEB_SIGNIN_THROTTLED, source_ip, name, str(exc)
                )
            )
            raise

        row = _account_signing_in_as(name)
        stored = row.password_hash if row else passwords.dummy_hash()
        if not passwords.verify_password(password or "", stored) or row is None:
            count = throttle.failed(subjects)
            events.report(
                events.SecurityEvent(
                    events.WEB_SIGNIN_FAILED,
                    source_ip,
                    name,
                    f"{count} recent failures for this user name",
                )
            )
            raise_event(
                catalogue.SIGNIN_FAILED,
                f"sign-in failed for {events.shown(name)} from {source_ip}",
                object=source_ip,
                details={"username": name[:64], "recent_failures": count},
            )
            raise InvalidInput("password", None, WRONG_CREDENTIALS)

        throttle.succeeded(subjects[0])
        log.info("account %s: signed in from %s", row.username, source_ip)
        return sessions.start(row, source_ip)

    def change_password(
        self,
        session: sessions.Session,
        current: str,
        new: str,
        confirm: str,
        source_ip: str,
    ) -> sessions.Session:
        """Replace the password of the session's account.

        Every session of the account ends, this one included, and a new one
        is returned in its place, so a session id seen before the change is
        worth nothing after it. A wrong current password counts as a failed
        sign-in: a stolen session must not become a way to guess it.
        """
        row = self._row(session.username)
        subjects = [
            throttle.Subject.user(row.username),
            throttle.Subject.address(source_ip),
        ]
        throttle.check(subjects)
        if not passwords.verify_password(current or "", row.password_hash):
            count = throttle.failed(subjects)
            events.report(
                events.SecurityEvent(
                    events.WEB_SIGNIN_FAILED,
                    source_ip,
                    row.username,
                    f"wrong current password on change, {count} recent failures",
                )
            )
            raise InvalidInput("current_password", None, "is not the current password")
        passwords.check_policy(new or "", row.username)
        if new != confirm:
            raise InvalidInput(
                "confirm_password", None, "does not match the new password"
            )
        if new == current:
            raise InvalidInput("new_password", None, "must differ from the current one")
        with database.atomic():
            row.password_hash = passwords.hash_password(new)
            row.must_change_password = False
            row.password_changed_at = utcnow()
            row.save()
            sessions.end_all_of(row.id)
            audit.record(
                session.principal,
                "change-password",
                "account",
                row.username,
                None,
                {"password": "changed"},
            )
            renewed = sessions.start(row, source_ip)
        log.info("account %s: password changed", row.username)
        return renewed

    def _row(self, username: str) -> UserAccount:
        # The name is not quoted back: it may be anything a terminal or a
        # log would interpret, and the one who typed it knows what it was.
        row = UserAccount.get_or_none(
            UserAccount.username == (username or "").strip().lower()
        )
        if row is None:
            raise NotFound("username: no such account", field="username")
        return row


def _account_signing_in_as(name: str) -> UserAccount | None:
    """The account a sign-in name means: a user name, or for the user portal
    an extension's number or e-mail address."""
    row = UserAccount.get_or_none(UserAccount.username == name)
    if row is not None or not name:
        return row
    if name.isdigit():
        match = Extension.number == name
    elif "@" in name:
        match = peewee.fn.lower(Extension.email) == name
    else:
        return None
    return (
        UserAccount.select(UserAccount, Extension).join(Extension).where(match).first()
    )
