"""Failed SSH logins and provisioning misses reach the jail as events."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.security import events, firewall
from agent.security.jail import BanService, Jail, JailPolicy
from agent.security.ssh_events import SshFailure, SshFailureSource, parse_failure
from agent.settings import Settings
from tests.test_provisioning_e2e import http_get

WAIT_S = 10.0


@pytest.mark.parametrize(
    ("line", "failure"),
    [
        (
            "Failed password for root from 198.51.100.7 port 50022 ssh2",
            SshFailure("198.51.100.7", "root"),
        ),
        (
            "Failed password for invalid user admin from 2001:db8::7 port 4 ssh2",
            SshFailure("2001:db8::7", "admin"),
        ),
        (
            "Failed keyboard-interactive/pam for pi from 203.0.113.5 port 1 ssh2",
            SshFailure("203.0.113.5", "pi"),
        ),
        (
            "Bad password attempt for 'root' from 198.51.100.8:40000",
            SshFailure("198.51.100.8", "root"),
        ),
        (
            "Login attempt for nonexistent user 'oracle' from [2001:db8::9]:4000",
            SshFailure("2001:db8::9", "oracle"),
        ),
        (
            "Login attempt for nonexistent user from 198.51.100.10:4000",
            SshFailure("198.51.100.10", ""),
        ),
        ("Failed publickey for root from 198.51.100.7 port 50022 ssh2: ED25519", None),
        ("Accepted password for admin from 10.0.0.5 port 50022 ssh2", None),
        ("Server listening on 0.0.0.0 port 22.", None),
        ("Failed password for root from not-an-address port 1 ssh2", None),
    ],
)
def test_sshd_and_dropbear_failures_are_read_from_their_log_lines(line, failure):
    assert parse_failure(line) == failure


@pytest.fixture
def appliance(tmp_path, monkeypatch):
    monkeypatch.delenv(firewall.ENV_ENABLED, raising=False)
    monkeypatch.setenv("EDGEPBX_DATA_DIR", str(tmp_path / "var"))
    app = Appliance.open(Settings.from_environment())
    yield app
    app.close()


def test_a_log_stream_of_failed_ssh_logins_bans_the_address_as_they_come(appliance):
    """A stand-in for journalctl --follow: lines arrive one by one, apart."""
    policy = JailPolicy(findtime_s=60, maxretry=3, bantime_s=100)
    jail = Jail(policy=lambda: policy)
    events.subscribe(jail.on_event)
    writer = (
        "import sys, time\n"
        "for i in range(3):\n"
        "    print(f'Failed password for root from 198.51.100.7 port {i} ssh2')\n"
        "    print('Accepted publickey for admin from 10.0.0.5 port 9 ssh2')\n"
        "    sys.stdout.flush(); time.sleep(0.3)\n"
        "time.sleep(30)\n"
    )
    source = SshFailureSource([sys.executable, "-c", writer])
    try:
        source.start()
        deadline = time.monotonic() + WAIT_S
        bans: list = []
        while time.monotonic() < deadline and not bans:
            bans = BanService(CONSOLE).list("198.51.100.7")
            time.sleep(0.05)
    finally:
        source.stop()
        events.unsubscribe(jail.on_event)

    assert bans, "not banned after three failed SSH logins"
    assert "ssh-login-failed" in bans[0].reason
    assert not BanService(CONSOLE).list("10.0.0.5")


def wait_for_ban(pbx, address: str) -> dict | None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        bans = pbx.cli("ban", "list", address, "--json").json()
        if bans:
            return bans[0]
        time.sleep(0.2)
    return None


def test_mac_walking_over_http_is_banned(pbx):
    """Loopback is on the default ignore list, so it is taken off here."""
    jail = pbx.cli("jail", "set", "--maxretry", "3", "--ignore", "--json")
    assert jail.returncode == 0, jail.stderr
    statuses = [http_get(pbx, f"/prov/00156500000{i}.cfg")[0] for i in range(3)]
    ban = wait_for_ban(pbx, "127.0.0.1")
    pbx.cli("jail", "set", "--ignore", "127.0.0.0/8", "::1/128")
    pbx.cli("ban", "remove", "127.0.0.1")

    assert statuses == [404, 404, 404]
    assert ban is not None and "provisioning-file-missing" in ban["reason"]


def test_a_tftp_request_leaving_the_tree_is_banned_at_once(pbx, tmp_path):
    jail = pbx.cli("jail", "set", "--ignore", "--json")
    assert jail.returncode == 0, jail.stderr
    fetched = subprocess.run(
        ["atftp", "-g", "-r", "../certs/device.key", "-l", str(tmp_path / "k"),
         "127.0.0.1", str(pbx.tftp_port)],
        capture_output=True,
        text=True,
        timeout=30,
    )  # fmt: skip
    ban = wait_for_ban(pbx, "127.0.0.1")
    pbx.cli("jail", "set", "--ignore", "127.0.0.0/8", "::1/128")
    pbx.cli("ban", "remove", "127.0.0.1")

    assert fetched.returncode != 0
    assert ban is not None and "provisioning-name-refused" in ban["reason"]
