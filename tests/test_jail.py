"""The jail's rules (fail2ban's semantics), on a real SQLite database.

The clock is the test's, so findtime and bantime are checked exactly without
waiting; the firewall is not managed here (EDGEPBX_FIREWALL unset), its
rules are tested in namespaces (test_security_netns.py).
"""

from __future__ import annotations

import socket
import time

import pytest

from agent import audit
from agent.accounts.roles import CONSOLE, Principal, Role
from agent.appliance import Appliance
from agent.errors import Forbidden, InvalidInput, NotFound
from agent.security import events, firewall
from agent.security.jail import BanService, Jail, JailPolicy, change_policy
from agent.security.listener import EventListener
from agent.settings import Settings

ATTACKER = "203.0.113.9"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def appliance(tmp_path, monkeypatch):
    monkeypatch.delenv(firewall.ENV_ENABLED, raising=False)
    monkeypatch.setenv("EDGEPBX_DATA_DIR", str(tmp_path / "var"))
    app = Appliance.open(Settings.from_environment())
    yield app
    app.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def jail(appliance, clock):
    policy = JailPolicy(findtime_s=60, maxretry=3, bantime_s=100)
    return Jail(policy=lambda: policy, clock=clock)


def failure(address: str = ATTACKER, kind: str = events.SIP_AUTH_FAILED):
    return events.SecurityEvent(kind, address, "101", "REGISTER")


def active(clock) -> dict:
    return {ban.address: ban for ban in BanService(CONSOLE, clock).list()}


def test_maxretry_failures_within_findtime_ban_the_address(jail, clock):
    for _ in range(2):
        jail.on_event(failure())
        clock.now += 10
    assert ATTACKER not in active(clock)
    jail.on_event(failure())
    ban = active(clock)[ATTACKER]
    assert ban.expires == clock.now + 100
    assert "3 failures" in ban.reason


def test_failures_further_apart_than_findtime_never_add_up(jail, clock):
    for _ in range(6):
        jail.on_event(failure())
        clock.now += 31  # two fit in a 60 s window, never three
    assert ATTACKER not in active(clock)


def test_a_repeat_offender_is_banned_for_longer_each_time(jail, clock):
    lengths = []
    for _ in range(3):
        for _ in range(3):
            jail.on_event(failure())
        ban = active(clock)[ATTACKER]
        lengths.append(ban.expires - clock.now)
        clock.now = ban.expires + 1
        jail.bans.expire_due()
    assert lengths == [100, 200, 400]


def test_the_ignore_list_protects_ipv4_and_ipv6_networks(appliance, clock):
    policy = JailPolicy(maxretry=1, ignore=("192.0.2.0/24", "2001:db8:7::/48"))
    jail = Jail(policy=lambda: policy, clock=clock)
    for address in ("192.0.2.44", "[2001:db8:7::1]", "::ffff:192.0.2.5"):
        jail.on_event(failure(address))
    jail.on_event(failure("2001:db8:8::1"))
    assert set(active(clock)) == {"2001:db8:8::1"}


def test_the_default_ignore_list_keeps_the_lans_own_phones(appliance, clock):
    policy = JailPolicy(maxretry=1)
    jail = Jail(policy=lambda: policy, clock=clock)
    for address in ("192.168.1.20", "10.0.0.5", "172.16.3.3", "fd12::5", "127.0.0.1"):
        jail.on_event(failure(address))
    assert active(clock) == {}


def test_scanners_and_floods_are_banned_at_the_first_report(jail, clock):
    jail.on_event(failure("198.51.100.20", events.SIP_SCANNER))
    jail.on_event(failure("198.51.100.21", events.SIP_FLOOD))
    assert set(active(clock)) == {"198.51.100.20", "198.51.100.21"}


def test_web_signin_failures_count_like_sip_ones(jail, clock):
    jail.on_event(failure(kind=events.WEB_SIGNIN_FAILED))
    jail.on_event(failure(kind=events.API_TOKEN_REJECTED))
    jail.on_event(failure(kind=events.SIP_AUTH_FAILED))
    assert ATTACKER in active(clock)


