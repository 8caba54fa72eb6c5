"""Caller ID per extension, as the carrier and the other phones see it.

A real local carrier (tests.carrier) logs every INVITE it gets; pjsua2
phones register at the PBX and at the carrier. An extension may present its
own outside number and name, withhold its number (by its setting, or with
the withhold code for one call), and show another name to its colleagues.
"""

from __future__ import annotations

import json

import pytest

from tests import browser_driver
from tests.carrier import Carrier
from tests.test_trunks import (
    ACCOUNT,
    ACCOUNT_PASSWORD,
    CARRIER_PHONE,
    CARRIER_PHONE_PASSWORD,
    add_register_trunk,
    carrier,  # noqa: F401 -- a fixture
    carrier_phone,
    extension_phone,
    wait_call_record,
    wait_trunk_state,
)
from tests.test_web_portal_home import text_of
from tests.webclient import api_client, portal_user, signed_in

MAIN_NUMBER = "15550111"
ROUTE_CALLER_ID = "5550122"
OUTSIDE_NUMBER = "+15550199"
OUTSIDE_NAME = "Alice Sales"
ANONYMOUS_URI = "sip:anonymous@anonymous.invalid"


def cli_ok(pbx, *args: str):
    result = pbx.cli(*args)
    assert result.returncode == 0, result.stderr
    return result


def add_route(pbx, *extra: str) -> None:
    cli_ok(pbx, "route", "add", "national", "--pattern", "9|1XXXXXXX",
           "--trunk", "acme", *extra)  # fmt: skip


def call_the_carrier(pbx, carrier, number, password, dialled):  # noqa: F811
    """One answered call from extension number to the carrier's phone; the
    INVITE the carrier got."""
    before = len(carrier.requests("INVITE"))
    with (
        extension_phone(pbx, number, password) as phone,
        carrier_phone(carrier) as callee,
    ):
        assert (phone.register(), callee.register()) == (200, 200)
        call = phone.call(dialled)
        call.wait_confirmed()
        incoming = callee.wait_incoming()
        incoming.wait_confirmed()
        call.hangup()
        incoming.wait_disconnected()
    invites = carrier.requests("INVITE")
    assert len(invites) > before, "the carrier got no INVITE"
    return invites[-1]


@pytest.fixture
def from_trunk(pbx, carrier):  # noqa: F811
    """Trunk acme presenting the caller ID in From, main number MAIN_NUMBER."""
    add_register_trunk(pbx, carrier, caller_id_header="from", main_number=MAIN_NUMBER)
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"


def test_the_carrier_sees_the_extensions_outside_caller_id_before_the_routes(
    pbx,
    carrier,  # noqa: F811
    from_trunk,
):
    alice = pbx.add_extension("101", "Alice")
    bob = pbx.add_extension("102", "Bob")
    cli_ok(pbx, "extension", "set", "101", "--outside-cid-number", OUTSIDE_NUMBER,
           "--outside-cid-name", OUTSIDE_NAME)  # fmt: skip
    add_route(pbx, "--caller-id", ROUTE_CALLER_ID)

    own = call_the_carrier(pbx, carrier, "101", alice, "9" + CARRIER_PHONE)
    routes = call_the_carrier(pbx, carrier, "102", bob, "9" + CARRIER_PHONE)

    assert own.from_uri == f"sip:{OUTSIDE_NUMBER}@127.0.0.1"
    assert own.from_name == OUTSIDE_NAME
    assert own.privacy == "<null>"
    assert routes.from_uri == f"sip:{ROUTE_CALLER_ID}@127.0.0.1"


def test_an_extension_with_no_caller_id_presents_the_trunks_main_number(
    pbx,
    carrier,  # noqa: F811
    from_trunk,
):
    bob = pbx.add_extension("102", "Bob")
    add_route(pbx)

    invite = call_the_carrier(pbx, carrier, "102", bob, "9" + CARRIER_PHONE)

    assert invite.from_uri == f"sip:{MAIN_NUMBER}@127.0.0.1"


