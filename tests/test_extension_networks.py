"""Allowed networks per extension: validation, the CLI and the KEMI step."""

from __future__ import annotations

import pytest

from agent.errors import InvalidInput
from agent.security import extension_networks as nets
from agent.sip import routing


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        (["192.0.2.7"], ["192.0.2.7/32"]),
        ([" 10.0.0.0/8 ", "10.0.0.0/8"], ["10.0.0.0/8"]),
        (["2001:DB8::/32", "::1"], ["2001:db8::/32", "::1/128"]),
        ([""], []),
    ],
)
def test_networks_are_stored_canonical_without_duplicates(typed, canonical):
    assert nets.parse_networks(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "rule"),
    [
        ("10.0.0.0/33", "IPv4 prefix length is 0 to 32"),
        ("2001:db8::/129", "IPv6 prefix length is 0 to 128"),
        ("10.1.2.3/8", "host bits set after the prefix; the network is 10.0.0.0/8"),
        ("10.0.0/8", "an IPv4 or IPv6 address or network"),
        ("office", "an IPv4 or IPv6 address or network"),
        ("10.0.0.0/x", "IPv4 prefix length is 0 to 32"),
    ],
)
def test_a_network_wrong_for_its_family_is_refused_with_the_rule(typed, rule):
    with pytest.raises(InvalidInput) as refused:
        nets.parse_networks([typed])
    assert refused.value.field == "allowed_networks"
    assert rule in str(refused.value)


def test_too_many_networks_are_refused():
    with pytest.raises(InvalidInput, match="at most 16"):
        nets.parse_networks([f"192.0.2.{i}" for i in range(17)])


@pytest.mark.parametrize(
    ("stored", "source", "allowed"),
    [
        ("", "203.0.113.9", True),
        ("10.0.0.0/8", "10.1.2.3", True),
        ("10.0.0.0/8", "203.0.113.9", False),
        ("10.0.0.0/8,2001:db8::/32", "[2001:db8::5]", True),
        ("10.0.0.0/8,2001:db8::/32", "2001:db9::5", False),
        ("10.0.0.0/8", "::ffff:10.0.0.1", True),
        ("garbage", "10.0.0.1", False),
    ],
)
def test_the_sip_routing_allows_only_sources_inside_the_networks(
    stored, source, allowed
):
    assert routing.source_allowed(stored, source) is allowed


def test_cli_sets_shows_lists_and_clears_an_extensions_networks(pbx_data):
    pbx_data.add_extension("101")
    set_ = pbx_data.cli(
        "allowed-networks", "set", "101", "10.0.0.0/8", "2001:db8::/32", "--json"
    )
    shown = pbx_data.cli("allowed-networks", "show", "101", "--json")
    listed = pbx_data.cli("allowed-networks", "list", "--json")
    cleared = pbx_data.cli("allowed-networks", "clear", "101", "--json")
    after = pbx_data.cli("allowed-networks", "list", "--json")

    expected = {"extension": "101", "allowed_networks": ["10.0.0.0/8", "2001:db8::/32"]}
    assert set_.returncode == 0, set_.stderr
    assert set_.json() == expected == shown.json()
    assert listed.json() == [expected]
    assert cleared.json() == {"extension": "101", "allowed_networks": []}
    assert after.json() == []


def test_cli_refuses_a_bad_network_and_changes_nothing(pbx_data):
    pbx_data.add_extension("101")
    pbx_data.cli("allowed-networks", "set", "101", "10.0.0.0/8")
    bad = pbx_data.cli(
        "allowed-networks", "set", "101", "192.0.2.0/24", "1.2.3.4/40", "--json"
    )
    missing = pbx_data.cli("allowed-networks", "show", "999", "--json")

    assert bad.returncode == 2
    assert bad.json()["error"]["field"] == "NET"
    assert "1.2.3.4/40" in bad.json()["error"]["message"]
    shown = pbx_data.cli("allowed-networks", "show", "101", "--json").json()
    assert shown["allowed_networks"] == ["10.0.0.0/8"]
    assert missing.returncode == 2 and missing.json()["error"]["field"] == "extension"


# -- the KEMI step, with a stand-in for Kamailio ------------------------------


@pytest.fixture
def restricted_route(monkeypatch, tmp_path):
    """A REGISTER from 203.0.113.9 whose right credentials carry networks."""
    import json
    import socket

    from tests.fake_ksr import FakeKsr

    fake = FakeKsr(pv={"$au": "101", "$si": "203.0.113.9"})
    fake.method = "REGISTER"
    fake.values[routing.ALLOWED_NETWORKS_AVP] = "10.0.0.0/8"
    fake.returns["pv.is_null"] = lambda name: (
        0 if name == routing.ALLOWED_NETWORKS_AVP else 1
    )
    fake.returns["nathelper.nat_uac_test"] = -1
    fake.install(monkeypatch)
    path = tmp_path / "events.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    route = routing.Routing(
        routing.RoutingSettings(realm="pbx.example", events_socket=str(path))
    )
    yield fake, route, lambda: json.loads(sock.recv(4096))
    sock.close()


def test_register_from_outside_the_networks_gets_403_and_is_reported(
    restricted_route,
):
    ksr, route, received = restricted_route
    route.ksr_request_route(None)

    assert ksr.replies() == [(403, "Forbidden")]
    assert not ksr.called("registrar.save")
    event = received()
    assert (event["kind"], event["source_ip"], event["subject"]) == (
        "sip-source-refused",
        "203.0.113.9",
        "101",
    )


def test_a_call_from_inside_the_networks_goes_on(restricted_route):
    ksr, route, _ = restricted_route
    ksr.method = "INVITE"
    ksr.values["$si"] = "10.20.30.40"
    ksr.values["$ru"] = "sip:102@pbx"
    ksr.returns.update(
        {
            "siputils.has_totag": -1,
            "tmx.t_precheck_trans": -1,
            "tm.t_check_trans": -1,
            "is_myself_ruri": False,
        }
    )
    route.ksr_request_route(None)
    assert ksr.replies() == []
    assert ksr.called("tm.t_relay")


# -- a real Kamailio ----------------------------------------------------------


def test_register_with_the_right_password_from_elsewhere_is_refused(pbx):
    from tests.sipraw import SipClient

    password = pbx.add_extension("101")
    elsewhere = pbx.cli("allowed-networks", "set", "101", "10.0.0.0/8", "::1")
    assert elsewhere.returncode == 0, elsewhere.stderr
    pbx.add_extension("102")
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        refused = client.register("101", password)
        call = client.invite("102", "101", password)
    here = pbx.cli("allowed-networks", "set", "101", "127.0.0.0/8")
    assert here.returncode == 0, here.stderr
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        allowed = client.register("101", password)
        wrong = client.register("101", "not-the-password")

    assert refused.status == 403
    assert call.status == 403
    assert allowed.status == 200
    assert wrong.status == 401
