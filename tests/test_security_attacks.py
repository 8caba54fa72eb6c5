"""SIPVicious against the appliance, in network namespaces of the tests' own.

The PBX runs with its real nftables rules in one namespace, an office
phone pair in a second (10.77.0.0/24, on the jail's ignore list), and the
attacker in a third (198.51.100.2, 2001:db8:51::2), running svmap, svwar and
svcrack from PyPI's ``sipvicious`` (tests.netns_sipvicious). Each attack is
bounded by the tool's own limits and by a timeout here.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import netns
from tests.pbx import RunningPbx
from tests.sipphone import PhoneHost
from tests.test_security_netns import (  # noqa: F401 -- fixtures
    MAXRETRY,
    banned,
    guarded_pbx,
    network,
    sip,
    wait_for,
)

TOOL_TIMEOUT_S = 60
# The REGISTER flood of scripts/bench/register_flood, shorter: sipp sends
# FLOOD_RATE unauthenticated REGISTERs a second, FLOOD_REQUESTS in all.
FLOOD_SCENARIO = Path(__file__).parents[1] / "scripts/bench/register_flood.xml"
FLOOD_RATE = 3000
FLOOD_REQUESTS = 9000
OFFICE_REGISTERS = 10
# A phone's User-Agent, as an attacker who read the scanner filter sends.
DISGUISE = "Yealink SIP-T46S 66.86.0.15"
TONE_101 = 697
TONE_102 = 1209


def sipvicious(net, tool: str, *args: str) -> str:
    """Run one SIPVicious tool in the attacker's namespace; its output."""
    result = subprocess.run(
        ["ip", "netns", "exec", net.attacker, sys.executable, "-m",
         "tests.netns_sipvicious", tool, *args],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT_S,
    )  # fmt: skip
    return result.stdout + result.stderr


def target(pbx: RunningPbx) -> str:
    return f"udp://{pbx.bind}:{pbx.sip_port}"


@pytest.fixture
def office_call(guarded_pbx, network):  # noqa: F811
    """101 and 102 in the office namespace, in a call with two-way audio."""
    passwords = {n: guarded_pbx.add_extension(n) for n in ("101", "102")}
    with PhoneHost(bind=netns.PHONE_ADDRESS, netns=network.phone) as host:
        alice = host.phone(
            "101", passwords["101"], server=guarded_pbx.bind,
            port=guarded_pbx.sip_port, tone_hz=TONE_101,
        )  # fmt: skip
        bob = host.phone(
            "102", passwords["102"], server=guarded_pbx.bind,
            port=guarded_pbx.sip_port, tone_hz=TONE_102,
        )  # fmt: skip
        assert (alice.register(), bob.register()) == (200, 200)
        call = alice.call("102")
        call.wait_confirmed()
        incoming = bob.wait_incoming()
        incoming.wait_confirmed()
        assert call.heard_tone(TONE_102) and incoming.heard_tone(TONE_101)
        yield alice, call, incoming, passwords
        call.hangup()


def assert_office_unharmed(office_call) -> None:
    alice, call, incoming, _ = office_call
    assert call.state == "confirmed"
    assert call.heard_tone(TONE_102), "the office call lost its audio"
    assert incoming.heard_tone(TONE_101), "the office call lost its audio"
    assert alice.register() == 200


def test_svmap_finds_no_pbx_and_is_banned_while_the_office_talks(
    guarded_pbx,  # noqa: F811
    network,  # noqa: F811
    office_call,
):
    output = sipvicious(
        network, "svmap", "-p", str(guarded_pbx.sip_port), guarded_pbx.bind
    )

    assert "edgepbx" not in output.lower()
    assert f"{guarded_pbx.bind}:{guarded_pbx.sip_port}" not in output
    ban = wait_for(
        lambda: banned(guarded_pbx).get(netns.ATTACKER_ADDRESS), "svmap banned"
    )
    assert "sip-scanner" in ban["reason"]
    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [None]
    assert_office_unharmed(office_call)


