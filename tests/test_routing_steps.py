"""The decisions of each routing step, with a stand-in for Kamailio's KSR."""

from __future__ import annotations

import pytest

from tests.fake_ksr import FakeKsr


@pytest.fixture
def ksr(monkeypatch):

    fake = FakeKsr(
        pv={"$rm": "INVITE", "$ru": "sip:102@pbx", "$au": "101", "$si": "192.0.2.7"}
    )
    fake.install(monkeypatch)
    # Out of dialog, not a retransmission, not to the server itself.
    fake.returns.update(
        {
            "siputils.has_totag": -1,
            "tmx.t_precheck_trans": -1,
            "tm.t_check_trans": -1,
            "is_myself_ruri": False,
            "nathelper.nat_uac_test": -1,
        }
    )
    return fake


@pytest.fixture
def route(ksr):
    from agent.sip import routing

    return routing.Routing(routing.RoutingSettings(realm="pbx.example"))


def test_call_to_a_registered_extension_is_relayed_with_record_route(ksr, route):
    route.ksr_request_route(None)
    assert ksr.called("rr.record_route")
    assert ksr.called("tm.t_relay")
    assert ksr.replies() == []


def test_call_to_a_number_that_is_no_extension_gets_404(ksr, route):
    ksr.returns["auth_db.is_subscriber"] = -1
    route.ksr_request_route(None)
    assert ksr.replies() == [(404, "Not Found")]
    assert not ksr.called("tm.t_relay")


def test_call_to_an_extension_without_phones_gets_480(ksr, route):
    ksr.returns["registrar.lookup"] = -1
    route.ksr_request_route(None)
    assert ksr.replies() == [(480, "Temporarily Unavailable")]


@pytest.mark.parametrize("failure", [-1, -2, -3, -4, -5, -6])
def test_every_credential_failure_gets_the_same_challenge(ksr, route, failure):
    ksr.returns["auth_db.auth_check"] = failure
    ksr.returns["hdr.is_present"] = 1
    route.ksr_request_route(None)
    assert ksr.called("auth.auth_challenge") == [("pbx.example", 0)]
    assert ksr.replies() == []
    assert not ksr.called("tm.t_relay")


def test_failed_credentials_are_logged_with_user_and_source(ksr, route):
    ksr.returns["auth_db.auth_check"] = -2
    ksr.returns["hdr.is_present"] = 1
    route.ksr_request_route(None)
    [(line,)] = ksr.called("notice")
    assert "101" in line and "192.0.2.7" in line


def test_proxy_credentials_are_removed_before_the_call_is_relayed(ksr, route):
    route.ksr_request_route(None)
    assert ksr.called("auth.consume_credentials")


def test_register_is_saved_and_not_relayed(ksr, route):
    ksr.method = "REGISTER"
    route.ksr_request_route(None)
    assert ksr.called("registrar.save") == [("location", 0)]
    assert not ksr.called("tm.t_relay")
    assert not ksr.called("auth.consume_credentials")
    # Registrations skip the dialog and transaction steps entirely.
    assert not ksr.called("siputils.has_totag")
    assert not ksr.called("tmx.t_precheck_trans")


def test_in_dialog_request_follows_the_route_set_without_auth(ksr, route):
    ksr.method = "BYE"
    ksr.returns["siputils.has_totag"] = 1
    ksr.returns["rr.loose_route"] = 1
    route.ksr_request_route(None)
    assert ksr.called("tm.t_relay")
    assert not ksr.called("auth_db.auth_check")


def test_in_dialog_request_without_route_gets_404(ksr, route):
    ksr.method = "BYE"
    ksr.returns["siputils.has_totag"] = 1
    ksr.returns["rr.loose_route"] = -1
    route.ksr_request_route(None)
    assert ksr.replies() == [(404, "Not here")]


def test_request_out_of_hops_gets_483(ksr, route):
    ksr.returns["maxfwd.process_maxfwd"] = -1
    route.ksr_request_route(None)
    assert ksr.replies() == [(483, "Too Many Hops")]