def test_each_ban_and_unban_is_an_event_and_an_audit_entry(jail, clock):
    seen: list[events.SecurityEvent] = []
    events.subscribe(seen.append)
    try:
        for _ in range(3):
            jail.on_event(failure())
        clock.now += 101
        assert jail.bans.expire_due() == 1
    finally:
        events.unsubscribe(seen.append)
    kinds = [e.kind for e in seen if e.source_ip == ATTACKER]
    assert events.ADDRESS_BANNED in kinds and events.ADDRESS_UNBANNED in kinds
    entries, _ = audit.recent(CONSOLE)
    actions = [(e.action, e.object, e.actor) for e in entries]
    assert ("ban", f"address {ATTACKER}", "jail") in actions
    assert ("unban", f"address {ATTACKER}", "jail") in actions


def test_bans_are_kept_in_the_database_across_a_restart(tmp_path, monkeypatch):
    monkeypatch.delenv(firewall.ENV_ENABLED, raising=False)
    monkeypatch.setenv("EDGEPBX_DATA_DIR", str(tmp_path / "var"))
    app = Appliance.open(Settings.from_environment())
    BanService(CONSOLE).add(ATTACKER, 300)
    app.close()
    app = Appliance.open(Settings.from_environment())
    try:
        [(address, left)] = BanService(CONSOLE).active_with_time_left()
        assert address == ATTACKER and 250 < left <= 300
    finally:
        app.close()


def test_manual_bans_validate_the_address_and_the_role(appliance):
    with pytest.raises(InvalidInput, match="IPv4 or IPv6"):
        BanService(CONSOLE).add("203.0.113.0/24")
    with pytest.raises(NotFound):
        BanService(CONSOLE).remove(ATTACKER)
    operator = Principal("olga", Role.OPERATOR)
    with pytest.raises(Forbidden):
        BanService(operator).add(ATTACKER)
    with pytest.raises(firewall.LockoutRefused, match="your own address"):
        BanService(CONSOLE).add(ATTACKER, requester=ATTACKER)


def test_the_policy_refuses_nonsense_and_keeps_what_is_not_changed(appliance):
    with pytest.raises(InvalidInput, match="maxretry"):
        change_policy(CONSOLE, maxretry=0)
    with pytest.raises(InvalidInput, match="ignore"):
        change_policy(CONSOLE, ignore=["not-a-network"])
    policy = change_policy(CONSOLE, bantime_s=42, ignore=["2001:db8::/32"])
    assert JailPolicy.load() == policy
    assert policy.maxretry == JailPolicy().maxretry
    assert policy.ignore == ("2001:db8::/32",)


def test_events_sent_as_datagrams_reach_the_jail(jail, clock, tmp_path):
    path = tmp_path / "events.sock"
    listener = EventListener(path)
    listener.start()
    events.subscribe(jail.on_event)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"not json", str(path))
            for _ in range(3):
                sender.sendto(failure().to_wire(), str(path))
        deadline = time.monotonic() + 10
        while ATTACKER not in active(clock) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        events.unsubscribe(jail.on_event)
        listener.stop()
    assert ATTACKER in active(clock)


def test_an_event_survives_its_datagram_round_trip():
    event = events.SecurityEvent(events.SIP_SCANNER, "2001:db8::1", "sipvicious", "x")
    assert events.SecurityEvent.from_wire(event.to_wire()) == event
    with pytest.raises(ValueError):
        events.SecurityEvent.from_wire(b'{"kind": "x"}')


def test_the_web_admin_cannot_be_closed_to_everyone(appliance):
    service = firewall.FirewallService(appliance.settings, CONSOLE)
    service.set_service("web-http", enabled=False)
    with pytest.raises(firewall.LockoutRefused):
        service.set_service("web-https", enabled=False)
    with pytest.raises(firewall.LockoutRefused, match="your own address"):
        service.set_service("web-https", block=["192.0.2.0/24"], requester="192.0.2.8")
    with pytest.raises(InvalidInput, match=r"ssh\.allow"):
        service.set_service("ssh", allow=["300.1.1.1"])
    service.set_service("web-https", allow=["192.0.2.0/24"], requester="192.0.2.8")
    service.reset()
    rules = firewall.FirewallConfig.load(appliance.settings).rules
    assert all(rule.enabled and not rule.allow for rule in rules.values())
