"""Accounts, passwords, sessions, the sign-in throttle and the audit log,
checked against a real SQLite file without starting the daemons."""

from __future__ import annotations

import json
import time

import pytest

from agent import audit
from agent.accounts import passwords, sessions, throttle
from agent.accounts.roles import CONSOLE, Permission, Principal, Role
from agent.appliance import Appliance
from agent.db import open_database
from agent.db.migrations import migrate
from agent.db.models import AuditEntry, Extension, UserAccount
from agent.errors import Forbidden, InvalidInput, TooManyAttempts
from agent.extensions.service import sql_ordering
from agent.settings import Settings
from agent.web import certificate


def settings_in(tmp_path, bind: str = "127.0.0.1") -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        bind=bind,
        sip_port=5060,
        http_port=8080,
        https_port=8443,
        tftp_port=6969,
    )


@pytest.fixture
def appliance(tmp_path):
    """An appliance as the agent leaves it at start: with its first admin."""
    opened = Appliance.open(settings_in(tmp_path))
    opened.accounts.ensure_first_admin()
    yield opened
    opened.close()


def test_a_password_hash_is_salted_scrypt_and_checks_only_the_right_password():
    first = passwords.hash_password("Quiet-Harbour-2026")
    second = passwords.hash_password("Quiet-Harbour-2026")

    assert first.startswith("scrypt$15$8$1$")
    assert first != second
    assert passwords.verify_password("Quiet-Harbour-2026", first)
    assert not passwords.verify_password("Quiet-Harbour-2027", first)
    assert not passwords.verify_password("Quiet-Harbour-2026", first[:-4] + "AAA=")
    assert not passwords.verify_password("x", "md5$whatever")


@pytest.mark.parametrize(
    "candidate",
    ["Short-1a", "lowercase1digits", "Admin-Password-2026", "Tab\there-Pass1"],
)
def test_a_weak_sign_in_password_is_refused_without_being_echoed(candidate):
    with pytest.raises(InvalidInput) as refused:
        passwords.check_policy(candidate, "admin")
    assert refused.value.field == "new_password"
    assert candidate not in str(refused.value)


def test_a_long_passphrase_needs_no_digits_or_symbols():
    phrase = "correct horse battery staple"
    assert passwords.check_policy(phrase, "admin") == phrase


def test_one_time_passwords_are_unambiguous_and_varied():
    for _ in range(50):
        password = passwords.generate_one_time_password()
        assert len(password) == passwords.ONE_TIME_PASSWORD_LENGTH
        assert not set(password) & set("0O1lI")


def test_the_first_admin_is_made_once_and_its_password_handed_out_once(appliance):
    pending = appliance.accounts.pending_one_time_password()
    asked_again = appliance.accounts.pending_one_time_password()
    again = appliance.accounts.ensure_first_admin()
    row = UserAccount.get(UserAccount.username == "admin")

    assert again is None
    assert asked_again is None
    assert row.role == Role.SUPER_ADMINISTRATOR.value
    assert row.must_change_password
    assert passwords.verify_password(pending, row.password_hash)
    columns = {c.name for c in appliance.db.get_columns("user_account")}
    assert "one_time_password" not in columns  # only the hash, nothing reversible


def test_one_time_passwords_are_kept_only_as_hashes(appliance):
    _, made = appliance.accounts.add(CONSOLE, "operator1", "operator")
    reset = appliance.accounts.reset_password(CONSOLE, "admin")

    assert passwords.verify_password(
        made, UserAccount.get(UserAccount.username == "operator1").password_hash
    )
    assert passwords.verify_password(
        reset, UserAccount.get(UserAccount.username == "admin").password_hash
    )


def test_a_sealed_one_time_password_left_by_older_firmware_is_dropped(tmp_path):
    settings = settings_in(tmp_path)
    settings.db_dir.mkdir(parents=True)
    older = open_database(settings.config_db)
    migrate(older, target=5)
    older.execute_sql(
        "INSERT INTO user_account (username, role, password_hash,"
        " one_time_password, created_at, password_changed_at)"
        " VALUES ('admin', 'super-administrator', 'x', 'sealed', 0, 0)"
    )
    older.close()

    reopened = Appliance.open(settings)
    try:
        columns = {c.name for c in reopened.db.get_columns("user_account")}
        kept = UserAccount.get(UserAccount.username == "admin")
    finally:
        reopened.close()
    assert "one_time_password" not in columns
    assert kept.role == "super-administrator"


@pytest.mark.parametrize(
    ("candidate", "said"),
    [
        ("Short-1a", "too short: at least 12 characters"),
        ("P" * 129 + "a1-", "too long: at most 128 characters"),
        ("Tab\there-Pass1", "control characters"),
        ("Admin-Password-2026", "must not contain the user name"),
        ("lowercase1digits", "add upper case or symbols"),
    ],
)
def test_a_refused_password_says_which_rule_it_broke(candidate, said):
    with pytest.raises(InvalidInput) as refused:
        passwords.check_policy(candidate, "admin")
    assert said in str(refused.value)
    assert candidate not in str(refused.value)


