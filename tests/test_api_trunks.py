"""Trunks, routes, the call guard and call records over the REST API."""

from __future__ import annotations

import pytest

from tests.pbx import RunningPbx, free_port
from tests.webclient import api_client

API = "/api/v1"


@pytest.fixture(scope="module")
def shared_pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("api-trunks") / "var").start()
    running.add_extension("101")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin_api(shared_pbx):
    return api_client(shared_pbx, "administrator")


def test_a_trunk_route_and_did_are_made_over_the_api(admin_api, shared_pbx):
    trunk = admin_api.request(
        "POST",
        f"{API}/trunks",
        json_body={
            "name": "acme",
            "kind": "register",
            "host": "127.0.0.1",
            "port": free_port(),  # nothing answers there
            "username": "acct",
            "password": "Secret-123",
            "dids": ["+15550100"],
        },
    )
    assert trunk.status == 201, trunk.body
    assert trunk.json()["password_set"] is True
    assert "Secret-123" not in trunk.body

    route = admin_api.request(
        "POST",
        f"{API}/outbound-routes",
        json_body={
            "name": "intl",
            "patterns": [{"pattern": "00.", "strip": 2, "prepend": "+"}],
            "trunks": ["acme"],
        },
    )
    assert route.status == 201, route.body
    inbound = admin_api.request(
        "POST",
        f"{API}/inbound-routes",
        json_body={"did": "+15550100", "destination": "101"},
    )
    assert inbound.status == 201, inbound.body
    again = admin_api.request(
        "POST",
        f"{API}/inbound-routes",
        json_body={"did": "+15550100", "destination": "101"},
    )
    assert (again.status, again.json()["field"]) == (409, "did")

    listed = admin_api.get(f"{API}/outbound-routes").json()
    assert listed[0]["patterns"] == [{"pattern": "00.", "strip": 2, "prepend": "+"}]
    assert admin_api.get(f"{API}/trunks/acme").json()["dids"] == ["+15550100"]
    audit = shared_pbx.cli("--help")  # the CLI sees the same data:
    assert audit.returncode == 0
    assert [t["name"] for t in shared_pbx.cli("trunk", "list", "--json").json()] == [
        "acme"
    ]


def test_a_trunks_codecs_are_set_in_order_and_bad_ones_refused(admin_api):
    made = admin_api.request(
        "POST",
        f"{API}/trunks",
        json_body={"name": "eu", "kind": "peer", "host": "127.0.0.1",
                   "codecs": ["pcma", "G722"]},
    )  # fmt: skip
    assert made.status == 201, made.body
    assert made.json()["codecs"] == ["PCMA", "G722"]

    for codecs, detail in (
        ([], "codecs: at least one codec, or any"),
        (["pcma", "ilbc"], 'codecs "ilbc": not a codec this PBX bridges'),
        ("pcmu,pcmu", 'codecs "pcmu": given twice'),
    ):
        refused = admin_api.request(
            "PATCH", f"{API}/trunks/eu", json_body={"codecs": codecs}
        )
        assert (refused.status, refused.json()["field"]) == (422, "codecs")
        assert detail in refused.json()["detail"], refused.body
    assert admin_api.get(f"{API}/trunks/eu").json()["codecs"] == ["PCMA", "G722"]

    back = admin_api.request("PATCH", f"{API}/trunks/eu", json_body={"codecs": "any"})
    assert back.json()["codecs"] is None


def test_a_trunks_main_number_is_set_and_a_bad_one_refused_naming_it(admin_api):
    made = admin_api.request(
        "POST",
        f"{API}/trunks",
        json_body={"name": "us", "kind": "peer", "host": "127.0.0.1",
                   "main_number": "+15550100"},
    )  # fmt: skip
    assert made.status == 201, made.body
    assert made.json()["main_number"] == "+15550100"

    for given in ("5550100#", "+1234567890123456", "not a number"):
        refused = admin_api.request(
            "PATCH", f"{API}/trunks/us", json_body={"main_number": given}
        )
        assert (refused.status, refused.json()["field"]) == (422, "main_number")
        assert "1 to 15 digits (E.164)" in refused.json()["detail"], refused.body
    assert admin_api.get(f"{API}/trunks/us").json()["main_number"] == "+15550100"

    cleared = admin_api.request(
        "PATCH", f"{API}/trunks/us", json_body={"main_number": ""}
    )
    assert cleared.json()["main_number"] is None  # the first DID again
    document = admin_api.get(f"{API}/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "main_number" in schemas["Trunk"]["properties"]
    assert "main_number" in schemas["NewTrunk"]["properties"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "r1", "patterns": ["[9-1]X"], "trunks": ["acme"]}, "pattern"),
        ({"name": "r2", "patterns": ["X."], "trunks": []}, "trunks"),
        ({"name": "r3", "patterns": "X.", "trunks": ["acme"]}, "patterns"),
    ],
)
def test_routes_that_cannot_work_are_refused_naming_the_field(admin_api, body, field):
    reply = admin_api.request("POST", f"{API}/outbound-routes", json_body=body)
    assert reply.status in {400, 422}
    assert reply.json()["field"] == field