@pytest.mark.parametrize("header", ["from", "pai", "rpid"])
def test_a_withheld_number_goes_anonymous_with_privacy_and_the_real_identity(
    pbx,
    carrier,  # noqa: F811
    header,
):
    add_register_trunk(pbx, carrier, caller_id_header=header)
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"
    alice = pbx.add_extension("101", "Alice")
    shown = cli_ok(pbx, "extension", "set", "101", "--outside-cid-number",
                   OUTSIDE_NUMBER, "--withhold-number", "on", "--json")  # fmt: skip
    assert shown.json()["withhold_number"] is True
    add_route(pbx)

    invite = call_the_carrier(pbx, carrier, "101", alice, "9" + CARRIER_PHONE)

    assert invite.from_uri == ANONYMOUS_URI
    assert bytes.fromhex(invite.from_name_hex).decode() == '"Anonymous"'
    assert invite.privacy == "id"
    assert invite.pai == f"sip:{OUTSIDE_NUMBER}@127.0.0.1"
    assert invite.rpid == "<null>"
    row = wait_call_record(pbx, "answered")
    assert (row["src"], row["dst"]) == ("101", "9" + CARRIER_PHONE)


def test_the_withhold_code_withholds_the_number_of_one_call_only(
    pbx,
    carrier,  # noqa: F811
    from_trunk,
):
    bob = pbx.add_extension("102", "Bob")
    add_route(pbx)

    withheld = call_the_carrier(pbx, carrier, "102", bob, "*679" + CARRIER_PHONE)
    record = wait_call_record(pbx, "answered")
    shown = call_the_carrier(pbx, carrier, "102", bob, "9" + CARRIER_PHONE)

    assert withheld.ruri.startswith(f"sip:{CARRIER_PHONE}@")
    assert (withheld.from_uri, withheld.privacy) == (ANONYMOUS_URI, "id")
    assert withheld.pai == f"sip:{MAIN_NUMBER}@127.0.0.1"
    assert (record["src"], record["dst"]) == ("102", "9" + CARRIER_PHONE)
    assert shown.from_uri == f"sip:{MAIN_NUMBER}@127.0.0.1"
    assert shown.privacy == "<null>"


def test_the_called_extensions_phone_shows_the_internal_caller_id_name(pbx):
    alice = pbx.add_extension("101", "Alice")
    bob = pbx.add_extension("102", "Bob")
    cli_ok(pbx, "extension", "set", "101", "--internal-cid-name", "Front Desk")

    with (
        extension_phone(pbx, "101", alice) as caller,
        extension_phone(pbx, "102", bob) as callee,
    ):
        assert (caller.register(), callee.register()) == (200, 200)
        call = caller.call("102")
        incoming = callee.wait_incoming()
        seen = incoming.remote_uri
        call.hangup()

    assert '"Front Desk"' in seen and "sip:101@" in seen


def test_without_an_internal_name_the_callee_sees_the_display_name(pbx):
    alice = pbx.add_extension("101", "Alice")
    bob = pbx.add_extension("102", "Bob")

    with (
        extension_phone(pbx, "101", alice) as caller,
        extension_phone(pbx, "102", bob) as callee,
    ):
        assert (caller.register(), callee.register()) == (200, 200)
        call = caller.call("102")
        seen = callee.wait_incoming().remote_uri
        call.hangup()

    assert seen.startswith('"Alice"') and "sip:101@" in seen


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--outside-cid-number", "1" * 16, "--outside-cid-number"),
        ("--outside-cid-number", "555-0100", "--outside-cid-number"),
        ("--outside-cid-name", 'say "hi"', "--outside-cid-name"),
        ("--internal-cid-name", "x" * 65, "--internal-cid-name"),
    ],
)
def test_bad_caller_id_values_are_refused_by_the_cli_naming_the_option(
    pbx_data, option, value, field
):
    pbx_data.add_extension("101", "Alice")
    cli_ok(pbx_data, "extension", "set", "101", "--outside-cid-number", "5550100")

    refused = pbx_data.cli(
        "extension", "set", "101", option, value, "--name", "Alice Smith"
    )
    shown = cli_ok(pbx_data, "extension", "show", "101", "--json").json()

    assert refused.returncode != 0
    assert field in refused.stderr
    assert (shown["display_name"], shown["outside_cid_number"]) == ("Alice", "5550100")
    assert (shown["outside_cid_name"], shown["internal_cid_name"]) == ("", "")


