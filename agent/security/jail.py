"""The security jail: bans addresses that keep failing, as fail2ban would.

Semantics, with fail2ban's names:

- ``maxretry`` failures from one address within ``findtime`` seconds ban it
  for ``bantime`` seconds;
- a repeat offender's ban grows: ``bantime * factor ** (offences - 1)``, up
  to ``bantime_max``;
- addresses in the ignore list (networks, IPv4 or IPv6) are never banned;
  by default loopback and the private LAN ranges, so the office's own phones
  with a stale password are never shut out;
- scanners and floods are banned at their first report, and so is a
  provisioning request for a name that tries to leave the tree (no phone
  asks for ``../``); a provisioning miss (a MAC address no phone here has,
  as MAC walking produces) and a failed SSH login count as failures.

The jail is fed by security events (``agent.security.events``) the moment
they happen, not by reading logs. Bans live in the ``ban`` table, so they
survive a restart, and in the firewall's ban sets (``agent.security
.firewall``), where the kernel drops the address's packets. Every ban and
unban is logged, reported as an event and written to the audit log.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from agent import audit, system_settings
from agent.accounts.roles import Permission, Principal, Role
from agent.db.models import Ban
from agent.errors import InvalidInput, NotFound
from agent.events import catalogue, raise_event
from agent.security import events, firewall
from agent.security.firewall import LockoutRefused

log = logging.getLogger("edgepbx.jail")

SETTING_KEY = "security.jail"
#: The jail acts in its own name in the audit log.
JAIL = Principal("jail", Role.SUPER_ADMINISTRATOR)

# fail2ban's own defaults (jail.conf: findtime 10m, maxretry 5, bantime 10m)
# are what administrators know; growth doubles each time up to a week, as
# fail2ban's bantime.increment does with its default factor.
DEFAULT_FINDTIME_S = 600
DEFAULT_MAXRETRY = 5
DEFAULT_BANTIME_S = 600
DEFAULT_BANTIME_FACTOR = 2.0
DEFAULT_BANTIME_MAX_S = 7 * 24 * 3600
# Loopback and the private ranges of RFC 1918 (IPv4) and RFC 4193 (IPv6
# unique local) plus IPv6 link-local: where the office's own phones are.
DEFAULT_IGNORE = (
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
    "fe80::/10",
)
# A manual ban from the CLI or the web admin without a duration.
MANUAL_BAN_DEFAULT_S = 3600
MANUAL_BAN_MAX_S = 365 * 24 * 3600

# Events that count towards maxretry, and those that ban at once.
COUNTED_EVENTS = frozenset(
    {
        events.SIP_AUTH_FAILED,
        events.SIP_SOURCE_REFUSED,
        events.WEB_SIGNIN_FAILED,
        events.API_TOKEN_REJECTED,
        events.PROVISIONING_AUTH_FAILED,
        events.PROVISIONING_FILE_MISSING,
        events.SSH_LOGIN_FAILED,
    }
)
IMMEDIATE_EVENTS = frozenset(
    {events.SIP_SCANNER, events.SIP_FLOOD, events.PROVISIONING_NAME_REFUSED}
)


@dataclass(frozen=True)
class JailPolicy:
    findtime_s: int = DEFAULT_FINDTIME_S
    maxretry: int = DEFAULT_MAXRETRY
    bantime_s: int = DEFAULT_BANTIME_S
    bantime_factor: float = DEFAULT_BANTIME_FACTOR
    bantime_max_s: int = DEFAULT_BANTIME_MAX_S
    ignore: tuple[str, ...] = field(default=DEFAULT_IGNORE)

    @classmethod
    def load(cls) -> JailPolicy:
        stored = system_settings.get(SETTING_KEY) or {}
        if "ignore" in stored:
            stored["ignore"] = tuple(stored["ignore"])
        return cls(**stored)

    def validated(self) -> JailPolicy:
        for name in ("findtime_s", "maxretry", "bantime_s", "bantime_max_s"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InvalidInput(name, value, "a whole number of at least 1")
        if not 1.0 <= self.bantime_factor <= 10.0:
            raise InvalidInput("bantime_factor", self.bantime_factor, "from 1 to 10")
        nets = tuple(str(firewall.network(n, "ignore")) for n in self.ignore)
        return JailPolicy(**(asdict(self) | {"ignore": nets}))

    def save(self) -> None:
        system_settings.put(SETTING_KEY, asdict(self) | {"ignore": list(self.ignore)})

    def ignores(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(n) for n in self.ignore)

    def bantime_for(self, offences: int) -> int:
        grown = self.bantime_s * self.bantime_factor ** max(0, offences - 1)
        return int(min(grown, self.bantime_max_s))

    def to_dict(self) -> dict:
        return asdict(self) | {"ignore": list(self.ignore)}


def change_policy(actor: Principal, **changes: object) -> JailPolicy:
    """Change some of the jail's settings; the rest stay as they are."""
    actor.require(Permission.MANAGE_SECURITY)
    before = JailPolicy.load()
    if "ignore" in changes:
        changes["ignore"] = tuple(changes["ignore"])  # type: ignore[arg-type]
    policy = JailPolicy(**(asdict(before) | changes)).validated()
    policy.save()
    audit.record(actor, "change", "jail", "policy", before.to_dict(), policy.to_dict())
    return policy