def test_the_lock_doubles_after_the_free_failures_up_to_a_cap():
    free = throttle.FREE_FAILURES_PER_USER
    locks = [throttle.lock_seconds(n, free) for n in range(1, free + 5)]
    assert locks[:free] == [0.0] * free
    assert locks[free:] == [2.0, 4.0, 8.0, 16.0]
    assert throttle.lock_seconds(100, free) == throttle.MAX_LOCK_S


def test_a_locked_user_name_is_refused_and_forgotten_after_an_hour(appliance):
    subjects = [throttle.Subject.user("admin"), throttle.Subject.address("192.0.2.7")]
    now = 1_000_000.0
    for n in range(throttle.FREE_FAILURES_PER_USER + 1):
        throttle.failed(subjects, now=now + n)
    last = now + throttle.FREE_FAILURES_PER_USER

    with pytest.raises(TooManyAttempts) as locked:
        throttle.check(subjects, now=last + 1)
    throttle.check(subjects, now=last + throttle.FIRST_LOCK_S + 0.1)
    fresh = throttle.failed(subjects, now=last + throttle.FORGET_AFTER_S + 1)

    assert locked.value.retry_after_s == 1
    assert fresh == 1


def test_a_session_ends_after_the_idle_timeout(appliance):
    account = UserAccount.get(UserAccount.username == "admin")
    session = sessions.start(account, "127.0.0.1")
    now = time.time()

    still = sessions.resume(session.token, now=now + sessions.IDLE_TIMEOUT_S - 5)
    idle = sessions.resume(session.token, now=now + 2 * sessions.IDLE_TIMEOUT_S)

    assert still is not None and still.username == "admin"
    assert idle is None
    assert sessions.resume(session.token) is None  # ended for good


def test_an_active_session_still_ends_after_its_absolute_lifetime(appliance):
    account = UserAccount.get(UserAccount.username == "admin")
    session = sessions.start(account, "127.0.0.1")
    now = time.time()
    step = sessions.IDLE_TIMEOUT_S - 10  # active: never idle for long

    alive_for = 0
    while sessions.resume(session.token, now=now + alive_for + step) is not None:
        alive_for += step

    assert sessions.ABSOLUTE_LIFETIME_S - step <= alive_for
    assert alive_for <= sessions.ABSOLUTE_LIFETIME_S


def test_roles_allow_what_their_names_say():
    def allowed(role: Role) -> set[Permission]:
        return {p for p in Permission if Principal("x", role).can(p)}

    assert allowed(Role.SUPER_ADMINISTRATOR) == set(Permission)
    assert Permission.MANAGE_ACCOUNTS not in allowed(Role.ADMINISTRATOR)
    # The switchboard sees who is registered, contacts, voicemail boxes and
    # IVR menus, trunk states and call records, and watches the live
    # monitor; it changes nothing.
    assert allowed(Role.OPERATOR) == {
        Permission.VIEW_EXTENSIONS,
        Permission.VIEW_CONTACTS,
        Permission.VIEW_MEDIA,
        Permission.VIEW_CALL_ROUTING,
        Permission.VIEW_MONITOR,
    }
    assert Permission.MANAGE_CALL_ROUTING in allowed(Role.ADMINISTRATOR)
    assert allowed(Role.USER) == set()


def test_an_operator_cannot_change_extensions_through_the_service(appliance):
    operator = appliance.extensions_as(Principal("olga", Role.OPERATOR))
    appliance.extensions_as(CONSOLE).add("101", "Desk")

    with pytest.raises(Forbidden, match="olga"):
        operator.add("102", "Other")
    with pytest.raises(Forbidden):
        operator.update("101", display_name="Changed")
    assert operator.get("101").display_name == "Desk"


def test_the_audit_log_masks_secrets_whatever_the_caller_passes(appliance):
    audit.record(
        CONSOLE,
        "test",
        "extension",
        "101",
        {"password": "Secret-Value-1", "display_name": "A"},
        {"ha1": "abc", "token": "epbx_x"},
    )
    row = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    stored = row.before + row.after

    assert json.loads(row.before) == {"password": "********", "display_name": "A"}
    assert "Secret-Value-1" not in stored and "epbx_x" not in stored


def test_the_list_query_sorts_by_number_through_its_index(appliance):
    service = appliance.extensions_as(CONSOLE)
    service.add("101", "Desk")

    query = Extension.select().order_by(*sql_ordering("number", False)).limit(50)
    sql, params = query.sql()
    plan = appliance.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()

    assert any("extension_number_value_idx" in str(step) for step in plan), plan


def test_the_certificate_is_kept_and_made_again_when_the_address_changes(tmp_path):
    loopback = settings_in(tmp_path)
    first = certificate.ensure_certificate(loopback)
    fingerprint = certificate.fingerprint(loopback)
    certificate.ensure_certificate(loopback)
    kept = certificate.fingerprint(loopback)
    certificate.ensure_certificate(settings_in(tmp_path, bind="192.0.2.10"))

    assert first.exists()
    assert kept == fingerprint
    assert certificate.fingerprint(loopback) != fingerprint
