"""The agent's security duties, started and stopped with the agent.

At start: load the firewall (when this appliance manages it) with the bans
the database still holds, start listening for security events, subscribe
the jail, and follow sshd's failures in the journal where there is one.
While running: end the bans whose time is up. At stop: stop listening; the
firewall and its bans stay loaded, as they must while the agent restarts.
"""

from __future__ import annotations

import logging
import time

from agent.errors import PbxError
from agent.events import catalogue, raise_event
from agent.security import events, firewall
from agent.security.jail import Jail
from agent.security.listener import EventListener, socket_path
from agent.security.ssh_events import SshFailureSource, journal_available
from agent.settings import Settings

log = logging.getLogger("edgepbx.security")

# How often expired bans are ended (audit entry, event); the kernel already
# stopped dropping the address when the set element timed out.
EXPIRY_CHECK_S = 1.0


def registration_failures(event: events.SecurityEvent) -> None:
    """A phone's wrong password, reported by Kamailio, is an event."""
    if event.kind != events.SIP_AUTH_FAILED:
        return
    raise_event(
        catalogue.EXTENSION_REGISTRATION_FAILED,
        f"wrong password for extension {events.shown(event.subject)} "
        f"from {event.source_ip}",
        object=event.subject[:64],
        details={"source_ip": event.source_ip, "detail": event.detail[:200]},
    )


class SecurityGuard:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.jail = Jail()
        self.listener = EventListener(socket_path(settings))
        self._next_expiry_check = 0.0
        self.ssh: SshFailureSource | None = None

    def start(self) -> None:
        self.jail.bans.expire_due()
        if firewall.enabled():
            config = firewall.FirewallConfig.load(self.settings)
            bans = self.jail.bans.active_with_time_left()
            try:
                firewall.apply(self.settings, config, bans)
            except PbxError as exc:
                log.error("firewall: %s; the previous rules stay loaded", exc)
        else:
            log.info("firewall: not managed here (set EDGEPBX_FIREWALL=1)")
        events.subscribe(self.jail.on_event)
        events.subscribe(registration_failures)
        self.listener.start()
        self._watch_ssh()

    def _watch_ssh(self) -> None:
        missing = journal_available()
        if missing:
            log.info("ssh logins: not watched: %s", missing)
            return
        self.ssh = SshFailureSource()
        try:
            self.ssh.start()
        except OSError as exc:
            log.warning("ssh logins: not watched: %s", exc)
            self.ssh = None

    def tick(self) -> None:
        """Called from the agent's loop; cheap when nothing is due."""
        now = time.monotonic()
        if now < self._next_expiry_check:
            return
        self._next_expiry_check = now + EXPIRY_CHECK_S
        try:
            self.jail.bans.expire_due()
        except Exception:
            log.exception("security: ending expired bans failed")

    def stop(self) -> None:
        if self.ssh is not None:
            self.ssh.stop()
        self.listener.stop()
        events.unsubscribe(self.jail.on_event)
        events.unsubscribe(registration_failures)