@dataclass(frozen=True)
class BanInfo:
    address: str
    reason: str
    banned_at: float
    expires: float
    offences: int

    @classmethod
    def of(cls, row: Ban) -> BanInfo:
        return cls(row.address, row.reason, row.banned_at, row.expires_at, row.offences)

    def to_dict(self) -> dict:
        return {
            "address": self.address,
            "reason": self.reason,
            "banned_at": _iso(self.banned_at),
            "expires": _iso(self.expires),
            "expires_in_s": max(0, int(self.expires - time.time())),
            "offences": self.offences,
        }


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def canonical_address(text: str) -> str:
    """One address (not a network), IPv4 or IPv6, in its canonical form."""
    try:
        # Kamailio may write an IPv6 source in brackets, as in a SIP URI.
        ip = ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        raise InvalidInput("address", text, "an IPv4 or IPv6 address") from None
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip)


def _in_firewall(change: Callable[..., None], *args: object) -> None:
    """Apply a ban change to the live firewall, if this appliance has one.

    The database is the truth: a firewall that is not loaded yet gets every
    active ban when the agent loads it.
    """
    if not firewall.enabled():
        return
    try:
        change(*args)
    except firewall.FirewallRejected as exc:
        log.error("firewall: %s; the ban is kept for the next load", exc)


