"""What a request of a phone not in the inventory tells (vendor, model, MAC)
and what the agent keeps of it: a real SQLite database, a clock the test
moves."""

from __future__ import annotations

import pytest

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.provisioning.inventory import PhoneService
from agent.provisioning.seen import SeenPhoneService
from agent.provisioning.sightings import (
    NEW_ROW_WINDOW_S,
    UPDATE_INTERVAL_S,
    Sighting,
    SightingRecorder,
    from_request,
    from_subscribe,
    from_user_agent,
)
from tests.test_accounts import settings_in


@pytest.mark.parametrize(
    ("user_agent", "vendor", "model"),
    [
        ("Yealink SIP-T54W 96.86.0.100 80:5e:c0:aa:bb:cc", "yealink", "T54W"),
        ("Mozilla/4.0 (compatible; snomD785-SIP 10.1.54.13 1.1.3-s)", "snom", "D785"),
        ("FileTransport PolycomVVX-VVX_450-UA/6.4.0.0000", "polycom", "VVX450"),
        (
            "FileTransport PolyEdge-Edge_E450-UA/8.0.0.15602 Type/Application",
            "polycom",
            "E450",
        ),
        ("PolyEdge-Edge_E350-UA/8.3.1.0614", "polycom", "E350"),
        (
            "Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82aabbcc",
            "grandstream",
            "GXP2170",
        ),
        ("Cisco-CP-8851-3PCC/11.3.1 (00562b043615)", "cisco", "CP-8851-3PCC"),
        ("Fanvil X6U 2.12.1 0c383eaabbcc", "fanvil", "X6U"),
        ("Yealink SIP-CP960 73.86.0.15", "yealink", ""),  # not a model served here
        ("curl/8.0", "", ""),
    ],
)
def test_each_vendors_user_agent_names_vendor_and_model(user_agent, vendor, model):
    assert from_user_agent(user_agent) == (vendor, model)


@pytest.mark.parametrize(
    ("name", "user_agent", "vendor", "model"),
    [
        ("001122334455.cfg", "Fanvil X4U 2.12.1", "fanvil", "X4U"),
        ("001565aabbcc.cfg", None, "yealink", ""),  # by the OUI, over TFTP
        ("001122334455.cfg", None, "", ""),  # Yealink, Poly or Fanvil: unknown
        ("cfg000b82aabbcc.xml", None, "grandstream", ""),
        ("cfg001122334455", None, "grandstream", ""),  # the binary file
        ("cfg001122334455.bin", None, "grandstream", ""),
        ("001122334455-phone.cfg", None, "polycom", ""),
        ("001122334455-web.cfg", None, "polycom", ""),
        ("phone001122334455.cfg", None, "polycom", ""),
        ("snomD785-000413aabbcc.htm", None, "snom", "D785"),
    ],
)
def test_a_mac_file_name_and_user_agent_give_the_sighting(
    name, user_agent, vendor, model
):
    seen = from_request(name, user_agent, "192.0.2.10", "http")

    assert (seen.vendor, seen.model) == (vendor, model)
    assert len(seen.mac) == 12 and seen.mac in name.lower()


@pytest.mark.parametrize(
    "name",
    [
        "y000000000000.cfg",
        "index.html",
        "01005e000001.cfg",
        "cfg.xml",
        "000000000000.cfg",  # Poly's default master file
        "000000000000-directory.xml",
    ],
)
def test_names_that_are_no_phones_own_file_are_no_sighting(name):
    assert from_request(name, None, "192.0.2.10", "tftp") is None


def test_a_plug_and_play_subscribe_is_a_sighting_with_its_model():
    seen = from_subscribe("Yealink", "SIP-T54W", "805EC0AABBCC", "192.0.2.10")

    assert seen == Sighting("805ec0aabbcc", "yealink", "T54W", "192.0.2.10", "pnp")
    assert from_subscribe("Yealink", "T54W", None, "192.0.2.10") is None


