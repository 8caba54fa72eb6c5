"""The decisions on a REFER, with a stand-in for Kamailio's KSR.

Transfers themselves (phones, audio, records, carriers) are tested against
a running Kamailio in test_transfer.py.
"""

from __future__ import annotations

import time

import pytest

from agent.media.engine import asserted_identity
from agent.sip.transfer import identity_parts, refer_to_parts
from tests.fake_ksr import FakeKsr


@pytest.fixture
def ksr(monkeypatch):
    fake = FakeKsr(pv={"$rm": "REFER", "$au": "102", "$tU": "101", "$si": "10.0.0.5"})
    fake.values["$sp"] = 5060
    fake.install(monkeypatch)
    fake.returns["dispatcher.ds_is_from_list"] = -1
    # Only the PBX's own address is "myself".
    fake.returns["is_myself"] = lambda uri: 1 if uri == "sip:pbx.example" else -1
    return fake


@pytest.fixture
def route(ksr):
    from agent.sip import routing

    return routing.Routing(routing.RoutingSettings(realm="pbx.example"))


def test_refer_to_is_read_with_its_replaces():
    assert refer_to_parts("<sip:103@pbx.example;transport=udp>") == (
        "103",
        "pbx.example;transport=udp",
        False,
    )
    assert refer_to_parts(
        "<sip:103@pbx.example?Require=replaces&Replaces=abc%3Bto-tag%3D1>"
    ) == ("103", "pbx.example", True)
    assert refer_to_parts("<tel:+15551230>")[0] == ""


def test_a_refer_to_another_host_is_refused_before_any_phone_follows_it(ksr, route):
    ksr.values["$hdr(Refer-To)"] = "<sip:0044900123@sip.elsewhere.example>"

    assert route.transfer_request("REFER") is True
    assert ksr.replies() == [(403, "Transfer Target Not On This PBX")]
    assert not ksr.called("htable.sht_sets")


def test_a_refer_to_an_extension_is_noted_for_the_transferee_and_relayed(ksr, route):
    ksr.values["$hdr(Refer-To)"] = "<sip:103@pbx.example>"

    assert route.transfer_request("REFER") is False
    assert ksr.replies() == []
    ((table, key, note),) = ksr.called("htable.sht_sets")
    assert (table, key, note.split()[0]) == ("transfers", "101:103", "102")


def test_a_refer_without_credentials_is_challenged(ksr, route):
    ksr.values["$hdr(Refer-To)"] = "<sip:103@pbx.example>"
    ksr.returns["auth_db.auth_check"] = -5  # no credentials

    assert route.transfer_request("REFER") is True
    assert ksr.called("auth.auth_challenge") == [("pbx.example", 0)]
    assert not ksr.called("htable.sht_sets")


def test_a_transferee_s_own_referred_by_is_removed(ksr, route):
    ksr.method = "INVITE"
    ksr.values["$rU"] = "103"
    ksr.returns["htable.sht_get"] = None  # nothing noted

    assert route.transferred("INVITE") is False
    assert ksr.called("hdr.remove") == [("Referred-By",)]
    assert not ksr.called("hdr.append")


def test_a_refer_outside_any_call_is_refused(ksr, route):
    assert route.transferred("REFER") is True
    assert ksr.replies() == [(403, "Transfer Only Within A Call")]


def test_a_noted_transfer_serves_one_call_and_only_until_its_deadline(
    ksr, route, monkeypatch
):
    from agent.sip import transfer

    ksr.values["$hdr(Refer-To)"] = "<sip:103@pbx.example>"
    monkeypatch.setattr(transfer.time, "time", lambda: 1000.0)
    route.transfer_request("REFER")
    ((table, key, note),) = ksr.called("htable.sht_sets")
    assert (table, key, note) == ("transfers", "101:103", "102 1008")

    ksr.returns["htable.sht_get"] = note
    assert route.take_transfer("101", "103") == ("102", "")
    assert ksr.called("htable.sht_rm") == [("transfers", "101:103")]

    monkeypatch.setattr(transfer.time, "time", lambda: 1009.0)
    assert route.take_transfer("101", "103") == (None, "")


def test_the_caller_a_worker_asserts_is_read_back_whatever_its_name_holds():
    for name in ("Ann Lee", 'Ann "A" Lee', "back\\slash <x>", ""):
        value = asserted_identity("+4930123", name, "pbx.example:5060")
        assert identity_parts(value) == ("+4930123", name)
    assert identity_parts("sip:101@pbx.example") == ("", "")


