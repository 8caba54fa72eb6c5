"""Network settings applied for real, inside namespaces made for the test."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests import netns_lan
from tests.netns_lan import LAN_PORT, ROUTER, ROUTER_OTHER, START_ADDRESS

SHORT_WINDOW_S = 4.0
# Long enough for three CLI runs on a busy machine before it runs out.
CONFIRM_WINDOW_S = 8.0
REVERT_WAIT_S = 15.0


@pytest.fixture
def lan():
    net = netns_lan.lan_or_skip()
    yield net
    net.delete()


@pytest.fixture
def dirs(tmp_path):
    data, root = tmp_path / "var", tmp_path / "root"
    root.mkdir()
    return data, root


def _wait_for(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_confirmed_static_address_is_kept_and_reaches_its_gateway(lan, dirs):
    data, root = dirs
    applied = lan.edgepbx(
        data, root, "network", "apply", "--interface", LAN_PORT,
        "--static", "203.0.113.10/24", "--gateway", ROUTER_OTHER,
        "--dns", "203.0.113.53", "--hostname", "pbx-office",
        "--ntp", "ntp.example.org", "--timezone", "Europe/Berlin",
        "--confirm-within", str(CONFIRM_WINDOW_S),
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    assert "confirm" in applied.stdout
    assert lan.addresses() == ["203.0.113.10/24"]
    assert lan.default_gateway() == ROUTER_OTHER
    trial = json.loads(lan.edgepbx(data, root, "network", "status", "--json").stdout)
    assert trial["pending"]["settings"]["address"] == "203.0.113.10/24"

    kept = lan.edgepbx(data, root, "network", "confirm")
    assert kept.returncode == 0, kept.stderr
    time.sleep(CONFIRM_WINDOW_S + 1.5)  # the watchdog's deadline passes

    assert lan.addresses() == ["203.0.113.10/24"]
    assert lan.default_gateway() == ROUTER_OTHER
    assert (root / "etc/hostname").read_text() == "pbx-office\n"
    assert "nameserver 203.0.113.53" in (root / "etc/resolv.conf").read_text()
    assert (
        "NTP=ntp.example.org"
        in (root / "etc/systemd/timesyncd.conf.d/edgepbx.conf").read_text()
    )
    assert os.readlink(root / "etc/localtime").endswith("zoneinfo/Europe/Berlin")
    status = json.loads(lan.edgepbx(data, root, "network", "status", "--json").stdout)
    assert status["settings"]["address"] == "203.0.113.10/24"
    assert status["pending"] is None


def test_an_unconfirmed_change_is_undone_when_its_time_runs_out(lan, dirs):
    data, root = dirs
    applied = lan.edgepbx(
        data, root, "network", "apply", "--interface", LAN_PORT,
        "--static", "203.0.113.10/24", "--gateway", ROUTER_OTHER,
        "--confirm-within", str(SHORT_WINDOW_S),
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    assert lan.addresses() == ["203.0.113.10/24"]

    assert _wait_for(lambda: lan.addresses() == [START_ADDRESS], REVERT_WAIT_S)
    assert lan.default_gateway() == ROUTER
    status = json.loads(lan.edgepbx(data, root, "network", "status", "--json").stdout)
    assert status["pending"] is None
    assert status["settings"] is None
    audit = (data / "logs" / "audit-offline.jsonl").read_text()
    assert '"action": "revert"' in audit


def test_bad_settings_are_refused_naming_the_field_and_change_nothing(lan, dirs):
    data, root = dirs
    refused = lan.edgepbx(
        data, root, "network", "apply", "--interface", LAN_PORT,
        "--static", "203.0.113.10/24", "--gateway", "198.51.100.1", "--json",
    )  # fmt: skip
    assert refused.returncode == 2
    error = json.loads(refused.stdout)["error"]
    assert error["field"] == "--gateway"
    assert "inside 203.0.113.0/24" in error["message"]
    assert lan.addresses() == [START_ADDRESS]
    assert not (root / "etc/hostname").exists()

    no_prefix = lan.edgepbx(
        data, root, "network", "apply", "--interface", LAN_PORT,
        "--static", "203.0.113.10",
    )  # fmt: skip
    assert no_prefix.returncode == 2
    assert '--static "203.0.113.10": needs its prefix' in no_prefix.stderr

    zone = lan.edgepbx(data, root, "network", "apply", "--timezone", "Mars/Olympus")
    assert zone.returncode == 2
    assert '--timezone "Mars/Olympus"' in zone.stderr
    assert lan.addresses() == [START_ADDRESS]


def test_a_change_the_kernel_refuses_leaves_the_previous_addresses(lan, dirs):
    data, root = dirs
    refused = lan.edgepbx(
        data, root, "network", "apply", "--interface", LAN_PORT,
        "--static", "203.0.113.10/24", "--gateway", ROUTER_OTHER,
        "--voice-vlan", "20", "--vlan-address", "10.20.0.1/24",
    )  # fmt: skip
    if refused.returncode == 0:
        # This kernel has 802.1Q: the VLAN link carries the voice address.
        assert lan.addresses(f"{LAN_PORT}.20") == ["10.20.0.1/24"]
        assert lan.edgepbx(data, root, "network", "revert").returncode == 0
        assert lan.addresses() == [START_ADDRESS]
        return
    assert refused.returncode == 2
    assert "refused" in refused.stderr
    assert lan.addresses() == [START_ADDRESS]
    assert lan.default_gateway() == ROUTER
    status = json.loads(lan.edgepbx(data, root, "network", "status", "--json").stdout)
    assert status["pending"] is None


def test_a_second_change_waits_for_the_first_to_be_confirmed(lan, dirs):
    data, root = dirs
    first = lan.edgepbx(
        data, root, "network", "apply", "--interface", LAN_PORT,
        "--static", "203.0.113.10/24", "--confirm-within", "30",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    second = lan.edgepbx(data, root, "network", "apply", "--static", "203.0.113.11/24")
    assert second.returncode == 2
    assert "waiting for its confirmation" in second.stderr
    assert lan.edgepbx(data, root, "network", "revert").returncode == 0
    assert lan.addresses() == [START_ADDRESS]