@pytest.mark.parametrize("event", [None, "presence", "message-summary"])
def test_subscriptions_to_other_events_are_refused_with_489(ksr, route, event):
    ksr.method = "SUBSCRIBE"
    ksr.values["$hdr(Event)"] = event
    route.ksr_request_route(None)
    assert ksr.replies() == [(489, "Bad Event")]
    assert ksr.called("hdr.append_to_reply") == [("Allow-Events: dialog\r\n",)]
    assert not ksr.called("auth_db.auth_check")


def test_a_dialog_subscription_is_authenticated_then_handed_to_presence(ksr, route):
    ksr.method = "SUBSCRIBE"
    ksr.values["$hdr(Event)"] = "Dialog;id=7"
    ksr.returns["is_myself_ruri"] = True
    route.ksr_request_route(None)
    assert ksr.called("auth_db.auth_check")
    assert ksr.called("pv.sets") == [("$rd", "pbx.example")]
    assert ksr.called("presence.handle_subscribe")


def test_a_phone_may_not_publish(ksr, route):
    ksr.method = "PUBLISH"
    ksr.values.update({"$hdr(Event)": "dialog", "$Ri": "192.0.2.1"})
    route.ksr_request_route(None)
    assert ksr.replies() == [(403, "Forbidden")]
    assert not ksr.called("presence.handle_publish")


def test_this_server_s_own_publish_goes_to_presence(ksr, route):
    ksr.method = "PUBLISH"
    own = {"$si": "192.0.2.1", "$sp": 5060, "$Ri": "192.0.2.1", "$Rp": 5060}
    ksr.values.update({"$hdr(Event)": "dialog", **own})
    route.ksr_request_route(None)
    assert ksr.called("presence.handle_publish")
    assert ksr.replies() == []


def test_a_call_between_extensions_lights_both_lamps(ksr, route):
    ksr.returns["pv.is_null"] = lambda name: 0 if ksr.values.get(name) else 1
    ksr.values["$rU"] = "102"
    ksr.returns["pv.get"] = lambda name: (
        ksr.values.get(name) if name != "$avp(dialed)" else "102"
    )
    route.ksr_request_route(None)
    sets = ksr.called("pv.sets")
    assert ("$avp(blf_caller)", "sip:101@pbx.example") in sets
    assert ("$avp(blf_callee)", "sip:102@pbx.example") in sets
    assert ksr.called("dialog.dlg_manage")


def test_nated_caller_gets_its_contact_fixed(ksr, route):
    ksr.returns["nathelper.nat_uac_test"] = 1
    route.ksr_request_route(None)
    assert ksr.called("force_rport")
    assert ksr.called("nathelper.fix_nated_contact")


@pytest.mark.parametrize(
    ("transport", "from_trunk", "nated"),
    [("udp", False, True), ("tcp", False, False), ("udp", True, False)],
    ids=["phone-udp", "phone-tcp", "carrier"],
)
@pytest.mark.parametrize("message", ["request", "reply"])
def test_a_contact_naming_a_port_it_was_not_sent_from_is_nated_for_a_udp_phone(
    ksr, route, transport, from_trunk, nated, message
):
    from agent.sip.outside import NAT_TEST_CONTACT_PORT, Trunk

    # Only the Contact's port tells: no private address, the Via as sent.
    ksr.returns["nathelper.nat_uac_test"] = lambda tests: (
        1 if tests == NAT_TEST_CONTACT_PORT else -1
    )
    ksr.values.update({"$pr": transport, "$sp": "5070"})
    if from_trunk:
        address = ("192.0.2.7", 5070)
        carrier = Trunk(1, "acme", "peer", *address, "udp", "", "", "pai", "to")
        route.dialplan.current().sources[address] = carrier

    if message == "request":
        assert route.natdetect("INVITE") is False  # the pipeline goes on
    else:
        route.fix_nated_reply()  # the step of every reply route

    assert bool(ksr.called("nathelper.fix_nated_contact")) is nated


