"""Busy lamp fields: a phone watching another extension sees it ring, talk
and hang up (RFC 4235 dialog event package), through a real Kamailio.

The watching phone is hand-made SIP (tests.sipraw.DialogWatcher), as pjsua2
subscribes only to presence; the calls are between real pjsua2 phones.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.pbx import RunningPbx
from tests.sipphone import Phone
from tests.sipraw import DialogWatcher, SipClient


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("blf") / "var").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def passwords(pbx):
    return {number: pbx.add_extension(number) for number in ("101", "102", "103")}


def phone(pbx, user, password, tone_hz) -> Phone:
    return Phone(user, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=tone_hz)


@contextlib.contextmanager
def watching(
    pbx, passwords, target: str
) -> Iterator[tuple[DialogWatcher, Phone, Phone]]:
    """101 and 102 registered, and 103's lamp on target, its first state read
    (off: no call yet, or the last one ended)."""
    with (
        DialogWatcher("127.0.0.1", pbx.sip_port) as lamp,
        phone(pbx, "101", passwords["101"], 697) as caller,
        phone(pbx, "102", passwords["102"], 1209) as callee,
    ):
        assert (caller.register(), callee.register()) == (200, 200)
        reply = lamp.subscribe("103", passwords["103"], target)
        assert reply.status in (200, 202)
        assert lamp.next_state() in ("idle", "terminated")
        yield lamp, caller, callee


def test_a_lamp_follows_the_watched_extension_through_a_call(pbx, passwords):
    with watching(pbx, passwords, "102") as (lamp, caller, callee):
        callee.answer_incoming = "ring"
        call = caller.call("102")
        incoming = callee.wait_incoming()
        assert lamp.wait_state("early")[-1] == "early"  # ringing: blinking

        incoming.answer()
        call.wait_confirmed()
        assert lamp.wait_state("confirmed")[-1] == "confirmed"  # in a call: lit

        call.hangup()
        incoming.wait_disconnected()
        assert lamp.wait_state("terminated")[-1] == "terminated"  # off again
        assert lamp.states.index("early") < lamp.states.index("confirmed")


def test_the_caller_s_own_lamp_lights_while_it_calls(pbx, passwords):
    with watching(pbx, passwords, "101") as (lamp, caller, callee):
        callee.answer_incoming = "answer"
        call = caller.call("102")
        call.wait_confirmed()
        assert lamp.wait_state("confirmed")[-1] == "confirmed"
        call.hangup()
        assert lamp.wait_state("terminated")[-1] == "terminated"


def test_a_subscription_is_refreshed_and_ended_inside_its_dialog(pbx, passwords):
    with DialogWatcher("127.0.0.1", pbx.sip_port) as lamp:
        assert lamp.subscribe("103", passwords["103"], "102").status in (200, 202)
        lamp.wait_notifies(1)
        refreshed = lamp.refresh(expires=600)
        lamp.wait_notifies(2)
        ended = lamp.refresh(expires=0)
        lamp.wait_notifies(3)
        gone = lamp.refresh(expires=600)
    assert refreshed.status in (200, 202)
    assert ended.status in (200, 202)
    assert lamp.subscription_states == ["active", "active", "terminated"]
    assert gone.status == 481  # RFC 6665 section 4.2.1.1: no such subscription


def test_watching_needs_credentials_and_an_extension(pbx, passwords):
    with DialogWatcher("127.0.0.1", pbx.sip_port) as lamp:
        anonymous = lamp.send(
            "SUBSCRIBE",
            f"sip:102@127.0.0.1:{pbx.sip_port}",
            "103",
            to_user="102",
            extra_headers=["Event: dialog", "Expires: 600"],
        )
        unknown = lamp.subscribe("103", passwords["103"], "555")
        wrong_password = lamp.subscribe("103", "not-the-password", "102")
    assert anonymous.status == 407
    assert unknown.status == 404
    assert wrong_password.status == 407


def test_other_event_packages_and_phones_publishing_are_refused(pbx, passwords):
    uri = f"sip:102@127.0.0.1:{pbx.sip_port}"
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        presence = client.send(
            "SUBSCRIBE", uri, "103", to_user="102", extra_headers=["Event: presence"]
        )
        publish = client.send_with_auth(
            "PUBLISH",
            uri,
            "103",
            passwords["103"],
            to_user="102",
            extra_headers=["Event: dialog", "Expires: 600"],
        )
    assert (presence.status, presence.header("Allow-Events")) == (489, "dialog")
    assert publish.status == 403