def test_a_sighting_crosses_to_the_agent_whole_and_junk_is_refused():
    seen = from_request("805ec0aabbcc.cfg", "Yealink SIP-T54W", "192.0.2.10", "https")

    assert Sighting.from_wire(seen.to_wire()) == seen
    for junk in (
        b"[]",
        b'{"mac": "nope", "source_ip": "192.0.2.1", "via": "http"}',
        b'{"mac": "805ec0aabbcc", "source_ip": "x", "via": "http"}',
        b'{"mac": "805ec0aabbcc", "source_ip": "192.0.2.1", "via": "ftp"}',
        b"x" * 3000,
    ):
        with pytest.raises(ValueError):
            Sighting.from_wire(junk)


@pytest.fixture
def appliance(tmp_path):
    opened = Appliance.open(settings_in(tmp_path))
    yield opened
    opened.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def listed(appliance) -> dict:
    return {row.mac: row for row in SeenPhoneService(appliance.key, CONSOLE).list()}


def sighting(mac: str, source: str = "192.0.2.10", via: str = "tftp") -> Sighting:
    return Sighting(mac, "yealink", "", source, via)


def test_an_address_walking_mac_addresses_adds_one_row_a_minute(appliance):
    clock = Clock()
    recorder = SightingRecorder(clock=clock)

    first = [recorder.record(sighting(f"80c0ee{n:06x}")) for n in range(50)]
    other = recorder.record(sighting("80c0ee999999", source="192.0.2.11"))
    clock.now += NEW_ROW_WINDOW_S
    later = recorder.record(sighting("80c0ee000031"))

    assert first == ["new"] + ["held"] * 49
    assert other == later == "new"
    assert set(listed(appliance)) == {"80c0ee000000", "80c0ee999999", "80c0ee000031"}


def test_a_phone_asking_again_is_counted_and_written_now_and_then(appliance):
    clock = Clock()
    recorder = SightingRecorder(clock=clock)
    mac = "805ec0000001"

    outcomes = [recorder.record(sighting(mac, via="tftp"))]
    outcomes += [recorder.record(sighting(mac, via="tftp")) for _ in range(3)]
    clock.now += UPDATE_INTERVAL_S
    later = Sighting(mac, "yealink", "T54W", "192.0.2.12", "http", "Yealink SIP-T54W")
    outcomes.append(recorder.record(later))
    row = listed(appliance)[mac]

    assert outcomes == ["new", "counted", "counted", "counted", "updated"]
    assert row.times_seen == 5
    assert (row.model, row.source_ip, row.via) == ("T54W", "192.0.2.12", "http")


def test_the_list_keeps_the_most_recent_phones_up_to_its_cap(appliance):
    clock = Clock()
    recorder = SightingRecorder(max_rows=3, clock=clock)

    for n in range(5):
        recorder.record(sighting(f"805ec000010{n}", source=f"192.0.2.{n + 1}"))

    assert set(listed(appliance)) == {"805ec0000102", "805ec0000103", "805ec0000104"}


def test_a_phone_in_the_inventory_is_never_listed(appliance):
    appliance.extensions.add("101", "Front desk")
    recorder = SightingRecorder()
    recorder.record(sighting("805ec0000201"))

    assigned = SeenPhoneService(appliance.key, CONSOLE).assign(
        "80:5E:C0:00:02:01", ["101"], "T46U"
    )
    again = recorder.record(sighting("805ec0000201", source="192.0.2.99"))

    assert (assigned.vendor, assigned.model, assigned.extensions) == (
        "yealink",
        "T46U",
        ["101"],
    )
    assert again == "known"
    assert listed(appliance) == {}


def test_a_phone_added_by_hand_leaves_the_list_for_good(appliance):
    appliance.extensions.add("101", "Front desk")
    SightingRecorder().record(sighting("805ec0000301"))
    phones = PhoneService(appliance.key, CONSOLE)

    phones.add("805ec0000301", "yealink", "T54W", ["101"])
    phones.remove("805ec0000301")

    assert listed(appliance) == {}
