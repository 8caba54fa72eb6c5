"""Phones seen by the files only they ask for, on a running appliance: a
Grandstream asking for its binary ``cfg<mac>`` over TFTP (Debian's tftp-hpa
client) and a Poly asking for its ``<mac>-phone.cfg`` over HTTP are listed
with their vendor, as are a Poly asking for its ``phone<mac>.cfg`` and a
Grandstream for its ``cfg<mac>.xml``, while Poly's default
``000000000000.cfg`` lists nothing.

A module of its own: TFTP requests all come from 127.0.0.1, and the list
takes one new phone per address a minute."""

from __future__ import annotations

import pytest

from tests.pbx import RunningPbx
from tests.test_seen_phones import http_get, seen, wait_listed
from tests.test_tftp import tftp_hpa

GRANDSTREAM_MAC = "c074ad0a0b01"
POLY_MAC = "482567a0b002"  # not an OUI the appliance knows as Poly's
POLY_PHONE, DEFAULT_ASKER = "127.0.0.5", "127.0.0.6"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("seen-files") / "var").start()
    yield running
    running.stop()


def test_a_grandstream_asking_for_its_binary_file_over_tftp_is_listed(office, tmp_path):
    result = tftp_hpa(office, f"cfg{GRANDSTREAM_MAC}", tmp_path / "x")

    row = wait_listed(office, GRANDSTREAM_MAC).get(GRANDSTREAM_MAC)
    assert "Error code 1: File not found" in result.stdout + result.stderr
    assert row is not None
    assert (row["vendor"], row["via"]) == ("grandstream", "tftp")


def test_a_poly_asking_for_its_phone_overrides_over_http_is_listed(office):
    default = http_get(office, "/prov/000000000000.cfg", DEFAULT_ASKER)
    status, body = http_get(office, f"/prov/{POLY_MAC}-phone.cfg", POLY_PHONE)

    row = wait_listed(office, POLY_MAC).get(POLY_MAC)
    assert (status, body) == default == (404, b"no provisioning file here\n")
    assert row is not None
    assert (row["vendor"], row["source_ip"], row["via"]) == (
        "polycom",
        POLY_PHONE,
        "http",
    )
    assert "000000000000" not in seen(office)  # asked first, never listed


@pytest.mark.parametrize(
    ("name", "mac", "vendor", "source"),
    [
        ("phone{}.cfg", "482567a0b003", "polycom", "127.0.0.7"),
        ("cfg{}.xml", "482567a0b004", "grandstream", "127.0.0.8"),
    ],
)
def test_a_phone_asking_for_its_own_file_by_another_name_is_listed(
    office, name, mac, vendor, source
):
    status, _ = http_get(office, "/prov/" + name.format(mac), source)

    row = wait_listed(office, mac).get(mac)
    assert status == 404
    assert row is not None
    assert (row["vendor"], row["source_ip"]) == (vendor, source)
