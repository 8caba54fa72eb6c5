"""The decisions of the pickup step, with a stand-in for Kamailio's KSR.

The pickup itself (a branch appended to the ringing call, the phones'
audio, the lamps) is tested against a running Kamailio in test_pickup.py.
"""

from __future__ import annotations

import pytest

from tests.fake_ksr import FakeKsr

RINGING_AT_102 = {
    "$sht(ringing=>102)": "5:7:a84b4c76e66710@pc33",
    "$sht(ringing=>call:a84b4c76e66710@pc33)": "102",
}


@pytest.fixture
def ksr(monkeypatch):
    fake = FakeKsr(pv={"$rm": "INVITE", "$au": "101", "$rU": "102"})
    fake.install(monkeypatch)
    fake.returns["pv.is_null"] = lambda name: -1 if name in fake.values else 1
    return fake


@pytest.fixture
def route(ksr):
    from agent.sip import routing

    return routing.Routing(routing.RoutingSettings(realm="pbx.example"))


def test_a_replaces_for_the_early_dialog_of_a_ringing_call_picks_it_up(ksr, route):
    ksr.values |= RINGING_AT_102
    ksr.values["$hdr(Replaces)"] = "a84b4c76e66710@pc33;to-tag=1;from-tag=2"

    assert route.pickup("INVITE") is True
    assert ksr.called("tsilo.ts_append_to_uri") == [
        (5, 7, "location", "sip:101@pbx.example")
    ]
    assert ksr.replies() == [(487, "Picked Up")]


def test_a_replaces_of_a_call_that_rings_nowhere_goes_on_as_an_ordinary_call(
    ksr, route
):
    ksr.values["$hdr(Replaces)"] = "other-call@pc33;to-tag=1;from-tag=2"

    assert route.pickup("INVITE") is False
    assert ksr.replies() == []
    assert not ksr.called("tsilo.ts_append_to_uri")


def test_a_replaces_of_a_call_answered_meanwhile_goes_on_with_its_replaces(ksr, route):
    ksr.values |= RINGING_AT_102
    ksr.values["$hdr(Replaces)"] = "a84b4c76e66710@pc33;to-tag=1;from-tag=2"
    ksr.returns["tsilo.ts_append_to_uri"] = -3  # the call was answered

    assert route.pickup("INVITE") is False
    assert ksr.replies() == []
    assert not ksr.called("hdr.remove")


def test_a_replaces_call_id_is_never_read_as_a_variable_name(ksr, route):
    ksr.values["$hdr(Replaces)"] = "$(sht(ringing=>102));to-tag=1"

    assert route.pickup("INVITE") is False
    read = [args[0] for args in ksr.called("pv.get")]
    assert not any("$(sht" in name for name in read)


def test_a_call_that_ended_meanwhile_is_nothing_to_pick_up(ksr, route):
    ksr.values |= RINGING_AT_102
    ksr.values["$rU"] = "**102"
    ksr.returns["tsilo.ts_append_to_uri"] = -3  # a final reply was sent

    assert route.pickup("INVITE") is True
    assert ksr.replies() == [(480, "Nothing To Pick Up")]
    assert ("ringing", "102") in ksr.called("htable.sht_rm")


def test_only_an_invite_of_an_extension_is_a_pickup(ksr, route):
    ksr.values["$rU"] = "*8"
    assert route.pickup("MESSAGE") is False
    del ksr.values["$au"]
    assert route.pickup("INVITE") is False
    assert ksr.replies() == []