@pytest.mark.parametrize(("found", "extension"), [(1, True), (-1, False)])
def test_whether_a_number_is_an_extension_asks_only_if_its_account_exists(
    ksr, found, extension
):
    from agent.sip.outside import is_extension

    ksr.returns["auth_db.is_subscriber"] = found
    assert is_extension("sip:101@pbx.example") is extension
    # Flag 2: whether the user exists, none of its credentials loaded.
    assert ksr.called("auth_db.is_subscriber") == [
        ("sip:101@pbx.example", "subscriber", 2)
    ]


def test_routing_settings_round_trip():
    from agent.sip.routing import RoutingSettings

    settings = RoutingSettings(realm="pbx.example")
    assert RoutingSettings.parse(str(settings)) == settings
    with pytest.raises(ValueError, match="realm"):
        RoutingSettings.parse('{"realm": ""}')


@pytest.fixture
def reporting_route(ksr, tmp_path):
    """The routing with its event socket bound here, to read what it sends."""
    import json
    import socket

    from agent.sip import routing

    path = tmp_path / "events.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    route = routing.Routing(
        routing.RoutingSettings(realm="pbx.example", events_socket=str(path))
    )
    yield route, lambda: json.loads(sock.recv(4096))
    sock.close()


def test_a_wrong_password_is_reported_to_the_jail(ksr, reporting_route):
    route, received = reporting_route
    ksr.returns["auth_db.auth_check"] = -2
    ksr.returns["hdr.is_present"] = 1
    route.ksr_request_route(None)
    event = received()
    assert event["kind"] == "sip-auth-failed"
    assert (event["source_ip"], event["subject"]) == ("192.0.2.7", "101")


def test_a_stale_nonce_is_not_reported_as_a_failure(ksr, reporting_route):
    route, received = reporting_route
    ksr.returns["auth_db.auth_check"] = -6
    ksr.returns["hdr.is_present"] = 1
    route.ksr_request_route(None)
    assert ksr.called("auth.auth_challenge")
    with pytest.raises(TimeoutError):
        received()


def test_a_scanner_is_dropped_without_reply_and_reported(ksr, reporting_route):
    route, received = reporting_route
    ksr.values["$ua"] = "friendly-scanner"
    route.ksr_request_route(None)
    assert ksr.replies() == []
    assert not ksr.called("auth_db.auth_check")
    assert received()["kind"] == "sip-scanner"


def test_a_flood_blocks_the_source_in_the_htable_and_is_reported(ksr, reporting_route):
    route, received = reporting_route
    ksr.returns["pike.pike_check_req"] = -1
    route.ksr_request_route(None)
    assert ksr.replies() == []
    assert ksr.called("pv.seti") == [("$sht(ipban=>$si)", 1)]
    assert received()["kind"] == "sip-flood"


def test_a_blocked_flooder_is_dropped_before_anything_else(ksr, route):
    ksr.returns["pv.is_null"] = -1  # the source is in the ipban htable
    route.ksr_request_route(None)
    assert ksr.calls == [
        ("pv.get", ("$rm",)),
        ("pv.get", ("$si",)),
        ("pv.is_null", ("$sht(ipban=>$si)",)),
    ]


def test_reporting_never_fails_a_request_when_the_agent_is_down(ksr, tmp_path):
    from agent.sip import routing

    settings = routing.RoutingSettings(
        realm="pbx.example", events_socket=str(tmp_path / "nobody-listens.sock")
    )
    ksr.returns["auth_db.auth_check"] = -2
    ksr.returns["hdr.is_present"] = 1
    routing.Routing(settings).ksr_request_route(None)
    assert ksr.called("auth.auth_challenge") == [("pbx.example", 0)]


def test_routing_settings_survive_their_round_trip():
    from agent.sip.routing import RoutingSettings

    settings = RoutingSettings(
        realm="pbx.example",
        events_socket="/run/x.sock",
        music_on_hold="/data/cache/music-on-hold.wav",
    )
    assert RoutingSettings.parse(str(settings)) == settings
    with pytest.raises(ValueError, match="music_on_hold must be a string"):
        RoutingSettings.parse('{"realm": "pbx", "music_on_hold": 7}')