def test_a_refer_to_a_media_worker_is_noted_for_that_worker(ksr, route, monkeypatch):
    from agent.sip import transfer

    monkeypatch.setattr(transfer.time, "time", lambda: 1000.0)
    ksr.values.update({"$tU": "media", "$rd": "127.0.0.1", "$rp": 5071})
    ksr.values["$hdr(Refer-To)"] = "<sip:103@pbx.example>"
    ksr.values["$dlg_var(held_caller)"] = '"Ann Lee" <sip:101@pbx.example>'

    assert route.transfer_request("REFER") is False
    assert ksr.called("htable.sht_sets") == [
        (
            "transfers",
            "media@127.0.0.1:5071:103",
            '102 1008 "Ann Lee" <sip:101@pbx.example>',
        )
    ]


def test_the_agent_s_refer_names_the_worker_by_its_contact_as_it_shows_the_caller(
    ksr, route, monkeypatch
):
    from agent.sip import transfer

    monkeypatch.setattr(transfer.time, "time", lambda: 1000.0)
    ksr.values.update({"$tU": "101", "$rU": "media", "$rd": "127.0.0.1", "$rp": 5071})
    ksr.values["$hdr(Refer-To)"] = "<sip:103@pbx.example>"

    assert route.transfer_request("REFER") is False
    ((_, key, _),) = ksr.called("htable.sht_sets")
    assert key == "media@127.0.0.1:5071:103"


def test_a_worker_s_call_to_an_agent_comes_from_the_caller_it_asserts(ksr, route):
    ksr.values["$hdr(P-Asserted-Identity)"] = '"Ann Lee" <sip:101@127.0.0.1:5060>'

    route.remember_held_caller()
    assert ksr.called("pv.sets") == [
        ("$dlg_var(held_caller)", '"Ann Lee" <sip:101@127.0.0.1:5060>')
    ]
    assert ksr.called("uac.uac_replace_from") == [('"Ann Lee"', "sip:101@pbx.example")]


def test_the_worker_s_call_to_an_extension_comes_from_the_caller_it_holds(ksr, route):
    ksr.method = "INVITE"
    ksr.values.update({"$si": "127.0.0.1", "$sp": 5071, "$rU": "103"})
    ksr.returns["dispatcher.ds_is_from_list"] = 1
    ksr.returns["auth_db.is_subscriber"] = 1
    deadline = str(int(time.time()) + 5)
    ksr.returns["htable.sht_get"] = "102 " + deadline + ' "Ann Lee" <sip:101@x>'

    assert route.transfer_by_media_worker("INVITE") is True
    assert ksr.called("uac.uac_replace_from") == [('"Ann Lee"', "sip:101@pbx.example")]
    assert ksr.called("pv.sets") == [
        ("$avp(transferred_by)", "102"),
        ("$avp(transferred_caller)", "101"),
        ("$avp(transferred_caller_name)", "Ann Lee"),
    ]


def test_the_worker_s_call_out_for_a_transfer_names_the_caller_it_holds(ksr, route):
    """A number that goes out keeps its From for the trunk's branch route,
    which presents the held caller as the caller ID (agent/sip/outside.py)."""
    ksr.method = "INVITE"
    ksr.values.update({"$si": "127.0.0.1", "$sp": 5071, "$rU": "15551230"})
    ksr.returns["dispatcher.ds_is_from_list"] = 1
    ksr.returns["auth_db.is_subscriber"] = -1
    deadline = str(int(time.time()) + 5)
    ksr.returns["htable.sht_get"] = "102 " + deadline + ' "Ann Lee" <sip:101@x>'

    assert route.transfer_by_media_worker("INVITE") is True
    assert not ksr.called("uac.uac_replace_from")
    assert ksr.called("pv.sets") == [
        ("$avp(transferred_by)", "102"),
        ("$avp(transferred_caller)", "101"),
        ("$avp(transferred_caller_name)", "Ann Lee"),
    ]


def test_the_worker_s_call_that_follows_it_is_the_transferer_s(ksr, route):
    ksr.method = "INVITE"
    ksr.values.update({"$si": "127.0.0.1", "$sp": 5071, "$rU": "103"})
    ksr.returns["dispatcher.ds_is_from_list"] = 1
    ksr.returns["htable.sht_get"] = "102 " + str(int(time.time()) + 5)

    assert route.transfer_by_media_worker("INVITE") is True
    assert ksr.called("htable.sht_get") == [("transfers", "media@127.0.0.1:5071:103")]
    assert ksr.called("pv.sets") == [("$avp(transferred_by)", "102")]
    assert ksr.called("hdr.append") == [("Referred-By: <sip:102@pbx.example>\r\n",)]


def test_a_worker_s_call_that_follows_no_noted_refer_is_no_one_s(ksr, route):
    ksr.method = "INVITE"
    ksr.values.update({"$si": "127.0.0.1", "$sp": 5071, "$rU": "0044900123"})
    ksr.returns["dispatcher.ds_is_from_list"] = 1
    ksr.returns["htable.sht_get"] = None

    assert route.transfer_by_media_worker("INVITE") is False
    assert not ksr.called("hdr.append")
