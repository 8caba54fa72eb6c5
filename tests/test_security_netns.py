"""The jail and the firewall for real: nftables rules in network namespaces.

The PBX (the real agent with its Kamailio and its own nftables table) runs
in a namespace of its own; an attacker and an office phone reach it over
veth links from namespaces of their own (tests.netns). Nothing here loads a
rule on the host.
"""

from __future__ import annotations

import json
import time

import pytest

from tests import netns
from tests.pbx import RunningPbx
from tests.sipphone import Phone, PhoneHost

WAIT_S = 15.0
MAXRETRY = 3


@pytest.fixture(scope="module")
def network():
    problem = netns.namespaces_available()
    if problem:
        pytest.skip(f"network namespaces unavailable: {problem}")
    net = netns.Network().create()
    yield net
    net.delete()


@pytest.fixture
def guarded_pbx(tmp_path, network):
    pbx = RunningPbx(
        tmp_path / "var",
        bind=netns.PBX_ADDRESS,
        netns=network.pbx,
        extra_env={"EDGEPBX_FIREWALL": "1"},
    )
    jail = pbx.cli("jail", "set", "--maxretry", str(MAXRETRY), "--findtime", "60")
    assert jail.returncode == 0, jail.stderr
    pbx.start()
    yield pbx
    pbx.stop()
    network.nft("delete", "table", "inet", "edgepbx")


def sip(network, namespace: str, pbx: RunningPbx, *args: str) -> list:
    bind = netns.ATTACKER_ADDRESS
    if namespace == network.phone:
        bind = netns.PHONE_ADDRESS
    out = network.run_in(
        namespace, "tests.netns_sip", args[0], pbx.bind, str(pbx.sip_port), bind,
        *args[1:],
    )  # fmt: skip
    return json.loads(out)


def banned(pbx: RunningPbx) -> dict[str, dict]:
    result = pbx.cli("ban", "list", "--json")
    assert result.returncode == 0, result.stderr
    return {ban["address"]: ban for ban in result.json()}