def test_the_call_guard_and_call_records_are_served(admin_api):
    guard = admin_api.request(
        "PATCH", f"{API}/call-guard", json_body={"allowed_countries": ["1", "44"]}
    )
    assert guard.status == 200, guard.body
    assert guard.json()["allowed_countries"] == ["1", "44"]
    bad = admin_api.request("PATCH", f"{API}/call-guard", json_body={"window_s": 0})
    assert (bad.status, bad.json()["field"]) == (422, "window_s")
    assert admin_api.get(f"{API}/cdr").json() == []
    csv = admin_api.get(f"{API}/cdr?format=csv")
    assert csv.status == 200 and csv.content_type.startswith("text/csv")


def test_an_operator_sees_trunks_but_cannot_change_them(shared_pbx):
    operator = api_client(shared_pbx, "operator")
    assert operator.get(f"{API}/trunks").status == 200
    refused = operator.request(
        "POST",
        f"{API}/trunks",
        json_body={"name": "x", "kind": "peer", "host": "127.0.0.1"},
    )
    assert refused.status == 403


def test_a_ring_group_and_an_ivr_menu_never_share_a_number(admin_api):
    menu = admin_api.request(
        "PUT", f"{API}/ivr/670", json_body={"name": "Main", "prompt": "dir-welcome"}
    )
    group = admin_api.request(
        "POST",
        f"{API}/ring-groups",
        json_body={"number": "670", "name": "Sales", "members": [{"extension": "101"}]},
    )
    other = admin_api.request(
        "POST",
        f"{API}/ring-groups",
        json_body={
            "number": "671",
            "name": "Support",
            "members": [{"extension": "101"}],
        },
    )
    over = admin_api.request(
        "PUT", f"{API}/ivr/671", json_body={"name": "Over", "prompt": "dir-welcome"}
    )

    assert menu.status == 201, menu.body
    assert group.status == 422 and group.json()["field"] == "number"
    assert "already an IVR menu's number" in group.json()["detail"]
    assert other.status == 201, other.body
    assert over.status == 422 and over.json()["field"] == "number"
    assert "already a ring group's number" in over.json()["detail"]


def test_a_ring_group_is_replaced_and_a_failover_that_loops_is_refused(admin_api):
    made = admin_api.request(
        "POST",
        f"{API}/ring-groups",
        json_body={"number": "680", "name": "Desk", "members": [{"extension": "101"}]},
    )
    looped = admin_api.request(
        "PUT",
        f"{API}/ring-groups/680",
        json_body={
            "name": "Desk",
            "members": [{"extension": "101"}],
            "failover": "ring_group:680",
        },
    )
    changed = admin_api.request(
        "PUT",
        f"{API}/ring-groups/680",
        json_body={
            "name": "Front desk",
            "strategy": "sequential",
            "members": [{"extension": "101", "ring_time_s": 15}],
            "failover": "hangup",
        },
    )
    listed = admin_api.request("GET", f"{API}/ring-groups").json()

    assert made.status == 201, made.body
    assert looped.status == 422 and looped.json()["field"] == "failover"
    assert "leads back" in looped.json()["detail"]
    assert changed.status == 200, changed.body
    [group] = [g for g in listed if g["number"] == "680"]
    assert (group["name"], group["strategy"], group["failover"]) == (
        "Front desk",
        "sequential",
        "hangup",
    )
    assert group["members"] == [{"extension": "101", "ring_time_s": 15}]
