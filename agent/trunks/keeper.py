"""Keeps Kamailio's trunk registrations in step with the database, and
watches every trunk's state.

Kamailio forgets registrations handed over by RPC when it restarts, so the
agent hands them all over again each time a new Kamailio process answers.
Every half minute a thread asks each trunk's state (registration and an
OPTIONS probe) and logs each change, one line per trunk: "trunk acme:
registered", "trunk acme: unreachable (was registered)". The states of the
latest round are also written to ``run/trunk-states.json`` (replaced
atomically), where the live monitor of the web admin reads them: it runs
in other processes and must not send OPTIONS probes of its own.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

from agent.accounts.roles import SYSTEM
from agent.devicekey import DeviceKey
from agent.errors import InvalidInput
from agent.events import catalogue, raise_event
from agent.sip.rpc import KamailioRpc
from agent.trunks import registrations, service
from agent.trunks.service import TrunkService

# How often trunk states are probed: an OPTIONS per trunk, a carrier sees
# one every half minute (nathelper pings NATed phones as often).
# EDGEPBX_TRUNK_WATCH_S changes it, within WATCH_INTERVAL_S_RANGE.
WATCH_INTERVAL_S = 30.0
WATCH_INTERVAL_S_RANGE = (1, 3600)
# A registration being renewed, or a trunk just changed (it registers
# again), passes through these states on the way to a settled one; they
# count as lost only when they last this long.
SETTLING = frozenset({service.REGISTERING, service.UNKNOWN})
SETTLING_GRACE_S = 90.0

STATES_FILE_NAME = "trunk-states.json"

log = logging.getLogger("edgepbx.trunks")


def watch_interval_s() -> float:
    raw = os.environ.get("EDGEPBX_TRUNK_WATCH_S", "")
    if not raw:
        return WATCH_INTERVAL_S
    low, high = WATCH_INTERVAL_S_RANGE
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(
            "EDGEPBX_TRUNK_WATCH_S", raw, f"seconds, from {low} to {high}"
        )
    return float(raw)


def read_states(path: Path) -> dict[str, dict]:
    """The latest states the keeper wrote: name -> {"state", "checked_at"}."""
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    trunks = body.get("trunks") if isinstance(body, dict) else None
    return trunks if isinstance(trunks, dict) else {}


class TrunkKeeper:
    def __init__(
        self, rpc: KamailioRpc, key: DeviceKey, states_file: Path | None = None
    ) -> None:
        self.rpc = rpc
        self.key = key
        self.states_file = states_file
        self._handed_to_pid: int | None = None
        self._states: dict[str, str] = {}
        self._lost: set[str] = set()
        # The last settled state of each trunk, and since when it settles.
        self._settled: dict[str, str] = {}
        self._settling_since: dict[str, float] = {}
        self._next_watch = 0.0
        self._watch_interval_s = watch_interval_s()
        self._watching: threading.Thread | None = None

    def tick(self, kamailio_pid: int | None) -> None:
        self._hand_over(kamailio_pid)
        now = time.monotonic()
        if now >= self._next_watch and not (
            self._watching and self._watching.is_alive()
        ):
            self._next_watch = now + self._watch_interval_s
            self._watching = threading.Thread(
                target=self.watch, name="trunk-watch", daemon=True
            )
            self._watching.start()

    def watch(self) -> None:
        """Probe every trunk once; log the ones whose state changed."""
        try:
            states = TrunkService(self.key, SYSTEM, self.rpc).status()
        except Exception as exc:  # the watch must never stop the agent
            log.warning("trunks: state not known: %s", exc)
            return
        self._publish(states)
        for state in states:
            before = self._states.get(state.name)
            if state.state != before:
                self._states[state.name] = state.state
                level = (
                    logging.INFO
                    if state.state in {service.REGISTERED, service.REACHABLE}
                    else logging.WARNING
                )
                was = f" (was {before})" if before else ""
                log.log(level, "trunk %s: %s%s", state.name, state.state, was)
            self._raise_registration_event(state.name, state.state)

    def _raise_registration_event(self, name: str, now: str) -> None:
        """Registered, then any other settled state: lost; registered again:
        regained. Disabling a trunk by hand loses nothing."""
        if now in SETTLING:
            since = self._settling_since.setdefault(name, time.monotonic())
            if time.monotonic() - since < SETTLING_GRACE_S:
                return
        else:
            self._settling_since.pop(name, None)
        settled = self._settled.get(name)
        if settled == now:
            return
        self._settled[name] = now
        if settled == service.REGISTERED and now != service.DISABLED:
            raise_event(
                catalogue.TRUNK_REGISTRATION_LOST,
                f"trunk {name}: registration lost, now {now}",
                object=name,
                details={"state": now},
            )
            self._lost.add(name)
        elif now == service.REGISTERED and name in self._lost:
            self._lost.discard(name)
            raise_event(
                catalogue.TRUNK_REGISTRATION_REGAINED,
                f"trunk {name}: registered again",
                object=name,
                details={"was": settled},
            )
        elif now == service.DISABLED:
            self._lost.discard(name)

    def _publish(self, states: list) -> None:
        if self.states_file is None:
            return
        checked_at = time.time()
        body = {
            "trunks": {
                s.name: {"state": s.state, "checked_at": checked_at} for s in states
            }
        }
        partial = self.states_file.with_suffix(".tmp")
        try:
            partial.write_text(json.dumps(body))
            os.replace(partial, self.states_file)
        except OSError as exc:
            log.warning("trunks: states not written for the monitor: %s", exc)

    def _hand_over(self, kamailio_pid: int | None) -> None:
        if kamailio_pid is None or kamailio_pid == self._handed_to_pid:
            return
        if not self.rpc.ping():
            return
        count = registrations.hand_over_all(self.rpc, self.key)
        self._handed_to_pid = kamailio_pid
        if count:
            log.info("trunks: %d registrations handed to the SIP core", count)