def wait_for(condition, what: str, timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


def test_attacker_is_banned_and_dropped_while_the_office_phone_registers(
    guarded_pbx, network
):
    password = guarded_pbx.add_extension("101")
    attacker = netns.ATTACKER_ADDRESS

    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [200]
    replies = sip(network, network.attacker, guarded_pbx, "register", "101", "x", "3")
    assert replies == [401] * MAXRETRY

    ban = wait_for(lambda: banned(guarded_pbx).get(attacker), "attacker banned")
    assert "sip-auth-failed" in ban["reason"]
    assert sip(network, network.attacker, guarded_pbx, "options", "2") == [None, None]
    status = guarded_pbx.cli("firewall", "status", "--json").json()
    assert attacker in status["banned_in_kernel"]

    # The office phone, even after as many wrong passwords, is never shut out.
    phone = network.phone
    assert sip(network, phone, guarded_pbx, "register", "101", "x", "5") == [401] * 5
    with (
        PhoneHost(bind=netns.PHONE_ADDRESS, netns=phone) as host,
        Phone(
            "101", password, guarded_pbx.bind, guarded_pbx.sip_port, host=host
        ) as desk,
    ):
        assert desk.register() == 200
    assert netns.PHONE_ADDRESS not in banned(guarded_pbx)


def test_a_scanner_gets_no_reply_and_is_banned_at_once(guarded_pbx, network):
    replies = sip(
        network, network.attacker, guarded_pbx, "options", "1", "friendly-scanner"
    )
    assert replies == [None]
    ban = wait_for(
        lambda: banned(guarded_pbx).get(netns.ATTACKER_ADDRESS), "scanner banned"
    )
    assert "sip-scanner" in ban["reason"]


def test_a_flood_is_cut_short_and_banned(guarded_pbx, network):
    [answered] = sip(network, network.attacker, guarded_pbx, "flood", "1000")
    assert answered < 1000
    ban = wait_for(
        lambda: banned(guarded_pbx).get(netns.ATTACKER_ADDRESS), "flooder banned"
    )
    assert "sip-flood" in ban["reason"]
    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [None]


def test_a_ban_survives_an_agent_restart_and_a_flushed_firewall(guarded_pbx, network):
    added = guarded_pbx.cli("ban", "add", netns.ATTACKER_ADDRESS, "--json")
    assert added.returncode == 0, added.stderr
    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [None]

    guarded_pbx.stop()
    network.nft("delete", "table", "inet", "edgepbx")  # as after a reboot
    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [None]
    guarded_pbx.start()

    assert netns.ATTACKER_ADDRESS in banned(guarded_pbx)
    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [None]


def test_a_ban_expires_after_its_bantime(guarded_pbx, network):
    added = guarded_pbx.cli("ban", "add", netns.ATTACKER_ADDRESS, "--seconds", "3")
    assert added.returncode == 0, added.stderr
    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [None]

    wait_for(lambda: not banned(guarded_pbx), "ban ended in the list")
    wait_for(
        lambda: sip(network, network.attacker, guarded_pbx, "options", "1") == [200],
        "attacker answered again",
    )


def ping6(network) -> bool:
    out = network.run_in(
        network.attacker, "tests.netns_sip", "ping6", netns.PBX_ADDRESS6
    )
    return json.loads(out) == [True]


def test_an_ipv6_address_is_banned_and_lifted(guarded_pbx, network):
    assert wait_for(lambda: ping6(network), "IPv6 reachable before the ban")
    added = guarded_pbx.cli("ban", "add", netns.ATTACKER_ADDRESS6)
    assert added.returncode == 0, added.stderr
    assert not ping6(network)
    assert netns.ATTACKER_ADDRESS6 in banned(guarded_pbx)

    lifted = guarded_pbx.cli("ban", "remove", netns.ATTACKER_ADDRESS6)
    assert lifted.returncode == 0, lifted.stderr
    assert ping6(network)


def reaches_web_admin(network, namespace: str, pbx: RunningPbx) -> bool:
    out = network.run_in(
        namespace, "tests.netns_sip", "connect", pbx.bind, str(pbx.https_port)
    )
    return json.loads(out) == [True]


def test_an_allow_list_keeps_others_out_until_the_emergency_reset(guarded_pbx, network):
    assert reaches_web_admin(network, network.attacker, guarded_pbx)
    office = guarded_pbx.cli("firewall", "set", "web-https", "--allow", "10.77.0.0/24")
    assert office.returncode == 0, office.stderr

    assert reaches_web_admin(network, network.phone, guarded_pbx)
    assert not reaches_web_admin(network, network.attacker, guarded_pbx)
    # SIP is another service: its rule is untouched.
    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [200]

    reset = guarded_pbx.cli("firewall", "reset")
    assert reset.returncode == 0, reset.stderr
    assert reaches_web_admin(network, network.attacker, guarded_pbx)


def test_the_right_password_from_outside_the_allowed_networks_is_refused_and_banned(
    guarded_pbx, network
):
    password = guarded_pbx.add_extension("101")
    office = guarded_pbx.cli("allowed-networks", "set", "101", "10.77.0.0/24")
    assert office.returncode == 0, office.stderr

    replies = sip(
        network, network.attacker, guarded_pbx, "register", "101", password,
        str(MAXRETRY),
    )  # fmt: skip
    assert replies == [403] * MAXRETRY
    ban = wait_for(
        lambda: banned(guarded_pbx).get(netns.ATTACKER_ADDRESS), "attacker banned"
    )
    assert "sip-source-refused" in ban["reason"]
    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [None]

    office_phone = sip(
        network, network.phone, guarded_pbx, "register", "101", password, "2"
    )
    assert office_phone == [200, 200]


def test_sip_over_tls_passes_the_firewall_until_its_service_is_closed(
    guarded_pbx, network
):
    def reaches_tls() -> bool:
        out = network.run_in(
            network.phone, "tests.netns_sip", "connect", guarded_pbx.bind,
            str(guarded_pbx.sip_tls_port),
        )  # fmt: skip
        return json.loads(out) == [True]

    assert reaches_tls()
    closed = guarded_pbx.cli("firewall", "set", "sip-tls", "--state", "closed")
    assert closed.returncode == 0, closed.stderr
    assert not reaches_tls()
    # Plain SIP is another service and stays open.
    assert sip(network, network.phone, guarded_pbx, "options", "1") == [200]
    guarded_pbx.cli("firewall", "reset")