@pytest.fixture
def media_route(ksr):
    from agent.sip import routing

    return routing.Routing(
        routing.RoutingSettings(realm="pbx.example", media_token="t0ken")
    )


def test_an_ivr_menu_s_number_goes_to_a_media_worker(ksr, media_route, monkeypatch):
    ksr.values["$rU"] = "600"
    ksr.returns["auth_db.is_subscriber"] = -1
    ksr.returns["isflagset"] = False
    monkeypatch.setattr(
        media_route,
        "is_numbered_in",
        lambda table, n: (table, n) == ("ivr_menu", "600"),
    )
    media_route.ksr_request_route(None)
    assert ksr.called("dispatcher.ds_select_dst") == [(1, 4)]
    assert ("X-Edgepbx-Media: t0ken\r\n",) in ksr.called("hdr.append")
    assert ksr.called("tm.t_relay")
    assert ksr.replies() == []


def test_a_call_queue_s_number_goes_to_a_media_worker(ksr, media_route, monkeypatch):
    ksr.values["$rU"] = "650"
    ksr.returns["auth_db.is_subscriber"] = -1
    ksr.returns["isflagset"] = False
    monkeypatch.setattr(
        media_route,
        "is_numbered_in",
        lambda table, n: (table, n) == ("call_queue", "650"),
    )
    sent = []
    monkeypatch.setattr(
        media_route.calls, "send", lambda kind, _, **fields: sent.append((kind, fields))
    )
    media_route.ksr_request_route(None)
    assert ksr.called("dispatcher.ds_select_dst") == [(1, 4)]
    assert ksr.called("tm.t_relay")
    assert ksr.replies() == []
    # The call record hears of the queue before the worker's answer.
    assert [kind for kind, _ in sent] == ["started", "queued"]
    assert sent[1][1] == {"queue": "650"}


def test_a_queue_s_call_to_an_agent_from_the_media_service_is_record_routed(
    ksr, media_route
):
    ksr.values["$rm"] = "INVITE"
    ksr.values["$rU"] = "102"
    ksr.values["$si"] = "127.0.0.1"
    ksr.values["$hdr(X-Edgepbx-Media)"] = "t0ken"
    assert media_route.from_media_service("INVITE") is True
    assert ksr.called("registrar.lookup")
    assert ksr.called("rr.record_route")
    assert ksr.called("tm.t_relay")


def test_a_number_of_no_extension_menu_or_room_is_not_taken_by_media(ksr, media_route):
    ksr.values["$rU"] = "0044201234"
    ksr.returns["auth_db.is_subscriber"] = -1
    assert media_route.to_service_number("INVITE") is False
    assert not ksr.called("dispatcher.ds_select_dst")


def test_a_feature_code_goes_to_a_media_worker(ksr, media_route):
    ksr.values["$rU"] = "*97"
    media_route.ksr_request_route(None)
    assert ksr.called("dispatcher.ds_select_dst")
    assert not ksr.called("registrar.lookup")


def test_a_phone_cannot_send_the_media_headers_on(ksr, media_route):
    ksr.values["$rU"] = "102"
    media_route.ksr_request_route(None)
    removed = [args[0] for args in ksr.called("hdr.remove")]
    assert {"X-Edgepbx-Media", "X-Edgepbx-Voicemail"} <= set(removed)


def test_a_busy_callee_s_call_goes_to_voicemail(ksr, media_route):
    ksr.returns["tm.t_is_canceled"] = -1
    ksr.returns["isflagset"] = False
    ksr.values["$T_reply_code"] = 486
    ksr.values["$avp(dialed)"] = "102"
    media_route.ksr_failure_route_manage(None)
    assert ("X-Edgepbx-Voicemail: busy\r\n",) in ksr.called("hdr.append")
    assert ("$ru", "sip:102@pbx.example") in ksr.called("pv.sets")
    assert ksr.called("tm.t_relay")


