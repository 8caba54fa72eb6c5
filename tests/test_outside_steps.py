"""The trunk steps of the routing, with a stand-in for KSR and a real SQLite
file holding trunks and routes made through the services."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.accounts.roles import SYSTEM
from agent.db import open_database
from agent.db.migrations import migrate
from agent.devicekey import DeviceKey
from agent.routes import guard
from agent.routes.service import PatternSpec, RouteService
from agent.trunks.service import TrunkService
from tests.fake_ksr import FakeKsr


@pytest.fixture
def config_db(tmp_path):
    path = tmp_path / "edgepbx.sqlite"
    db = open_database(path)
    migrate(db)
    key = DeviceKey(b"k" * 32)
    trunks = TrunkService(key, SYSTEM)
    trunks.add("first", "peer", "127.0.0.10", caller_id_header="pai")
    trunks.add("second", "peer", "127.0.0.20", port=5080, caller_id_header="from")
    routes = RouteService(SYSTEM)
    routes.add_outbound(
        "intl", [PatternSpec("00.", 2, "+")], ["first", "second"], caller_id="5550100"
    )
    from agent.db.models import Extension

    Extension.create(number="101", display_name="A", sip_password="x", ha1="", ha1b="")
    routes.add_inbound("15550100", "101")
    yield path
    db.close()


@pytest.fixture
def ksr(monkeypatch):

    fake = FakeKsr(
        pv={
            "$ru": "sip:0044201234@pbx",
            "$rU": "0044201234",
            "$au": "101",
            "$fU": "101",
            "$si": "192.0.2.7",
            "$sp": 5060,
            "$ci": "call-1",
            "$Ri": "192.0.2.1",
        }
    )
    fake.install(monkeypatch)
    flags: set[int] = set()
    fake.returns.update(
        {
            "setflag": lambda flag: flags.add(flag),
            "isflagset": lambda flag: flag in flags,
            "siputils.has_totag": -1,
            "tmx.t_precheck_trans": -1,
            "tm.t_check_trans": -1,
            "is_myself_ruri": False,
            "nathelper.nat_uac_test": -1,
            "auth_db.is_subscriber": -1,
            "tm.t_is_canceled": -1,
            "pv.sets": lambda name, value: fake.values.__setitem__(name, value),
            "pv.is_null": lambda name: 1 if fake.values.get(name) in (None, "") else -1,
        }
    )
    return fake


@pytest.fixture
def route(ksr, config_db):
    from agent.sip import routing

    settings = routing.RoutingSettings(realm="pbx", config_db=str(config_db))
    return routing.Routing(settings)


def test_an_international_number_goes_to_the_first_trunk_rewritten(ksr, route):
    route.ksr_request_route(None)
    assert ksr.values["$ru"] == "sip:+44201234@127.0.0.10:5060"
    assert ksr.called("tm.t_relay")
    # The offer is the branch's: each trunk tried gets its own.
    assert not ksr.called("rtpengine.rtpengine_manage")
    route.ksr_branch_route_outside(None)
    assert ksr.called("rtpengine.rtpengine_manage")
    assert ksr.called("hdr.append") == [
        ("P-Asserted-Identity: <sip:5550100@127.0.0.10>\r\n",)
    ]


def test_a_503_from_the_first_trunk_hands_the_call_to_the_second(ksr, route):
    route.ksr_request_route(None)
    ksr.values["$T_reply_code"] = 503
    route.ksr_failure_route_outside(None)
    assert ksr.values["$ru"] == "sip:+44201234@127.0.0.20:5080"
    assert len(ksr.called("tm.t_relay")) == 2
    route.ksr_branch_route_outside(None)
    assert ksr.called("uac.uac_replace_from_uri") == [("sip:5550100@127.0.0.20",)]


def test_a_busy_callee_abroad_is_not_tried_on_another_trunk(ksr, route):
    route.ksr_request_route(None)
    ksr.values["$T_reply_code"] = 486
    route.ksr_failure_route_outside(None)
    assert len(ksr.called("tm.t_relay")) == 1


def test_a_number_no_route_matches_gets_404(ksr, route):
    ksr.values.update({"$rU": "5551234", "$ru": "sip:5551234@pbx"})
    route.ksr_request_route(None)
    assert ksr.replies() == [(404, "No Route For This Number")]


def test_a_forbidden_country_gets_403_and_never_a_trunk(ksr, route):
    guard.change(SYSTEM, allowed_countries=["1"])
    route.ksr_request_route(None)
    assert ksr.replies() == [(403, "Country Not Allowed")]
    assert not ksr.called("tm.t_relay")


def test_a_call_from_a_trunk_rings_the_extension_of_its_did(ksr, route):
    ksr.values.update(
        {"$si": "127.0.0.10", "$sp": 5060, "$tU": "15550100", "$fU": "4930123"}
    )
    route.ksr_request_route(None)
    assert ksr.called("registrar.lookup_uri") == [("location", "sip:101@192.0.2.1")]
    assert ksr.called("tm.t_relay")
    assert not ksr.called("auth_db.auth_check")


def test_a_trunk_call_to_an_unknown_did_gets_404(ksr, route):
    ksr.values.update({"$si": "127.0.0.10", "$sp": 5060, "$tU": "15559999"})
    route.ksr_request_route(None)
    assert ksr.replies() == [(404, "No Route For This Number")]


def test_the_agent_logs_each_trunk_state_change_once(config_db, tmp_path, caplog):
    import logging

    from agent.sip.rpc import KamailioRpc
    from agent.trunks.keeper import TrunkKeeper

    keeper = TrunkKeeper(
        KamailioRpc(tmp_path / "no-sip-core.sock"), DeviceKey(b"k" * 32)
    )
    with caplog.at_level(logging.INFO, logger="edgepbx.trunks"):
        keeper.watch()
        keeper.watch()
    lines = [r.getMessage() for r in caplog.records]
    # Nothing listens on these loopback addresses: every probe goes unanswered.
    assert lines == ["trunk first: unreachable", "trunk second: unreachable"]


def test_a_ring_all_group_rings_every_member_then_its_failover(ksr, route):
    from agent.db.models import Extension
    from agent.routes.groups import GroupService

    for number in ("102", "103"):
        Extension.create(
            number=number, display_name=number, sip_password="x", ha1="", ha1b=""
        )
    service = GroupService(SYSTEM)
    service.add_ring_group(
        "600", "Sales", "all", [("101", None), ("102", None)], failover="103"
    )
    RouteService(SYSTEM).add_inbound("15550600", "600", destination_kind="ring_group")
    ksr.values.update({"$si": "127.0.0.10", "$sp": 5060, "$tU": "15550600"})

    route.ksr_request_route(None)
    assert ksr.called("registrar.lookup_uri") == [("location", "sip:101@192.0.2.1")]
    assert ksr.called("registrar.lookup_to_dset_uri") == [
        ("location", "sip:102@192.0.2.1")
    ]
    assert ksr.called("tm.t_on_failure")[-1] == ("ksr_failure_route_group",)

    ksr.values["$T_reply_code"] = 408
    route.ksr_failure_route_group(None)
    assert ksr.called("registrar.lookup_uri")[-1] == ("location", "sip:103@192.0.2.1")
    assert len(ksr.called("tm.t_relay")) == 2


def test_a_time_condition_sends_calls_by_the_clock(ksr, route, monkeypatch):
    import datetime as dt

    from agent.db.models import Extension
    from agent.routes.groups import GroupService

    Extension.create(number="102", display_name="N", sip_password="x", ha1="", ha1b="")
    GroupService(SYSTEM).add_time_condition(
        "office",
        "Europe/Berlin",
        {"mon": [["09:00", "17:00"]]},
        ("extension", "101"),
        ("extension", "102"),
    )
    RouteService(SYSTEM).add_inbound("15550700", "office", "time_condition")
    ksr.values.update({"$si": "127.0.0.10", "$sp": 5060, "$tU": "15550700"})

    monday_night = dt.datetime(2026, 12, 7, 22, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(type(route), "clock", staticmethod(lambda: monday_night))
    route.ksr_request_route(None)
    assert ksr.called("registrar.lookup_uri") == [("location", "sip:102@192.0.2.1")]

    monday_morning = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # 10:00 there
    monkeypatch.setattr(type(route), "clock", staticmethod(lambda: monday_morning))
    route.ksr_request_route(None)
    assert ksr.called("registrar.lookup_uri")[-1] == ("location", "sip:101@192.0.2.1")


def test_the_number_presented_follows_one_precedence(config_db):
    """Extension's outside caller ID, else the route's, else the trunk's main
    number, else the extension's own number."""
    import sqlite3

    from agent.sip.outside import CallerId, load_dialplan

    plan = load_dialplan(sqlite3.connect(config_db))
    route = plan.route_named("intl")
    trunk = replace(plan.trunk_named("first"), main_number="15550111")
    plan.caller_ids["102"] = CallerId(outside_number="+15550199")
    bare_route = replace(route, caller_id="")
    bare_trunk = replace(trunk, main_number="")

    assert plan.presented_number("102", route, trunk) == "+15550199"
    assert plan.presented_number("101", route, trunk) == "5550100"
    assert plan.presented_number("101", bare_route, trunk) == "15550111"
    assert plan.presented_number("101", bare_route, bare_trunk) == "101"
    assert plan.presented_number("101", None, bare_trunk) == "101"