def test_bad_caller_id_values_are_refused_by_the_api_naming_the_field(pbx):
    pbx.add_extension("101", "Alice")
    api = api_client(pbx, "administrator")
    base = "/api/v1/extensions"
    set_ = api.request(
        "PATCH", f"{base}/101", json_body={"outside_cid_number": "+15550100"}
    )
    refused = api.request(
        "PATCH",
        f"{base}/101",
        json_body={"outside_cid_number": "12ab", "withhold_number": True},
    )
    not_boolean = api.request(
        "PATCH", f"{base}/101", json_body={"withhold_number": "yes"}
    )
    added = api.request(
        "POST",
        base,
        json_body={
            "number": "102",
            "display_name": "Bob",
            "internal_cid_name": "Reception",
            "withhold_number": True,
        },
    )
    shown = api.get(f"{base}/101").json()

    assert set_.status == 200 and set_.json()["outside_cid_number"] == "+15550100"
    assert refused.status == 422 and refused.json()["field"] == "outside_cid_number"
    assert not_boolean.status == 400
    assert not_boolean.json()["field"] == "withhold_number"
    assert shown["outside_cid_number"] == "+15550100"
    assert shown["withhold_number"] is False
    assert added.status == 201
    assert added.json()["internal_cid_name"] == "Reception"
    assert added.json()["withhold_number"] is True


def test_the_withhold_code_is_in_the_table_and_refused_when_it_clashes(pbx_data):
    listed = cli_ok(pbx_data, "feature-codes", "list", "--json").json()
    clash = pbx_data.cli("feature-codes", "set", "withhold_once", "*72")
    moved = cli_ok(pbx_data, "feature-codes", "set", "withhold_once", "*31", "--json")

    assert {"feature": "withhold_once", "code": "*67"}.items() <= next(
        row for row in listed if row["feature"] == "withhold_once"
    ).items()
    assert clash.returncode != 0 and "forward_always" in clash.stderr
    assert json.loads(moved.stdout)["code"] == "*31"


def test_the_account_is_the_trunks_user_in_from_when_the_number_is_shown(
    pbx,
    carrier,  # noqa: F811
):
    add_register_trunk(pbx, carrier, caller_id_header="pai")
    assert wait_trunk_state(pbx, "acme", "registered") == "registered"
    alice = pbx.add_extension("101", "Alice")
    cli_ok(pbx, "extension", "set", "101", "--outside-cid-number", OUTSIDE_NUMBER,
           "--outside-cid-name", OUTSIDE_NAME)  # fmt: skip
    add_route(pbx)

    invite = call_the_carrier(pbx, carrier, "101", alice, "9" + CARRIER_PHONE)

    assert invite.from_uri == f"sip:{ACCOUNT}@127.0.0.1"
    assert invite.pai == f"sip:{OUTSIDE_NUMBER}@127.0.0.1"
    assert f'"{OUTSIDE_NAME}"' in invite.asserted_identity


