"""Each vendor's files, rendered from fixed values: parsed with a parser of
their format, held to the documented key lists, and compared with golden
files (``tests/golden/``) that were read by a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.provisioning.profile import LineAccount, PhoneProfile, SiteProfile
from agent.provisioning.vendors import yealink

GOLDEN = Path(__file__).with_name("golden")

SITE = SiteProfile(
    server="192.0.2.10",
    port=5060,
    transport="udp",
    time_zone="Europe/Berlin",
    ntp_server="pool.ntp.org",
    language="de",
)
PHONE = PhoneProfile(
    mac="805ec0aabbcc",
    vendor="yealink",
    model="T54W",
    admin_password="Adm1nPassw0rdXyz",
    lines=(
        LineAccount(1, "101", "Front desk", "Sip-Passw0rd-101"),
        LineAccount(2, "102", "Office", "Sip-Passw0rd-102"),
    ),
    site=SITE,
)


def parse_yealink(content: bytes) -> dict[str, str]:
    """Yealink's format: the version line, then key = value or comments."""
    lines = content.decode("utf-8").splitlines()
    assert lines[0] == "#!version:1.0.0.1"
    values: dict[str, str] = {}
    for line in lines[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition(" = ")
        assert sep, f"not key = value: {line!r}"
        assert key not in values, f"{key} twice"
        values[key] = value
    return values


def generic(key: str) -> str:
    """account.2.label -> account.N.label, as the documented list names it."""
    parts = key.split(".")
    if parts[0] == "account" or key.startswith("voice_mail.number."):
        index = 1 if parts[0] == "account" else 2
        parts[index] = "N"
    return ".".join(parts)


def test_yealink_mac_file_has_each_line_with_its_credentials_and_server():
    values = parse_yealink(yealink.render_mac_file(PHONE))

    assert {generic(key) for key in values} <= yealink.MAC_FILE_KEYS
    assert values["account.1.user_name"] == "101"
    assert values["account.1.auth_name"] == "101"
    assert values["account.1.password"] == "Sip-Passw0rd-101"
    assert values["account.2.display_name"] == "Office"
    assert values["account.2.sip_server.1.address"] == "192.0.2.10"
    assert values["account.2.sip_server.1.port"] == "5060"
    assert values["account.1.sip_server.1.transport_type"] == "0"  # UDP
    assert values["voice_mail.number.1"] == "*97"
    assert values["static.security.user_password"] == "admin:Adm1nPassw0rdXyz"


def test_yealink_common_file_sets_time_and_language():
    values = parse_yealink(yealink.render_common(SITE))

    assert set(values) <= yealink.COMMON_KEYS
    assert values["local_time.time_zone"] == "+1"  # Berlin's standard offset
    assert values["local_time.ntp_server1"] == "pool.ntp.org"
    assert values["lang.gui"] == "German"


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("UTC", "0"), ("America/New_York", "-5"), ("Asia/Kolkata", "+5:30")],
)
def test_yealink_time_zone_is_the_standard_offset(zone, shown):
    site = SiteProfile("192.0.2.10", 5060, "udp", zone, "pool.ntp.org", "en")
    assert parse_yealink(yealink.render_common(site))["local_time.time_zone"] == shown


@pytest.mark.parametrize(
    ("golden", "render"),
    [
        ("yealink-805ec0aabbcc.cfg", lambda: yealink.render_mac_file(PHONE)),
        ("yealink-y000000000000.cfg", lambda: yealink.render_common(SITE)),
    ],
)
def test_rendered_files_match_their_golden_files(golden, render):
    assert render() == (GOLDEN / golden).read_bytes()
