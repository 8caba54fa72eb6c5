"""Network settings as the CLI, the API, the web admin and the console change them.

A change is tried, never trusted: applying it records the way back first
(``network/pending.json``: the settings before, the interface's addresses
and gateway as they were, a deadline), then changes the interfaces, then
starts a watchdog process that puts everything back at the deadline unless
someone who can still reach the appliance confirms. A reboot before the
confirmation counts as no confirmation (``edgepbx network boot`` reverts).

Steps of an apply:

1. Check every field (agent/network/config.py); nothing changes on failure.
2. Write the pending record with the way back, under the network lock.
3. Put the settings on the interfaces and write the system files. If the
   kernel refuses any of it, put the old state back at once and report.
4. Start the watchdog (``python -m agent.network.watchdog``), detached, so
   it outlives the CLI or the web request that asked.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import peewee

from agent import audit, setup
from agent.accounts.roles import Permission, Principal
from agent.errors import PbxError
from agent.network import live, system_files
from agent.network.config import NetworkConfig
from agent.settings import Settings

log = logging.getLogger("edgepbx.network")

# How long a change waits for its confirmation before it is undone: long
# enough to open the web admin at the new address and press Keep.
DEFAULT_CONFIRM_WITHIN_S = 60.0
ENV_CONFIRM_WITHIN = "EDGEPBX_NETWORK_CONFIRM_S"
CONFIRM_WITHIN_MAX_S = 600.0
SETTINGS_FILE = "settings.json"
PENDING_FILE = "pending.json"


class NothingPending(PbxError):
    kind = "nothing-pending"


class ChangePending(PbxError):
    kind = "change-pending"


def confirm_window() -> float:
    raw = os.environ.get(ENV_CONFIRM_WITHIN, "")
    try:
        value = float(raw) if raw else DEFAULT_CONFIRM_WITHIN_S
    except ValueError:
        value = DEFAULT_CONFIRM_WITHIN_S
    return min(max(value, 1.0), CONFIRM_WITHIN_MAX_S)


@dataclass(frozen=True)
class Pending:
    config: dict
    previous: dict | None
    #: The interface as it was: its IPv4 addresses and the default gateway.
    addresses_before: list[str]
    gateway_before: str | None
    deadline: float
    token: str

    def to_dict(self) -> dict:
        return {
            "config": self.config,
            "previous": self.previous,
            "addresses_before": self.addresses_before,
            "gateway_before": self.gateway_before,
            "deadline": self.deadline,
            "token": self.token,
        }


class NetworkService:
    def __init__(self, settings: Settings, actor: Principal) -> None:
        self.settings = settings
        self.actor = actor
        self.dir = settings.data_dir / "network"

    # -- what is stored --------------------------------------------------------

    def stored(self) -> NetworkConfig | None:
        path = self.dir / SETTINGS_FILE
        if not path.exists():
            return None
        return NetworkConfig.parse(json.loads(path.read_text()))

    def pending(self) -> Pending | None:
        path = self.dir / PENDING_FILE
        if not path.exists():
            return None
        return Pending(**json.loads(path.read_text()))

    def _write_json(self, name: str, value: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        temporary = self.dir / f".{name}.new"
        with temporary.open("w") as out:
            json.dump(value, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.dir / name)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    # -- reading ---------------------------------------------------------------

    def status(self) -> dict:
        self.actor.require(Permission.VIEW_NETWORK)
        stored = self.stored()
        pending = self.pending()
        settings = stored.to_dict() if stored else None
        if settings is not None:
            settings["timezone"] = _appliance_zone(settings["timezone"])
        return {
            "settings": settings,
            "pending": None
            if pending is None
            else {
                "settings": pending.config,
                "seconds_left": max(0, round(pending.deadline - time.time())),
            },
            "interfaces": [i.to_dict() for i in live.interfaces()],
            "gateway": live.default_gateway(),
        }

    def with_changes(self, changes: dict) -> dict:
        """The stored settings (or the defaults) with changes laid over them.

        Switching to DHCP drops the static address and gateway; no interface
        given and none stored means the first Ethernet-like one.
        """
        stored = self.stored()
        values = stored.to_dict() if stored else {}
        values.update({k: v for k, v in changes.items() if v is not None})
        # The appliance has one time zone (agent.setup), set here or in the
        # wizard; a zone stored with older network settings is not it.
        values["timezone"] = changes.get("timezone") or _appliance_zone(
            values.get("timezone")
        )
        if values.get("mode") == "dhcp":
            values.pop("address", None)
            values.pop("gateway", None)
        if not values.get("interface"):
            values["interface"] = _first_lan_interface()
        return values

    # -- changing --------------------------------------------------------------

    def apply(self, values: dict, confirm_within_s: float | None = None) -> dict:
        """Try the settings; they are undone unless confirmed in time."""
        self.actor.require(Permission.MANAGE_NETWORK)
        zone = _appliance_zone(None)
        if isinstance(values, dict) and not values.get("timezone"):
            values = {**values, "timezone": zone}
        config = NetworkConfig.parse(values)
        new_zone = zone is not None and config.timezone != zone
        if new_zone:
            # The zone is the whole appliance's, not the network's alone.
            self.actor.require(Permission.CHANGE_SYSTEM_SETTINGS)
        window = confirm_within_s or confirm_window()
        with self._locked():
            if self.pending() is not None:
                raise ChangePending(
                    "a network change is waiting for its confirmation: "
                    "confirm or revert it first"
                )
            previous = self.stored()
            addresses, gateway = _snapshot(config.interface)
            pending = Pending(
                config=config.to_dict(),
                previous=previous.to_dict() if previous else None,
                addresses_before=addresses,
                gateway_before=gateway,
                deadline=time.time() + window,
                token=secrets.token_hex(8),
            )
            self._write_json(PENDING_FILE, pending.to_dict())
            try:
                live.put(config, self.settings.run_dir)
                system_files.write(config)
            except (PbxError, OSError) as exc:
                self._undo(pending)
                (self.dir / PENDING_FILE).unlink(missing_ok=True)
                log.warning("network: change refused, previous settings back: %s", exc)
                if isinstance(exc, PbxError):
                    raise
                raise live.NetworkRefused(f"network files: {exc}") from None
            audit.record(
                self.actor,
                "apply",
                "network",
                config.interface,
                pending.previous,
                config.to_dict(),
            )
        if new_zone:
            # At once and for good: a time zone cannot cut anyone off, so it
            # is not undone with the rest if the change is not confirmed.
            setup.set_timezone(self.actor, config.timezone)
        _start_watchdog(self.settings, pending, window)
        log.info(
            "network %s: %s applied; undone in %.0f s unless confirmed",
            config.interface,
            config.address or "DHCP",
            window,
        )
        return {"settings": config.to_dict(), "confirm_within_s": window}

    def confirm(self) -> dict:
        """Keep the settings on trial."""
        self.actor.require(Permission.MANAGE_NETWORK)
        with self._locked():
            pending = self.pending()
            if pending is None:
                raise NothingPending("no network change is waiting for confirmation")
            self._write_json(SETTINGS_FILE, pending.config)
            (self.dir / PENDING_FILE).unlink()
            audit.record(self.actor, "confirm", "network", pending.config["interface"])
        log.info("network %s: change confirmed", pending.config["interface"])
        return pending.config

    def revert(self, token: str | None = None) -> bool:
        """Undo the change on trial; with token, only that change if it is due.

        Returns whether anything was undone.
        """
        self.actor.require(Permission.MANAGE_NETWORK)
        with self._locked():
            pending = self.pending()
            if pending is None:
                return False
            if token is not None and (
                pending.token != token or time.time() < pending.deadline
            ):
                return False
            self._undo(pending)
            (self.dir / PENDING_FILE).unlink()
            audit.record(self.actor, "revert", "network", pending.config["interface"])
        log.warning(
            "network %s: change not confirmed, previous settings back",
            pending.config["interface"],
        )
        return True

    def boot(self) -> str:
        """At start-up: undo a change left unconfirmed, else apply the stored."""
        self.actor.require(Permission.MANAGE_NETWORK)
        if self.revert():
            return "reverted"
        stored = self.stored()
        if stored is None:
            # A new appliance: DHCP on its first port until someone decides.
            interface = _first_lan_interface()
            if not interface:
                return "none"
            live.put(NetworkConfig(interface=interface), self.settings.run_dir)
            return "dhcp"
        live.put(stored, self.settings.run_dir)
        system_files.write(stored)
        return "applied"

    def _undo(self, pending: Pending) -> None:
        config = NetworkConfig.parse(pending.config)
        if pending.previous is not None:
            previous = NetworkConfig.parse(pending.previous)
            live.put(previous, self.settings.run_dir)
            system_files.write(previous)
            if previous.interface == config.interface:
                return
        _restore(config, pending.addresses_before, pending.gateway_before)
        live.stop_dhcp(self.settings.run_dir, config.interface)


def _appliance_zone(fallback: str | None) -> str | None:
    """The appliance's time zone; fallback when the database cannot say (the
    recovery console works on network settings with the database damaged)."""
    try:
        return setup.timezone()
    except (peewee.PeeweeException, AttributeError) as exc:
        # AttributeError: peewee's proxy when no database was ever opened.
        log.warning("network: the appliance's time zone is unknown: %s", exc)
        return fallback


def _first_lan_interface() -> str:
    for state in live.interfaces():
        if state.kind in (None, "veth") and state.mac:
            return state.name
    return ""


def _snapshot(interface: str) -> tuple[list[str], str | None]:
    with live.netlink() as ipr:
        found = ipr.link_lookup(ifname=interface)
        if not found:
            raise live.NetworkRefused(
                f"interface {interface}: no such interface", field="interface"
            )
        addresses = [
            f"{msg.get('address')}/{msg['prefixlen']}"
            for msg in ipr.get_addr(index=found[0], family=live.AF_INET)
        ]
    return addresses, live.default_gateway()


def _restore(config: NetworkConfig, addresses: list[str], gateway: str | None) -> None:
    """Put an interface back to exactly the addresses and gateway it had."""
    with live.netlink() as ipr:
        index = ipr.link_lookup(ifname=config.interface)[0]
        for link in ipr.get_links():
            kind = link.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND")
            if kind == "vlan" and link.get("link") == index:
                ipr.link("del", index=link["index"])
        for msg in ipr.get_addr(index=index, family=live.AF_INET):
            ipr.addr(
                "del",
                index=index,
                address=msg.get("address"),
                prefixlen=msg["prefixlen"],
            )
        for text in addresses:
            address, prefix = text.split("/")
            ipr.addr("add", index=index, address=address, prefixlen=int(prefix))
        for route in ipr.get_routes(family=live.AF_INET):
            if route["dst_len"] == 0 and route.get("gateway"):
                ipr.route("del", dst="0.0.0.0/0", gateway=route.get("gateway"))
        if gateway:
            ipr.route("replace", dst="0.0.0.0/0", gateway=gateway)


def _start_watchdog(settings: Settings, pending: Pending, window: float) -> None:
    environment = os.environ | settings.environment()
    subprocess.Popen(
        [sys.executable, "-m", "agent.network.watchdog", pending.token, str(window)],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
