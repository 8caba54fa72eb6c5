"""SIP multicast plug-and-play, on a multicast-capable link between two
network namespaces made here (never the host's interfaces): a phone's
ua-profile SUBSCRIBE to 224.0.1.75 gets a 200 OK and a NOTIFY with the
provisioning URL, from which the phone then fetches its file."""

from __future__ import annotations

import json
import time

import pytest

from provisioning_server.pnp import AnswerLimit, parse_subscribe, provisioning_url
from tests import netns
from tests.pbx import RunningPbx
from tests.pnp_phone import MAC, subscribe

LAN_ADDRESS = netns.PHONE_GATEWAY  # the PBX's end of the phone's link


@pytest.fixture(scope="module")
def network():
    problem = netns.namespaces_available()
    if problem:
        pytest.skip(f"network namespaces unavailable: {problem}")
    net = netns.Network().create()
    yield net
    net.delete()


@pytest.fixture(scope="module")
def office(tmp_path_factory, network):
    pbx = RunningPbx(
        tmp_path_factory.mktemp("pnp") / "var",
        bind=LAN_ADDRESS,
        netns=network.pbx,
        extra_env={"EDGEPBX_PNP_INTERFACE": LAN_ADDRESS},
    )
    pbx.add_extension("101", "Front desk")
    assert pbx.add_phone(MAC, "101").returncode == 0
    pbx.start()
    yield pbx
    pbx.stop()


def boot(network, vendor: str, model: str, fetch: str = "", mac: str = MAC) -> dict:
    args = [netns.PHONE_ADDRESS, vendor, model, fetch, mac]
    return json.loads(network.run_in(network.phone, "tests.pnp_phone", *args))


def body(message: str) -> str:
    return message.split("\r\n\r\n", 1)[1]


def test_a_yealink_finds_the_appliance_and_fetches_its_file(network, office):
    seen = boot(network, "Yealink", "SIP-T54W", f"{MAC}.cfg")
    ok, notify = seen["answers"]

    assert ok["text"].startswith("SIP/2.0 200 OK\r\n")
    assert "Call-ID: pnp-test-1@" in ok["text"]
    assert notify["text"].startswith(f"NOTIFY sip:{netns.PHONE_ADDRESS}:")
    assert "Content-Type: application/url" in notify["text"]
    assert "Event: ua-profile" in notify["text"]
    assert body(notify["text"]) == f"http://{LAN_ADDRESS}:{office.http_port}/prov/"
    assert notify["from"] == LAN_ADDRESS
    assert seen["fetched"]["status"] == 200
    assert "account.1.user_name = 101" in seen["fetched"]["body"]


def test_a_snom_is_given_its_own_settings_file(network, office):
    seen = boot(network, "snom", "D785")
    notify = seen["answers"][1]["text"]

    assert body(notify).endswith(f"/prov/{MAC}.xml")


def test_a_phone_not_in_the_inventory_is_answered_and_listed_as_seen(network, office):
    unknown = "805ec0aa0077"
    seen = boot(network, "Yealink", "SIP-T46U", mac=unknown)

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        rows = office.cli("phone", "seen", "--json").json()
        listed = {row["mac"]: row for row in rows}
        if unknown in listed:
            break
        time.sleep(0.3)
    assert len(seen["answers"]) == 2
    row = listed[unknown]
    assert (row["vendor"], row["model"], row["via"]) == ("yealink", "T46U", "pnp")
    assert row["source_ip"] == netns.PHONE_ADDRESS


def test_requests_that_are_not_ua_profile_subscribes_get_no_answer():
    options = b"OPTIONS sip:224.0.1.75 SIP/2.0\r\nCall-ID: x\r\n\r\n"
    other_event = subscribe("192.0.2.7", 5060, "Yealink", "T54W").replace(
        b"Event: ua-profile", b"Event: presence"
    )

    assert parse_subscribe(options) is None
    assert parse_subscribe(other_event) is None
    assert parse_subscribe(b"\xff\xfe garbage") is None


def test_the_mac_is_read_from_the_request_uri():
    request = parse_subscribe(subscribe("192.0.2.7", 5062, "Yealink", "T54W"))

    assert request.mac == MAC
    assert request.vendor == "Yealink" and request.model == "T54W"
    assert request.contact_port == 5062
    assert provisioning_url("http://a/prov/", request) == "http://a/prov/"


def test_one_source_is_answered_a_few_times_a_minute_at_most():
    limit = AnswerLimit()
    answered = [limit.allow("192.0.2.7", now=100.0 + n) for n in range(8)]
    later = limit.allow("192.0.2.7", now=200.0)

    assert answered == [True] * 5 + [False] * 3
    assert later is True
