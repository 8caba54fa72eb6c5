"""The network settings through the REST API, on an appliance in a namespace."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests import netns_lan
from tests.netns_lan import LAN_PORT, ROUTER_OTHER, START_ADDRESS
from tests.pbx import RunningPbx
from webadmin.openapi import document


@pytest.fixture(scope="module")
def lan():
    net = netns_lan.lan_or_skip()
    yield net
    net.delete()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory, lan):
    root = tmp_path_factory.mktemp("root")
    appliance = RunningPbx(
        tmp_path_factory.mktemp("network-api") / "var",
        netns=lan.appliance,
        extra_env={"EDGEPBX_SYSTEM_ROOT": str(root)},
    ).start()
    yield appliance
    appliance.stop()


def _token(pbx: RunningPbx, role: str) -> str:
    made = pbx.cli("token", "create", "--role", role, "--name", role, "--json")
    assert made.returncode == 0, made.stderr
    return made.json()["token"]


def _call(pbx, token: str, method: str, path: str, body: dict | None = None) -> dict:
    args = [str(pbx.https_port), str(pbx.certificate), token, method, path]
    if body is not None:
        args.append(json.dumps(body))
    result = subprocess.run(
        [*pbx.prefix, sys.executable, "-m", "tests.netns_request", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_put_applies_on_trial_and_confirm_keeps_it(pbx, lan):
    token = _token(pbx, "super-administrator")
    settings = {
        "interface": LAN_PORT,
        "mode": "static",
        "address": "203.0.113.20/24",
        "gateway": ROUTER_OTHER,
        "dns": ["203.0.113.53"],
        "confirm_within_s": 30,
    }
    applied = _call(pbx, token, "PUT", "/api/v1/network", settings)
    assert applied["status"] == 202, applied
    assert applied["body"]["confirm_within_s"] == 30
    assert lan.addresses() == ["203.0.113.20/24"]

    again = _call(pbx, token, "PUT", "/api/v1/network", settings)
    assert again["status"] == 409

    kept = _call(pbx, token, "POST", "/api/v1/network/confirm")
    assert kept["status"] == 200, kept
    status = _call(pbx, token, "GET", "/api/v1/network")["body"]
    assert status["settings"]["address"] == "203.0.113.20/24"
    assert status["pending"] is None
    lan_port = next(i for i in status["interfaces"] if i["name"] == LAN_PORT)
    assert "203.0.113.20/24" in lan_port["addresses"]

    back = _call(
        pbx, token, "PUT", "/api/v1/network",
        {"interface": LAN_PORT, "mode": "static", "address": START_ADDRESS},
    )  # fmt: skip
    assert back["status"] == 202
    assert _call(pbx, token, "POST", "/api/v1/network/revert")["body"] == {
        "reverted": True
    }
    assert lan.addresses() == ["203.0.113.20/24"]


def test_bad_settings_get_a_problem_naming_the_field(pbx, lan):
    token = _token(pbx, "super-administrator")
    before = lan.addresses()
    reply = _call(
        pbx, token, "PUT", "/api/v1/network",
        {"interface": LAN_PORT, "mode": "static", "address": "203.0.113.300/24"},
    )  # fmt: skip
    assert reply["status"] == 422
    assert reply["body"]["field"] == "address"
    assert lan.addresses() == before


def test_administrators_see_the_network_but_may_not_change_it(pbx):
    token = _token(pbx, "administrator")
    assert _call(pbx, token, "GET", "/api/v1/network")["status"] == 200
    refused = _call(
        pbx, token, "PUT", "/api/v1/network", {"interface": LAN_PORT, "mode": "dhcp"}
    )
    assert refused["status"] == 403
    operator = _token(pbx, "operator")
    assert _call(pbx, operator, "GET", "/api/v1/network")["status"] == 403


def test_the_openapi_document_describes_the_network_routes():
    paths = document()["paths"]
    assert set(paths["/network"]) == {"get", "put"}
    assert "post" in paths["/network/confirm"]
    assert "post" in paths["/network/revert"]


def test_the_network_page_applies_on_trial_and_keeps_on_request(pbx, lan):
    reset = pbx.cli("admin", "reset-password", "--json")
    assert reset.returncode == 0, reset.stderr
    password = reset.json()["one_time_password"]
    form = {
        "interface": LAN_PORT,
        "mode": "static",
        "address": "203.0.113.30/24",
        "gateway": ROUTER_OTHER,
        "dns": "203.0.113.53",
        "hostname": "pbx-page",
        "timezone": "UTC",
    }
    bad = dict(form, gateway="198.51.100.1")
    steps = [
        ["GET", "/network"],
        ["POST", "/network", bad, "/network"],
        ["POST", "/network", form, "/network"],
        ["GET", "/network?done=applied"],
        ["POST", "/network/confirm", {}, "/network"],
        ["GET", "/network?done=kept"],
    ]
    result = subprocess.run(
        [*pbx.prefix, sys.executable, "-m", "tests.netns_session",
         str(pbx.https_port), str(pbx.certificate), password, json.dumps(steps)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first, refused, applied, trial, kept, after = json.loads(result.stdout)

    assert first["status"] == 200
    assert 'href="/network"' in first["body"]
    assert refused["status"] == 422
    assert "gateway" in refused["body"] and "must be inside" in refused["body"]
    assert applied["status"] == 303
    assert "on trial (203.0.113.30/24)" in trial["body"]
    assert "Keep" in trial["body"]
    assert kept["status"] == 303
    assert "The network settings are kept." in after["body"]
    assert "on trial" not in after["body"]
    assert "203.0.113.30/24" in after["body"]
    assert "203.0.113.30/24" in lan.addresses()


def test_the_network_settings_and_the_wizard_share_one_time_zone(pbx, lan):
    root = Path(pbx.extra_env["EDGEPBX_SYSTEM_ROOT"])
    token = _token(pbx, "super-administrator")
    settings = {
        "interface": LAN_PORT,
        "mode": "static",
        "address": "203.0.113.20/24",
        "gateway": ROUTER_OTHER,
        "timezone": "Asia/Tokyo",
        "confirm_within_s": 30,
    }

    # A zone given with the network settings is the appliance's, at once:
    # the PBX's clocks and the system's.
    assert _call(pbx, token, "PUT", "/api/v1/network", settings)["status"] == 202
    assert _call(pbx, token, "POST", "/api/v1/network/confirm")["status"] == 200
    with contextlib.closing(
        sqlite3.connect(pbx.data_dir / "db" / "edgepbx.sqlite")
    ) as db:
        (stored,) = db.execute(
            "SELECT value FROM system_setting WHERE key = 'system.timezone'"
        ).fetchone()
    assert json.loads(stored) == "Asia/Tokyo"
    assert os.readlink(root / "etc/localtime").endswith("zoneinfo/Asia/Tokyo")

    # The wizard's zone is the one the network settings show and the system has.
    reset = pbx.cli("admin", "reset-password", "--json")
    password = reset.json()["one_time_password"]
    steps = [
        ["POST", "/setup/timezone", {"timezone": "Europe/Lisbon"}, "/setup/timezone"]
    ]
    result = subprocess.run(
        [*pbx.prefix, sys.executable, "-m", "tests.netns_session",
         str(pbx.https_port), str(pbx.certificate), password, json.dumps(steps)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    status = _call(pbx, token, "GET", "/api/v1/network")["body"]
    assert status["settings"]["timezone"] == "Europe/Lisbon"
    assert os.readlink(root / "etc/localtime").endswith("zoneinfo/Europe/Lisbon")