def test_a_sipp_register_flood_is_banned_while_the_office_talks(
    guarded_pbx,  # noqa: F811
    network,  # noqa: F811
    office_call,
):
    alice, _, _, _ = office_call
    flood = subprocess.Popen(
        ["ip", "netns", "exec", network.attacker, "sipp", "-sf", str(FLOOD_SCENARIO),
         "-i", netns.ATTACKER_ADDRESS, "-p", "5070", "-r", str(FLOOD_RATE),
         "-rp", "1000", "-m", str(FLOOD_REQUESTS), "-timeout", "20s", "-nostdin",
         f"{guarded_pbx.bind}:{guarded_pbx.sip_port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        registered = []
        for _ in range(OFFICE_REGISTERS):
            registered.append(alice.register())
            time.sleep(0.2)
        flood.wait(timeout=TOOL_TIMEOUT_S)
    finally:
        if flood.poll() is None:
            flood.kill()
            flood.wait()

    assert registered == [200] * OFFICE_REGISTERS
    ban = wait_for(
        lambda: banned(guarded_pbx).get(netns.ATTACKER_ADDRESS), "flooder banned"
    )
    assert "sip-flood" in ban["reason"]
    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [None]
    assert_office_unharmed(office_call)


def test_svcrack_is_banned_before_it_reaches_the_right_password(
    guarded_pbx,  # noqa: F811
    network,  # noqa: F811
    office_call,
    tmp_path,
):
    _, _, _, passwords = office_call
    dictionary = tmp_path / "passwords.txt"
    guesses = [f"guess{i}" for i in range(MAXRETRY + 3)] + [passwords["101"]]
    dictionary.write_text("\n".join(guesses) + "\n")

    output = sipvicious(
        network, "svcrack", "--disguise", DISGUISE, "-u", "101",
        "-d", str(dictionary), "--maximumtime", "5", target(guarded_pbx),
    )  # fmt: skip

    assert passwords["101"] not in output
    ban = wait_for(
        lambda: banned(guarded_pbx).get(netns.ATTACKER_ADDRESS), "svcrack banned"
    )
    assert "sip-auth-failed" in ban["reason"]
    assert sip(network, network.attacker, guarded_pbx, "options", "1") == [None]
    assert_office_unharmed(office_call)


@pytest.mark.parametrize("method", ["REGISTER", "INVITE", "OPTIONS"])
def test_svwar_learns_no_extension(guarded_pbx, network, method):  # noqa: F811
    for number in ("101", "102", "103"):
        guarded_pbx.add_extension(number)

    output = sipvicious(
        network, "svwar", "--disguise", DISGUISE, "--force", "-e", "100-110",
        "-m", method, "--maximumtime", "5", target(guarded_pbx),
    )  # fmt: skip

    assert "found nothing" in output
    for number in ("101", "102", "103"):
        assert f"| {number} " not in output


def test_svwar_as_itself_gets_no_reply_and_is_banned(guarded_pbx, network):  # noqa: F811
    guarded_pbx.add_extension("101")
    output = sipvicious(
        network, "svwar", "-e", "100-110", "--maximumtime", "3", target(guarded_pbx)
    )
    assert "101" not in output.replace("100-110", "")
    assert wait_for(
        lambda: banned(guarded_pbx).get(netns.ATTACKER_ADDRESS), "svwar banned"
    )


@pytest.fixture
def guarded_pbx6(tmp_path, network):  # noqa: F811
    pbx = RunningPbx(
        tmp_path / "var6",
        bind=netns.PBX_ADDRESS6,
        netns=network.pbx,
        extra_env={"EDGEPBX_FIREWALL": "1"},
    )
    jail = pbx.cli("jail", "set", "--maxretry", str(MAXRETRY), "--findtime", "60")
    assert jail.returncode == 0, jail.stderr
    pbx.start()
    yield pbx
    pbx.stop()
    network.nft("delete", "table", "inet", "edgepbx")


def test_svcrack_over_ipv6_is_banned_and_dropped(guarded_pbx6, network, tmp_path):  # noqa: F811
    password = guarded_pbx6.add_extension("101")
    dictionary = tmp_path / "passwords.txt"
    guesses = [f"guess{i}" for i in range(MAXRETRY + 3)] + [password]
    dictionary.write_text("\n".join(guesses) + "\n")

    output = sipvicious(
        network, "svcrack", "--disguise", DISGUISE, "-6", "-u", "101",
        "-d", str(dictionary), "--maximumtime", "5",
        f"udp://[{netns.PBX_ADDRESS6}]:{guarded_pbx6.sip_port}",
    )  # fmt: skip

    assert password not in output
    ban = wait_for(
        lambda: banned(guarded_pbx6).get(netns.ATTACKER_ADDRESS6), "IPv6 banned"
    )
    assert "sip-auth-failed" in ban["reason"]
    kernel = guarded_pbx6.cli("firewall", "status", "--json").json()
    assert netns.ATTACKER_ADDRESS6 in kernel["banned_in_kernel"]
