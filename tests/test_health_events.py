"""Health and trunk events from their real causes.

The sampler (agent/events/sampler.py) reads the data partition, the
processors and the memory of this machine; a trunk's registration is lost
and regained against the local carrier (tests/carrier.py). What is checked
is what an administrator sees: the event in the list, with its numbers, and
no repeat while the cause lasts.
"""

from __future__ import annotations

import json
import time

import pytest

from agent.appliance import Appliance
from agent.events import catalogue
from agent.events.record import EventRow
from agent.events.sampler import Sampler
from agent.events.settings import EventOptions
from tests.pbx import RunningPbx
from tests.test_accounts import settings_in
from tests.test_trunks import (
    ACCOUNT_PASSWORD,
    add_register_trunk,
    carrier,  # noqa: F401 (a fixture)
    wait_trunk_state,
)

WAIT_S = 20.0
BUSY_S = 1.0


def events(pbx, kind: str) -> list[dict]:
    listed = pbx.cli("event", "list", "--type", kind, "--json")
    assert listed.returncode == 0, listed.stderr
    return listed.json()["items"]


def wait_events(pbx, kind: str, count: int = 1) -> list[dict]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = events(pbx, kind)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} {kind} events: {events(pbx, kind)}")


def test_a_disk_and_memory_over_their_thresholds_are_events_at_start(pbx_data):
    # Thresholds of 1%: any real partition and memory are over them.
    changed = pbx_data.cli(
        "event", "options", "--disk-percent", "1", "--memory-percent", "1", "--json"
    )
    assert changed.returncode == 0, changed.stderr
    pbx = pbx_data.start()
    try:
        disk = wait_events(pbx, catalogue.DISK_NEARLY_FULL)
        memory = wait_events(pbx, catalogue.MEMORY_HIGH)
    finally:
        pbx.stop()

    assert "data partition" in disk[0]["summary"]
    assert "threshold 1%" in disk[0]["summary"]
    assert "memory" in memory[0]["summary"]
    assert len(disk) == len(memory) == 1


def test_a_busy_processor_is_one_event_however_long_it_stays_busy(tmp_path):
    app = Appliance.open(settings_in(tmp_path))
    try:
        sampler = Sampler(tmp_path)
        options = EventOptions(cpu_percent=1, disk_percent=100, memory_percent=100)
        for _ in range(3):
            sampler.sample(options)
            until = time.monotonic() + BUSY_S
            while time.monotonic() < until:  # keep one processor busy
                pass
        sampler.sample(options)
        raised = list(EventRow.select().where(EventRow.type == catalogue.CPU_HIGH))
    finally:
        app.close()

    assert len(raised) == 1
    assert "processors" in raised[0].summary


@pytest.fixture
def watched_pbx(tmp_path):
    """An appliance whose agent probes its trunks every second."""
    running = RunningPbx(
        tmp_path / "var", extra_env={"EDGEPBX_TRUNK_WATCH_S": "1"}
    ).start()
    yield running
    running.stop()


def wait_watched_state(pbx, name: str, wanted: str) -> None:
    """Until the agent's own probe (what the monitor shows) saw the state."""
    path = pbx.data_dir / "run" / "trunk-states.json"
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            trunks = json.loads(path.read_text())["trunks"]
        except (OSError, ValueError, KeyError):
            trunks = {}
        if trunks.get(name, {}).get("state") == wanted:
            return
        time.sleep(0.2)
    raise AssertionError(f"the agent never saw trunk {name} {wanted}")


def test_a_trunk_that_loses_its_registration_and_regains_it_raises_both(
    watched_pbx,
    carrier,  # noqa: F811
):
    pbx = watched_pbx
    add_register_trunk(pbx, carrier)
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"
    wait_watched_state(pbx, "acme", "registered")
    assert events(pbx, catalogue.TRUNK_REGISTRATION_LOST) == []

    wrong = pbx.cli("trunk", "set", "acme", "--password-stdin", stdin="wrong\n")
    assert wrong.returncode == 0, wrong.stderr
    assert wait_trunk_state(pbx, "acme", "failed auth") == "failed auth"
    lost = wait_events(pbx, catalogue.TRUNK_REGISTRATION_LOST)

    right = pbx.cli(
        "trunk", "set", "acme", "--password-stdin", stdin=ACCOUNT_PASSWORD + "\n"
    )
    assert right.returncode == 0, right.stderr
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"
    regained = wait_events(pbx, catalogue.TRUNK_REGISTRATION_REGAINED)

    assert "acme" in lost[0]["summary"] and "failed auth" in lost[0]["summary"]
    assert "acme" in regained[0]["summary"]
    assert len(lost) == len(regained) == 1