def test_the_extension_page_refuses_a_bad_number_and_saves_the_caller_id(
    pbx, browser_ready
):
    pbx.add_extension("101", "Alice")
    admin = signed_in(pbx)

    seen = browser_driver.run(
        "caller_id_form.mjs", pbx, session=admin.cookies["__Host-edgepbx_session"]
    )
    shown = cli_ok(pbx, "extension", "show", "101", "--json").json()

    assert seen["refused"]["error"].startswith("Outside number")
    assert "1 to 15 digits" in seen["refused"]["error"]
    assert seen["refused"]["keeps"] == "555-01ab"
    assert "saved" in seen["saved"]["notice"]
    assert (seen["saved"]["number"], seen["saved"]["withhold"]) == ("+15550199", True)
    assert shown["outside_cid_number"] == "+15550199"
    assert shown["outside_cid_name"] == "Alice Sales"
    assert shown["internal_cid_name"] == "Front Desk"
    assert shown["withhold_number"] is True


def test_the_portal_user_sees_their_caller_id_and_withholds_their_number(pbx):
    pbx.add_extension("101", "Alice")
    cli_ok(pbx, "extension", "set", "101", "--outside-cid-number", OUTSIDE_NUMBER,
           "--internal-cid-name", "Front Desk")  # fmt: skip
    user = portal_user(pbx, signed_in(pbx), "101")

    home = user.get("/portal").body
    on = user.post_form("/portal/withhold", {"withhold_number": "on"}, "/portal")
    withheld = cli_ok(pbx, "extension", "show", "101", "--json").json()
    shown_withheld = user.get("/portal").body
    off = user.post_form("/portal/withhold", {}, "/portal")
    shown = cli_ok(pbx, "extension", "show", "101", "--json").json()

    facts = text_of(home, "caller-id")
    assert OUTSIDE_NUMBER in facts and "Front Desk" in facts
    assert 'name="outside_cid_number"' not in home  # read only
    assert (on.status, off.status) == (303, 303)
    assert withheld["withhold_number"] is True
    assert "withheld" in text_of(shown_withheld, "caller-id")
    assert shown["withhold_number"] is False
    assert shown["outside_cid_number"] == OUTSIDE_NUMBER


def test_a_withheld_call_is_signed_for_a_carrier_that_challenges_invites(pbx):
    with Carrier(
        accounts={ACCOUNT: ACCOUNT_PASSWORD, CARRIER_PHONE: CARRIER_PHONE_PASSWORD},
        challenge_invites=True,
    ) as strict:
        add_register_trunk(pbx, strict, caller_id_header="pai")
        assert wait_trunk_state(pbx, "acme", "registered") == "registered"
        alice = pbx.add_extension("101", "Alice")
        cli_ok(pbx, "extension", "set", "101", "--outside-cid-number",
               OUTSIDE_NUMBER, "--withhold-number", "on")  # fmt: skip
        add_route(pbx)

        signed = call_the_carrier(pbx, strict, "101", alice, "9" + CARRIER_PHONE)

        assert len(strict.requests("INVITE")) == 2  # challenged once, then signed
        assert f"carrier-invite-authenticated user={ACCOUNT}" in strict.log()
        assert (signed.from_uri, signed.privacy) == (ANONYMOUS_URI, "id")
        assert signed.pai == f"sip:{OUTSIDE_NUMBER}@127.0.0.1"


def test_an_extension_is_added_with_its_caller_id_or_not_at_all(pbx_data):
    added = cli_ok(pbx_data, "extension", "add", "103", "--name", "Carol",
                   "--outside-cid-number", "+1 555 0103", "--outside-cid-name",
                   "Carol Sales", "--withhold-number", "on", "--json")  # fmt: skip
    added = added.json()
    refused = pbx_data.cli("extension", "add", "104", "--name", "Dan",
                           "--outside-cid-number", "0800-DAN")  # fmt: skip
    listed = cli_ok(pbx_data, "extension", "list", "--json").json()

    assert added["outside_cid_number"] == "+15550103"
    assert (added["outside_cid_name"], added["withhold_number"]) == (
        "Carol Sales",
        True,
    )
    assert added["internal_cid_name"] == ""
    assert refused.returncode != 0 and "--outside-cid-number" in refused.stderr
    assert [e["number"] for e in listed] == ["103"]
