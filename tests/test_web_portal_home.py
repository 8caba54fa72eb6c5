"""The portal's home page over real HTTPS: the user sees their presence as
callers meet it (a phone registered through the real SIP core, do-not-disturb,
forwarding) and changes their own name and e-mail address, with bad input
refused beside its field and every change in the audit log."""

from __future__ import annotations

import html
import re

import pytest

from agent.accounts.roles import Principal, Role
from agent.appliance import Appliance
from agent.errors import Forbidden
from tests.sipraw import SipClient
from tests.test_accounts import settings_in
from tests.webclient import portal_user, signed_in


def field_error(body: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', body)
    assert found, f"no error shown at {field}"
    return html.unescape(found.group(1))


def text_of(body: str, ident: str) -> str:
    found = re.search(rf'id="{ident}">(.*?)</(?:p|dl)>', body, re.S)
    assert found, f"no {ident} on the page"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def test_the_home_page_tells_why_calls_do_not_ring(pbx):
    secret = pbx.add_extension("101", "Reception")
    pbx.add_extension("102", "Office")
    admin = signed_in(pbx)
    user = portal_user(pbx, admin, "101")

    nothing = user.get("/portal").body
    with SipClient("127.0.0.1", pbx.sip_port) as phone:
        uri = f"sip:127.0.0.1:{pbx.sip_port}"
        assert phone.send_with_auth("REGISTER", uri, "101", secret).status == 200
        ringing = user.get("/portal").body
        assert pbx.cli("extension", "dnd", "101", "on").returncode == 0
        dnd = user.get("/portal").body
        assert pbx.cli("extension", "dnd", "101", "off").returncode == 0
        forward = pbx.cli("extension", "forward", "101", "--always", "102")
        assert forward.returncode == 0, forward.stderr
        forwarded = user.get("/portal").body

    assert "none registered" in text_of(nothing, "presence")
    assert "No phone is registered" in text_of(nothing, "rings")
    assert "1 registered" in text_of(ringing, "presence")
    assert "ring your phones" in text_of(ringing, "rings")
    assert "do not ring" not in text_of(ringing, "rings")
    assert "Do-not-disturb is on" in text_of(dnd, "rings")
    assert "every call to 102" in text_of(forwarded, "presence")
    assert "forwarded to 102" in text_of(forwarded, "rings")


def test_the_home_page_says_do_not_disturb_beats_the_busy_forward_as_forwarding_does(
    pbx,
):
    pbx.add_extension("101", "Reception")
    pbx.add_extension("102", "Office")
    admin = signed_in(pbx)
    user = portal_user(pbx, admin, "101")
    forward = pbx.cli("extension", "forward", "101", "--busy", "102")
    assert forward.returncode == 0, forward.stderr
    assert pbx.cli("extension", "dnd", "101", "on").returncode == 0

    said = text_of(user.get("/portal").body, "rings")
    forwarding = html.unescape(user.get("/portal/forwarding").body)

    assert "busy forward" not in said
    assert "Do-not-disturb is on: callers get voicemail, or busy without" in said
    assert "calls are not forwarded" in said
    for words in ("callers get voicemail, or busy without a mailbox",
                  "while it is on, calls are not forwarded"):  # fmt: skip
        assert words in said and words in forwarding


def test_the_user_changes_their_name_and_e_mail_and_the_admin_sees_it(pbx):
    pbx.add_extension("101", "Reception")
    admin = signed_in(pbx)
    user = portal_user(pbx, admin, "101")
    profile = "/portal/profile"

    quote = user.post_form(profile, {"name": 'Ann "Boss"', "email": ""}, "/portal")
    address = user.post_form(
        profile, {"name": "Ann Lee", "email": "not an address"}, "/portal"
    )
    unchanged = pbx.cli("extension", "show", "101", "--json").json()
    saved = user.post_form(
        profile, {"name": "Ann Lee", "email": "ann@example.com"}, "/portal"
    )
    home = user.get(saved.headers["location"]).body
    seen_by_admin = admin.get("/extensions/101").body
    audit = admin.get("/audit").body

    assert quote.status == 422
    assert "double quotes" in field_error(quote.body, "name")
    assert address.status == 422
    assert "name@example.com" in field_error(address.body, "email")
    assert 'value="not an address"' in address.body, "what was typed is kept"
    assert unchanged["display_name"] == "Reception" and not unchanged["email"]
    assert saved.status == 303
    assert "Your name and e-mail address are saved." in home
    assert "Ann Lee" in text_of(home, "profile")
    assert 'value="Ann Lee"' in seen_by_admin
    assert 'value="ann@example.com"' in seen_by_admin
    row = re.search(r'<td data-label="Who">ext101</td>.*?</tr>', audit, re.S)
    assert row and "Ann Lee" in row.group(0) and "Reception" in row.group(0)


def test_only_the_owner_or_an_administrator_changes_a_profile(tmp_path):
    opened = Appliance.open(settings_in(tmp_path))
    try:
        for number in ("101", "102"):
            opened.extensions.add(number, f"Desk {number}")
        owner = Principal("ext101", Role.USER, extension="101")
        operator = Principal("watcher", Role.OPERATOR)

        mine = opened.extensions_as(owner).change_profile(
            "101", display_name="Ann Lee", email="ann@example.com"
        )
        with pytest.raises(Forbidden):
            opened.extensions_as(owner).change_profile(
                "102", display_name="Not Mine", email=None
            )
        with pytest.raises(Forbidden):
            opened.extensions_as(operator).change_profile(
                "101", display_name="Not Mine", email=None
            )
        theirs = opened.extensions.get("102")
    finally:
        opened.close()

    assert (mine.display_name, mine.email) == ("Ann Lee", "ann@example.com")
    assert theirs.display_name == "Desk 102"


def test_a_portal_user_reads_their_presence_and_sets_their_profile_by_api(pbx):
    pbx.add_extension("101", "Reception")
    pbx.add_extension("102", "Office")
    admin = signed_in(pbx)
    user = portal_user(pbx, admin, "101")
    assert pbx.cli("extension", "dnd", "101", "on").returncode == 0
    token = user.csrf_token()

    def put(body):
        return user.request(
            "PUT", "/api/v1/me/profile", json_body=body, headers={"X-CSRF-Token": token}
        )

    presence = user.get("/api/v1/me/presence")
    bad = put({"display_name": "Ann", "email": "nowhere"})
    empty = put({"display_name": "  ", "email": None})
    good = put({"display_name": "Ann Lee", "email": "ann@example.com"})
    admins_own = admin.get("/api/v1/me/presence")

    assert presence.status == 200
    assert presence.json()["dnd"] is True and presence.json()["rings"] is False
    assert presence.json()["phones"] == []
    assert "Do-not-disturb" in presence.json()["why_not"]
    assert bad.status == 422 and bad.json()["field"] == "email"
    assert empty.status == 422 and empty.json()["field"] == "display_name"
    assert good.status == 200 and good.json()["display_name"] == "Ann Lee"
    assert pbx.cli("extension", "show", "101", "--json").json()["email"] == (
        "ann@example.com"
    )
    assert admins_own.status == 403


def test_a_portal_user_cannot_take_a_colleagues_e_mail_address(pbx):
    pbx.add_extension("101", "Reception")
    pbx.cli("extension", "add", "206", "--name", "Ana", "--email", "ana@example.com")
    admin = signed_in(pbx)
    user = portal_user(pbx, admin, "101")
    token = user.csrf_token()

    by_form = user.post_form(
        "/portal/profile", {"name": "Reception", "email": "ANA@example.com"}, "/portal"
    )
    by_api = user.request(
        "PUT",
        "/api/v1/me/profile",
        json_body={"display_name": "Reception", "email": "ana@EXAMPLE.com"},
        headers={"X-CSRF-Token": token},
    )

    assert by_form.status == 422
    said = field_error(by_form.body, "email")
    assert "already another extension's address" in said and "206" not in said
    assert by_api.status == 422 and by_api.json()["field"] == "email"
    assert not pbx.cli("extension", "show", "101", "--json").json()["email"]