def test_a_declined_call_goes_to_voicemail_as_a_busy_one(ksr, media_route):
    ksr.returns["tm.t_is_canceled"] = -1
    ksr.returns["isflagset"] = False
    ksr.values["$T_reply_code"] = 603
    ksr.values["$avp(dialed)"] = "102"
    media_route.ksr_failure_route_manage(None)
    assert ("X-Edgepbx-Voicemail: busy\r\n",) in ksr.called("hdr.append")
    assert ksr.called("tm.t_relay")


def test_a_dead_media_worker_hands_the_call_to_the_next(ksr, media_route):
    ksr.returns["tm.t_is_canceled"] = -1
    ksr.returns["isflagset"] = True
    ksr.values["$T_reply_code"] = 408
    ksr.values["$avp(voicemail)"] = "busy"
    media_route.ksr_failure_route_manage(None)
    assert ksr.called("dispatcher.ds_next_dst")
    assert ksr.called("tm.t_relay")
    # Headers added for the first worker are gone: the next one gets them anew.
    assert ("X-Edgepbx-Voicemail: busy\r\n",) in ksr.called("hdr.append")
    assert ("X-Edgepbx-Media: t0ken\r\n",) in ksr.called("hdr.append")


def test_a_worker_that_finds_no_mailbox_answers_the_caller(ksr, media_route):
    ksr.returns["tm.t_is_canceled"] = -1
    ksr.returns["isflagset"] = True
    ksr.values["$T_reply_code"] = 486
    ksr.values["$T_reply_reason"] = "No Voicemail"
    media_route.ksr_failure_route_manage(None)
    assert not ksr.called("dispatcher.ds_next_dst")
    assert not ksr.called("tm.t_relay")


def test_calls_to_a_conference_room_meet_on_one_worker(ksr, tmp_path):
    import sqlite3

    from agent.sip import routing

    db = tmp_path / "config.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE conference_room (number TEXT)")
        con.execute("INSERT INTO conference_room VALUES ('800')")
    route = routing.Routing(
        routing.RoutingSettings(
            realm="pbx.example", media_token="t0ken", config_db=str(db)
        )
    )
    ksr.values["$rU"] = "800"
    ksr.returns["auth_db.is_subscriber"] = -1
    flags = set()
    ksr.returns["setflag"] = lambda flag: flags.add(flag)
    ksr.returns["isflagset"] = lambda flag: flag in flags
    route.ksr_request_route(None)
    assert ksr.called("dispatcher.ds_select_dst") == [(1, 7)]


def test_the_media_token_from_elsewhere_is_refused(ksr, media_route):
    ksr.values["$hdr(X-Edgepbx-Media)"] = "t0ken"
    ksr.values["$si"] = "192.0.2.7"
    media_route.ksr_request_route(None)
    assert ksr.replies() == [(403, "Forbidden")]


def test_a_media_notify_from_the_loopback_is_relayed_without_auth(ksr, media_route):
    ksr.method = "NOTIFY"
    ksr.values["$hdr(X-Edgepbx-Media)"] = "t0ken"
    ksr.values["$si"] = "127.0.0.1"
    media_route.ksr_request_route(None)
    assert not ksr.called("auth_db.auth_check")
    assert ksr.called("registrar.lookup")
    assert ksr.called("tm.t_relay")


def test_a_call_from_a_phone_behind_nat_goes_through_the_media_relay(ksr, route):
    ksr.returns["nathelper.nat_uac_test"] = 1
    ksr.returns["isbflagset"] = False
    ksr.returns["isflagset"] = lambda flag: flag == 5  # set by natdetect
    ksr.returns["textops.has_body_type"] = 1
    route.ksr_request_route(None)
    assert ksr.called("rtpengine.rtpengine_manage")
    assert ksr.called("rr.add_rr_param") == [(";mr=1",)]


def test_a_call_between_phones_on_the_lan_keeps_its_media_direct(ksr, route):
    ksr.returns["isbflagset"] = False
    ksr.returns["isflagset"] = False
    route.ksr_request_route(None)
    assert ksr.called("tm.t_relay")
    assert not ksr.called("rtpengine.rtpengine_manage")


