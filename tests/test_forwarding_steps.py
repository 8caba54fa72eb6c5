"""The forwarding step's rules, without Kamailio (the calls themselves are
tested with real phones in tests/test_forwarding.py)."""

from __future__ import annotations

from agent.sip import forwarding, outside, routing
from agent.sip.forwarding import MAX_FORWARDS, may_forward


def test_the_forwarding_step_shares_the_routing_s_names_and_codes():
    assert forwarding.DIALED_AVP == routing.DIALED_AVP
    assert forwarding.FLAG_NATED_SOURCE == routing.FLAG_NATED_SOURCE
    assert forwarding.FLAG_NAT_BRANCH == routing.FLAG_NAT_BRANCH
    assert forwarding.FLAG_TO_ROOM == routing.FLAG_TO_ROOM
    assert forwarding.LOCATION_TABLE == routing.LOCATION_TABLE


def test_a_forward_back_to_an_extension_reached_or_past_the_limit_is_not_followed():
    assert may_forward(["101"], "102")
    assert not may_forward(["101", "102"], "101")
    path = [str(100 + n) for n in range(MAX_FORWARDS)]
    assert may_forward(path, "5551234")
    assert not may_forward([*path, "199"], "5551234")


def test_each_message_flag_means_one_thing():
    flags = [
        routing.FLAG_NATED_SOURCE,
        routing.FLAG_TO_MEDIA,
        routing.FLAG_TO_ROOM,
        outside.FLAG_MEDIA_RELAY,
    ]
    assert len(set(flags)) == len(flags)
