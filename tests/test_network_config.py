"""The network settings' rules, and their stored form read back unchanged."""

from __future__ import annotations

import pytest

from agent.errors import InvalidInput
from agent.network.config import NetworkConfig


def test_settings_read_back_from_their_stored_form_are_the_same():
    config = NetworkConfig.parse(
        {
            "interface": "eth0",
            "mode": "static",
            "address": "192.0.2.10/24",
            "gateway": "192.0.2.1",
            "dns": "192.0.2.53, 192.0.2.54",
            "voice_vlan": {"id": "20", "address": "10.20.0.1/24"},
            "hostname": "PBX-Office",
            "ntp": ["ntp.example.org"],
            "timezone": "Europe/Berlin",
        }
    )
    assert config.dns == ["192.0.2.53", "192.0.2.54"]
    assert config.hostname == "pbx-office"
    assert config.vlan_interface == "eth0.20"
    assert NetworkConfig.parse(config.to_dict()) == config


@pytest.mark.parametrize(
    ("values", "field", "rule"),
    [
        ({"interface": "eth0", "mode": "pppoe"}, "mode", "dhcp or static"),
        ({"interface": "eth0", "mode": "static"}, "address", "needed"),
        (
            {"interface": "eth0", "mode": "static", "address": "192.0.2.0/24"},
            "address",
            "network's own",
        ),
        ({"interface": "eth0", "address": "192.0.2.10/24"}, "address", "only with"),
        ({"interface": "eth0", "dns": ["a", "b", "c", "d"]}, "dns", "at most 3"),
        ({"interface": "eth0", "dns": ["192.0.2.999"]}, "dns[0]", "IPv4"),
        (
            {"interface": "eth0", "voice_vlan": {"id": 4095, "address": "10.2.0.1/24"}},
            "voice_vlan.id",
            "1 to 4094",
        ),
        (
            {
                "interface": "eth0",
                "mode": "static",
                "address": "10.2.0.10/16",
                "voice_vlan": {"id": 20, "address": "10.2.5.1/24"},
            },
            "voice_vlan.address",
            "another network",
        ),
        ({"interface": "eth0", "hostname": "-bad-"}, "hostname", "a-z"),
        ({"interface": "eth0", "timezone": "Mars/Olympus"}, "timezone", "time zone"),
        ({"interface": "a-very-long-interface"}, "interface", "1 to 15"),
        ({"interface": "eth0", "colour": "blue"}, "colour", "unknown"),
    ],
)
def test_each_broken_rule_names_its_field(values, field, rule):
    with pytest.raises(InvalidInput) as refused:
        NetworkConfig.parse(values)
    assert refused.value.field == field
    assert rule in str(refused.value)