@pytest.mark.parametrize(
    ("settings", "recorded"),
    [
        ({"101": "outbound"}, True),
        ({"101": "both"}, True),
        ({"102": "inbound"}, True),
        ({"101": "inbound", "102": "outbound"}, False),
        ({}, False),
    ],
)
def test_a_recorded_call_between_lan_phones_goes_through_the_relay_recording(
    ksr, route, monkeypatch, settings, recorded
):
    from agent.sip.outside import Dialplan

    monkeypatch.setattr(route.dialplan, "current", lambda: Dialplan(recording=settings))
    ksr.values["$avp(dialed)"] = "102"
    ksr.returns["pv.is_null"] = lambda name: 0 if ksr.values.get(name) else 1
    ksr.returns["isbflagset"] = False
    ksr.returns["isflagset"] = False
    ksr.returns["textops.has_body_type"] = 1
    route.ksr_request_route(None)
    assert ksr.called("tm.t_relay")
    offers = [flags for (flags,) in ksr.called("rtpengine.rtpengine_manage")]
    if recorded:
        assert len(offers) == 1 and offers[0].endswith(" record-call=yes")
    else:
        assert offers == []


def test_a_ring_longer_than_timer_c_gets_a_transaction_life_to_match(ksr):
    from agent.sip import routing

    ring_ms = 300_000  # EDGEPBX_RING_TIMEOUT_S allows 300 s
    route = routing.Routing(
        routing.RoutingSettings(realm="pbx.example", ring_ms=ring_ms)
    )
    route.ksr_request_route(None)
    assert ksr.called("tm.t_set_fr") == [(ring_ms, routing.PHONE_REPLY_TIMEOUT_MS)]
    [(life_ms, _)] = ksr.called("tm.t_set_max_lifetime")
    # Timer C's default of 180 s would end the call before its voicemail.
    assert life_ms > ring_ms + routing.PHONE_REPLY_TIMEOUT_MS
    assert ksr.called("tm.t_relay")


def test_the_ring_time_travels_in_the_routing_settings():
    from agent.sip.routing import RoutingSettings

    settings = RoutingSettings(realm="pbx", ring_ms=90_000)
    assert RoutingSettings.parse(str(settings)) == settings
    with pytest.raises(ValueError, match="ring_ms"):
        RoutingSettings.parse('{"realm": "pbx", "ring_ms": "90"}')


def test_a_phone_s_own_auto_answer_header_is_removed_from_an_ordinary_call(ksr, route):
    ksr.values["$hdr(Call-Info)"] = "<sip:pbx>;answer-after=0"
    route.ksr_request_route(None)
    removed = [args[0] for args in ksr.called("hdr.remove")]
    assert "Call-Info" in removed and "Alert-Info" in removed
    assert ksr.called("tm.t_relay")


def test_an_ordinary_call_info_is_left_on_an_ordinary_call(ksr, route):
    ksr.values["$hdr(Call-Info)"] = "<http://pbx/a.png>;purpose=icon"
    route.ksr_request_route(None)
    removed = [args[0] for args in ksr.called("hdr.remove")]
    assert "Call-Info" not in removed


def test_intercom_to_an_extension_adds_the_auto_answer_header(ksr, route):
    ksr.values["$rU"] = "*80102"
    ksr.returns["registrar.reg_fetch_contacts"] = 1
    ksr.values["$ulc(intercom=>count)"] = "1"
    ksr.values["$(ulc(intercom=>user_agent)[0])"] = "Yealink SIP-T46S 66.86"
    route.ksr_request_route(None)
    appended = [args[0] for args in ksr.called("hdr.append")]
    assert "Alert-Info: <sip:pbx.example>;info=alert-autoanswer;delay=0\r\n" in appended
    assert ksr.called("tm.t_relay")
    assert ksr.replies() == []


def test_intercom_to_an_unknown_number_gets_404(ksr, route):
    ksr.values["$rU"] = "*80999"
    ksr.returns["auth_db.is_subscriber"] = -1
    route.ksr_request_route(None)
    assert ksr.replies() == [(404, "No Such Extension")]
    assert not ksr.called("tm.t_relay")
