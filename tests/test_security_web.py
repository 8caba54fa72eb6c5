"""Bans through the REST API and the web admin's security page."""

from __future__ import annotations

import time

import pytest

from tests.pbx import RunningPbx
from tests.webclient import api_client, client, signed_in
from webadmin.openapi import document

BANS = "/api/v1/bans"
ATTACKER = "203.0.113.50"
ATTACKER6 = "2001:db8:99::7"


@pytest.fixture(scope="module")
def shared_pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("security-web") / "var").start()
    yield running
    running.stop()


def test_an_address_is_banned_searched_and_lifted_over_the_api(shared_pbx):
    admin = api_client(shared_pbx, "administrator")
    added = admin.request("POST", BANS, json_body={"address": ATTACKER, "seconds": 90})
    admin.request("POST", BANS, json_body={"address": ATTACKER6})
    found = admin.get(f"{BANS}?q=203.0.113")
    lifted = admin.request("DELETE", f"{BANS}/{ATTACKER}")
    again = admin.request("DELETE", f"{BANS}/{ATTACKER}")
    remaining = [ban["address"] for ban in admin.get(BANS).json()]

    assert added.status == 201
    assert added.json()["address"] == ATTACKER
    assert 0 < added.json()["expires_in_s"] <= 90
    assert [ban["address"] for ban in found.json()] == [ATTACKER]
    assert lifted.status == 204
    assert again.status == 404
    assert remaining == [ATTACKER6]
    assert shared_pbx.cli("ban", "remove", ATTACKER6).returncode == 0


def test_the_api_refuses_to_ban_the_callers_own_address(shared_pbx):
    admin = api_client(shared_pbx, "administrator")
    refused = admin.request("POST", BANS, json_body={"address": "127.0.0.1"})
    bad = admin.request("POST", BANS, json_body={"address": "203.0.113.0/24"})
    assert refused.status == 400
    assert "your own address" in refused.json()["detail"]
    assert bad.status == 422 and bad.json()["field"] == "address"


def test_an_operator_sees_no_bans_and_bans_nobody(shared_pbx):
    operator = api_client(shared_pbx, "operator")
    assert operator.get(BANS).status == 403
    denied = operator.request("POST", BANS, json_body={"address": ATTACKER})
    assert denied.status == 403


def test_the_openapi_document_lists_the_security_routes():
    paths = document()["paths"]
    assert {"get", "post"} <= set(paths["/bans"])
    assert "delete" in paths["/bans/{address}"]
    assert "get" in paths["/firewall"]


def test_the_security_page_lists_searches_and_lifts_bans(shared_pbx):
    web = signed_in(shared_pbx, "administrator")
    banned = web.post_form(
        "/security/bans", {"address": ATTACKER, "seconds": "120"}, "/security"
    )
    assert banned.status == 303
    page = web.get("/security?q=203.0.113")
    assert ATTACKER in page.body
    assert web.get("/security?q=198.51").body.count(ATTACKER) == 0

    lifted = web.post_form(f"/security/bans/{ATTACKER}/lift", {}, "/security")
    assert lifted.status == 303
    assert ATTACKER not in web.get("/security").body
    own = web.post_form("/security/bans", {"address": "127.0.0.1"}, "/security")
    assert own.status == 422 and "your own address" in own.body


def test_failed_web_sign_ins_reach_the_agents_jail(shared_pbx):
    """The web admin's workers send their failures to the agent as they happen.

    Loopback is on the default ignore list, so it is taken off for this test.
    """
    jail = shared_pbx.cli("jail", "set", "--maxretry", "2", "--ignore", "--json")
    assert jail.returncode == 0, jail.stderr
    try:
        web = client(shared_pbx)
        for _ in range(2):
            assert web.sign_in("admin", "not-the-password").status == 422
        deadline = time.monotonic() + 10
        bans: list = []
        while time.monotonic() < deadline and not bans:
            bans = shared_pbx.cli("ban", "list", "127.0.0.1", "--json").json()
            time.sleep(0.2)
        assert bans and "web-signin-failed" in bans[0]["reason"]
    finally:
        shared_pbx.cli("jail", "set", "--ignore", "127.0.0.0/8", "::1/128")
        shared_pbx.cli("ban", "remove", "127.0.0.1")


def test_the_api_refuses_a_firewall_rule_that_shuts_out_the_caller(shared_pbx):
    admin = api_client(shared_pbx, "administrator")
    path = "/api/v1/firewall/services/web-https"
    locked_out = admin.request("PATCH", path, json_body={"allow": ["192.0.2.0/24"]})
    malformed = admin.request("PATCH", path, json_body={"block": ["10.0.0.300"]})
    kept = admin.request("PATCH", path, json_body={"allow": ["127.0.0.0/8"]})
    status = admin.get("/api/v1/firewall").json()
    shared_pbx.cli("firewall", "reset")

    assert locked_out.status == 400
    assert "your own address 127.0.0.1" in locked_out.json()["detail"]
    assert malformed.status == 422
    assert malformed.json()["field"] == "web-https.block"
    assert kept.status == 200 and kept.json()["allow"] == ["127.0.0.0/8"]
    web = next(s for s in status["services"] if s["name"] == "web-https")
    assert web["allow"] == ["127.0.0.0/8"]


def test_an_extensions_allowed_networks_are_set_over_the_api(shared_pbx):
    shared_pbx.add_extension("301")
    admin = api_client(shared_pbx, "administrator")
    path = "/api/v1/extensions/301/allowed-networks"
    changed = admin.request(
        "PUT", path, json_body={"allowed_networks": ["10.0.0.0/8", "2001:db8::/32"]}
    )
    wrong_family = admin.request(
        "PUT", path, json_body={"allowed_networks": ["10.0.0.0/8", "10.0.0.0/40"]}
    )
    not_a_list = admin.request("PUT", path, json_body={"allowed_networks": "10/8"})
    missing = admin.get("/api/v1/extensions/999/allowed-networks")
    read = admin.get(path)
    operator = api_client(shared_pbx, "operator")
    denied = operator.request("PUT", path, json_body={"allowed_networks": []})

    assert changed.status == 200
    assert read.json() == {
        "extension": "301",
        "allowed_networks": ["10.0.0.0/8", "2001:db8::/32"],
    }
    assert wrong_family.status == 422
    assert wrong_family.json()["field"] == "allowed_networks"
    assert "IPv4 prefix length" in wrong_family.json()["detail"]
    assert not_a_list.status == 400
    assert missing.status == 404
    assert denied.status == 403
    assert "/extensions/{number}/allowed-networks" in document()["paths"]
    admin.request("PUT", path, json_body={"allowed_networks": []})


def test_the_security_page_limits_an_extension_to_networks(shared_pbx):
    shared_pbx.add_extension("302")
    web = signed_in(shared_pbx, "administrator")
    saved = web.post_form(
        "/security/allowed-networks",
        {"extension": "302", "networks": "192.0.2.0/24, 2001:db8:5::/48"},
        "/security",
    )
    page = web.get("/security").body
    bad = web.post_form(
        "/security/allowed-networks",
        {"extension": "302", "networks": "192.0.2.1/24"},
        "/security",
    )
    cleared = web.post_form(
        "/security/allowed-networks", {"extension": "302", "networks": ""}, "/security"
    )

    assert saved.status == 303
    assert "192.0.2.0/24, 2001:db8:5::/48" in page
    assert bad.status == 422 and "the network is 192.0.2.0/24" in bad.body
    assert cleared.status == 303
    assert "2001:db8:5::/48" not in web.get("/security").body
