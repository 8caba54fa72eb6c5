"""The feature-code table: listed, changed and reset through the CLI, the
API and the admin page, with bad codes refused naming the field.

On a real database and web server; dialling the codes with real phones is
in tests/test_forwarding.py.
"""

from __future__ import annotations

import pytest

from tests.webclient import client, signed_in


def codes(pbx) -> dict[str, str]:
    result = pbx.cli("feature-codes", "list", "--json")
    assert result.returncode == 0, result.stderr
    return {entry["feature"]: entry["code"] for entry in result.json()}


def refused(result, field: str) -> str:
    assert result.returncode == 2, result.stdout
    error = result.json()["error"]
    assert error["field"] == field, error
    return error["message"]


def test_every_feature_is_listed_with_its_default_code(pbx_data):
    listed = codes(pbx_data)
    assert listed["voicemail_own"] == "*97"
    assert listed["dnd_on"] == "*78"
    assert listed["forward_always"] == "*72"
    assert listed["call_waiting_off"] == "*71"
    assert listed["speed_dial"] == "*0"
    assert (listed["intercom"], listed["pickup_group"]) == ("*80", "*8")
    assert listed["pickup_directed"] == "**"
    assert {"queue_login", "queue_logout"} <= set(listed)


def test_a_code_is_changed_and_reset(pbx_data):
    changed = pbx_data.cli("feature-codes", "set", "dnd_on", "#78", "--json")
    assert changed.returncode == 0, changed.stdout
    assert changed.json() | {"description": ""} == {
        "feature": "dnd_on",
        "code": "#78",
        "default": "*78",
        "description": "",
        "takes_number": False,
    }
    assert codes(pbx_data)["dnd_on"] == "#78"

    reset = pbx_data.cli("feature-codes", "reset", "dnd_on", "--json")
    assert reset.json()["code"] == "*78"
    assert codes(pbx_data)["dnd_on"] == "*78"

    # The shipped table's own prefix (pickup *8 beside intercom *80 and
    # park *85) is allowed, and may move along.
    for feature, code in (("pickup_group", "*3"), ("intercom", "*30")):
        moved = pbx_data.cli("feature-codes", "set", feature, code)
        assert moved.returncode == 0, moved.stdout + moved.stderr
    for feature in ("intercom", "pickup_group"):
        back = pbx_data.cli("feature-codes", "reset", feature)
        assert back.returncode == 0, back.stdout + back.stderr


@pytest.mark.parametrize(
    ("feature", "code", "field", "rule"),
    [
        ("dnd_on", "*7a", "code", "each *, # or a digit"),
        ("dnd_on", "*", "code", "2 to 8 characters"),
        ("dnd_on", "*97", "code", "the code of voicemail_own"),
        ("dnd_on", "*723", "code", "the code of forward_always"),
        ("forward_always", "*7", "code", "the code of dnd_on"),
        ("dnd_on", "*9", "code", "begins *97, the code of voicemail_own"),
        ("dnd_on", "*913", "code", "begins with *91, the code of forward_busy_off"),
        ("park", "*4", "code", "begins *45, the code of queue_login"),
        ("dnd_on", "101", "code", "101 is already an extension's number"),
        ("forward_always", "10", "code", "101 is already an extension's number"),
        ("no_such_thing", "*55", "feature", "no such feature"),
    ],
)
def test_a_bad_code_is_refused_naming_the_field_and_nothing_changes(
    pbx_data, feature, code, field, rule
):
    pbx_data.add_extension("101")
    before = codes(pbx_data)

    result = pbx_data.cli("feature-codes", "set", feature, code, "--json")

    assert result.returncode != 0
    error = result.json()["error"]
    assert error["field"] == field, error
    assert rule in error["message"]
    assert codes(pbx_data) == before


def test_an_extension_numbered_like_a_feature_code_is_refused(pbx_data):
    assert pbx_data.cli("feature-codes", "set", "dnd_on", "555").returncode == 0

    result = pbx_data.cli("extension", "add", "555", "--name", "Clash", "--json")

    assert "feature code dnd_on" in refused(result, "extension")


def test_the_api_sets_and_resets_a_code_and_refuses_a_bad_one(pbx):
    web = client(pbx)
    made = pbx.cli("token", "create", "--role", "administrator", "--json")
    web.bearer = made.json()["token"]

    put = web.request(
        "PUT", "/api/v1/feature-codes/forward_always", json_body={"code": "*74"}
    )
    bad = web.request(
        "PUT", "/api/v1/feature-codes/forward_always", json_body={"code": "*78"}
    )
    shown = web.get("/api/v1/feature-codes/forward_always")
    reset = web.request("DELETE", "/api/v1/feature-codes/forward_always")
    spec = web.get("/api/v1/openapi.json")

    assert put.status == 200 and put.json()["code"] == "*74"
    assert bad.status == 422 and bad.json()["field"] == "code"
    assert shown.json()["code"] == "*74"
    assert reset.status == 200 and reset.json()["code"] == "*72"
    assert "/feature-codes/{feature}" in spec.json()["paths"]


def test_the_page_changes_a_code_and_shows_a_refused_one_beside_it(pbx):
    web = signed_in(pbx, "administrator")

    saved = web.post_form(
        "/feature-codes/call_waiting_off", {"code": "*77"}, csrf_from="/feature-codes"
    )
    refused_reply = web.post_form(
        "/feature-codes/call_waiting_on", {"code": "*77"}, csrf_from="/feature-codes"
    )

    assert saved.headers["location"].startswith(
        "/feature-codes?notice=feature-code-saved"
    )
    assert refused_reply.status == 422
    assert 'id="error-call_waiting_on"' in refused_reply.body
    assert "the code of call_waiting_off" in refused_reply.body
    assert codes(pbx)["call_waiting_on"] == "*70"
    assert 'value="*77"' in web.get("/feature-codes").body