class BanService:
    """Bans as the CLI, the API, the web page and the jail itself use them."""

    def __init__(
        self,
        actor: Principal,
        clock: Callable[[], float] = time.time,
        policy: Callable[[], JailPolicy] = JailPolicy.load,
    ) -> None:
        self.actor = actor
        self.clock = clock
        self.policy = policy

    def list(self, search: str = "") -> list[BanInfo]:
        self.actor.require(Permission.VIEW_SECURITY)
        now = self.clock()
        query = Ban.select().where(Ban.active, Ban.expires_at > now)
        if search:
            query = query.where(
                Ban.address.contains(search.strip()) | Ban.reason.contains(search)
            )
        return [BanInfo.of(row) for row in query.order_by(Ban.expires_at.desc())]

    def add(
        self,
        address: str,
        seconds: int | None = None,
        reason: str = "banned by hand",
        requester: str | None = None,
    ) -> BanInfo:
        """Ban address; seconds defaults to the policy's growing bantime."""
        self.actor.require(Permission.MANAGE_SECURITY)
        address = canonical_address(address)
        if requester is not None and canonical_address(requester) == address:
            raise LockoutRefused(
                f"address {address}: that is your own address", field="address"
            )
        if seconds is not None and not 1 <= seconds <= MANUAL_BAN_MAX_S:
            raise InvalidInput("seconds", seconds, f"from 1 to {MANUAL_BAN_MAX_S}")

        now = self.clock()
        row = Ban.get_or_none(Ban.address == address)
        offences = 1 if row is None else row.offences + 1
        if seconds is None:
            seconds = self.policy().bantime_for(offences)
        expires = now + seconds
        Ban.insert(
            address=address,
            reason=reason,
            banned_at=now,
            expires_at=expires,
            offences=offences,
            active=True,
        ).on_conflict_replace().execute()
        audit.record(
            self.actor,
            "ban",
            "address",
            address,
            after={"reason": reason, "seconds": seconds, "offences": offences},
        )

        _in_firewall(firewall.add_ban, address, seconds)
        log.warning("banned %s for %d s: %s", address, seconds, reason)
        raise_event(
            catalogue.IP_BANNED,
            f"{address} banned for {seconds} s: {reason}",
            object=address,
            details={"seconds": seconds, "offences": offences, "reason": reason},
        )
        events.report(
            events.SecurityEvent(events.ADDRESS_BANNED, address, reason, f"{seconds} s")
        )
        return BanInfo(address, reason, now, expires, offences)

    def remove(self, address: str) -> None:
        """Lift a ban before it expires."""
        self.actor.require(Permission.MANAGE_SECURITY)
        address = canonical_address(address)
        row = Ban.get_or_none(Ban.address == address)
        if row is None or not row.active or row.expires_at <= self.clock():
            raise NotFound(f"address {address}: not banned", field="address")
        self._end(row, "lifted")

    def expire_due(self) -> int:
        """End the bans whose time is up; return how many."""
        now = self.clock()
        due = list(Ban.select().where(Ban.active, Ban.expires_at <= now))
        for row in due:
            self._end(row, "expired")
        return len(due)

    def _end(self, row: Ban, how: str) -> None:
        Ban.update(active=False).where(Ban.address == row.address).execute()
        audit.record(
            self.actor, "unban", "address", row.address, before={"reason": row.reason}
        )
        _in_firewall(firewall.remove_ban, row.address)
        log.warning("ban of %s %s", row.address, how)
        events.report(events.SecurityEvent(events.ADDRESS_UNBANNED, row.address, how))

    def active_with_time_left(self) -> list[tuple[str, float]]:
        """Active bans as (address, seconds left), for loading the firewall."""
        now = self.clock()
        rows = Ban.select().where(Ban.active, Ban.expires_at > now)
        return [(row.address, row.expires_at - now) for row in rows]


class Jail:
    """Counts failures per address and bans the ones that cross maxretry.

    Subscribe ``on_event`` to the security events. Failure windows are kept
    in memory: a restart forgets half-counted failures (as fail2ban does
    without its database), never a ban.
    """

    def __init__(
        self,
        policy: Callable[[], JailPolicy] = JailPolicy.load,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.bans = BanService(JAIL, clock, policy)
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def on_event(self, event: events.SecurityEvent) -> None:
        if event.kind not in COUNTED_EVENTS | IMMEDIATE_EVENTS:
            return
        try:
            address = canonical_address(event.source_ip)
        except InvalidInput:
            return
        policy = self.policy()
        if policy.ignores(address):
            return
        if event.kind in IMMEDIATE_EVENTS:
            self._ban(address, f"{event.kind}: {events.shown(event.subject)}")
            return
        count = self._count_failure(address, policy)
        if count >= policy.maxretry:
            reason = (
                f"{count} failures in {policy.findtime_s} s, "
                f"last {event.kind} {events.shown(event.subject)}"
            )
            self._ban(address, reason)

    def _count_failure(self, address: str, policy: JailPolicy) -> int:
        now = self.clock()
        with self._lock:
            window = self._failures[address]
            window.append(now)
            while window and window[0] <= now - policy.findtime_s:
                window.popleft()
            return len(window)

    def _ban(self, address: str, reason: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
        if any(ban.address == address for ban in self.bans.list(address)):
            return  # packets already in flight when the ban began
        self.bans.add(address, reason=reason)
