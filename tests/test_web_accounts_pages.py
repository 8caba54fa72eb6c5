"""Accounts, API tokens and custom roles managed from the web pages."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
import zoneinfo

from tests.test_web_signin import served_routes
from tests.webclient import CHOSEN_PASSWORD, api_client, client, signed_in

_SECRET = re.compile(r'<code id="secret" class="secret">([^<]+)</code>')


def test_an_account_made_on_the_page_signs_in_with_the_password_shown_once(pbx):
    admin = signed_in(pbx)

    made = admin.post_form(
        "/accounts/new", {"username": "frontdesk", "role": "operator"}, "/accounts"
    )
    shown = admin.get(made.location)
    again = admin.get(made.location)
    password = _SECRET.search(shown.body).group(1)
    person = client(pbx)

    assert made.location == "/accounts/frontdesk/password"
    assert _SECRET.search(again.body) is None  # shown once
    assert person.sign_in("frontdesk", password).location == "/password"
    # The forced change names a field by its label, not its form name.
    mismatch = person.post_form(
        "/password",
        {
            "current_password": password,
            "new_password": CHOSEN_PASSWORD,
            "confirm_password": CHOSEN_PASSWORD + "x",
        },
    )
    assert mismatch.status == 422
    assert "New password again: does not match the new password" in mismatch.body
    assert "confirm_password:" not in mismatch.body
    assert person.change_password(password, CHOSEN_PASSWORD).status == 303
    assert person.get("/extensions").status == 200


def test_a_token_made_on_the_page_is_shown_once_and_works_until_revoked(pbx):
    admin = signed_in(pbx)

    made = admin.post_form(
        "/tokens/new", {"name": "billing", "role": "operator"}, "/tokens"
    )
    token = _SECRET.search(admin.get(made.location).body).group(1)
    script = client(pbx)
    script.bearer = token
    before = script.get("/api/v1/extensions").status
    # UTC+05:30: the page gives the last use in the office's time, saying so.
    admin.post_form("/setup/timezone", {"timezone": "Asia/Kolkata"})
    [used] = [
        t["last_used_at"]
        for t in admin.get("/api/v1/tokens").json()
        if t["name"] == "billing"
    ]
    there = dt.datetime.fromisoformat(used).astimezone(
        zoneinfo.ZoneInfo("Asia/Kolkata")
    )
    listed = admin.get("/tokens").body
    token_id = made.location.split("/")[2]
    admin.post_form(f"/tokens/{token_id}/revoke", {}, "/tokens")
    after = script.get("/api/v1/extensions").status

    assert (before, after) == (200, 401)
    assert token not in admin.get("/tokens").body
    assert "Last used (Asia/Kolkata)" in listed
    assert f'<time datetime="{used}">{there:%Y-%m-%d %H:%M:%S}</time>' in listed


def test_a_custom_role_made_on_the_page_limits_its_holder(pbx):
    pbx.add_extension("101", "Reception")
    pbx.add_extension("201", "Depot")
    admin = signed_in(pbx)

    bad = admin.post_form(
        "/roles/new",
        {"name": "desk", "module_extensions": "view", "extension_ranges": "199-100"},
        "/roles/new",
    )
    made = admin.post_form(
        "/roles/new",
        {"name": "desk", "module_extensions": "view", "extension_ranges": "100-199"},
        "/roles/new",
    )
    admin.post_form("/accounts/new", {"username": "kim", "role": "desk"}, "/accounts")
    password = _SECRET.search(admin.get("/accounts/kim/password").body).group(1)
    kim = client(pbx)
    kim.sign_in("kim", password)
    kim.change_password(password, CHOSEN_PASSWORD)
    listed = kim.get("/extensions")

    assert bad.status == 422 and "from low to high" in bad.body
    assert made.headers["location"] == "/roles/desk?notice=saved-role"
    assert "Reception" in listed.body and "Depot" not in listed.body
    assert kim.get("/extensions/new").status == 403
    assert kim.get("/contacts").status == 403


def test_an_empty_extension_range_is_refused_and_every_extension_is_said_plainly(
    pbx,
):
    admin = signed_in(pbx)
    api = client(pbx)
    api.bearer = pbx.cli(
        "token", "create", "--role", "super-administrator", "--name", "s", "--json"
    ).json()["token"]

    cli = pbx.cli(
        "role", "add", "wing", "--module", "extensions=view", "--extensions", ""
    )
    by_api = api.request(
        "POST", "/api/v1/roles", json_body={"name": "wing", "extension_ranges": ""}
    )
    page = admin.post_form(
        "/roles/new",
        {"name": "wing", "module_extensions": "view", "extension_ranges": ""},
        "/roles/new",
    )
    shown = re.search(r'id="extension_ranges-error">([^<]*)<', page.body)

    assert cli.returncode != 0
    assert "--extensions: numbers or ranges" in cli.stderr + cli.stdout
    assert "leave out --extensions" in cli.stderr + cli.stdout
    assert (by_api.status, by_api.json()["field"]) == (422, "extension_ranges")
    assert page.status == 422 and shown and "Every extension" in shown.group(1)
    assert api.get("/api/v1/roles/wing").status == 404  # nothing was made

    everyone = admin.post_form(
        "/roles/new",
        {"name": "wing", "module_extensions": "view", "all_extensions": "on"},
        "/roles/new",
    )
    assert everyone.status == 303
    assert api.get("/api/v1/roles/wing").json()["extension_ranges"] is None
    emptied = api.request(
        "PATCH", "/api/v1/roles/wing", json_body={"extension_ranges": " "}
    )
    assert emptied.status == 422


def test_the_role_page_saves_every_extension_and_refuses_a_range_beside_it(pbx):
    admin = signed_in(pbx)
    api = api_client(pbx, "super-administrator")
    made = pbx.cli("role", "add", "desk", "--module", "contacts=view",
                   "--extensions", "100-199")  # fmt: skip
    assert made.returncode == 0, made.stderr

    widened = admin.post_form(
        "/roles/desk",
        {"module_contacts": "view", "all_extensions": "on", "extension_ranges": ""},
        "/roles/desk",
    )
    both = admin.post_form(
        "/roles/new",
        {"name": "both", "module_contacts": "view", "all_extensions": "on",
         "extension_ranges": "100-199"},
        "/roles/new",
    )  # fmt: skip
    shown = re.search(r'id="extension_ranges-error">([^<]*)<', both.body)

    assert widened.status == 303, widened.body
    assert api.get("/api/v1/roles/desk").json()["extension_ranges"] is None
    assert both.status == 422 and shown and "Every extension" in shown.group(1)
    assert api.get("/api/v1/roles/both").status == 404


def test_a_role_that_may_do_nothing_or_names_a_module_twice_is_refused(pbx):
    admin = signed_in(pbx)
    api = api_client(pbx, "super-administrator")

    cli = pbx.cli("role", "add", "idle")
    twice = pbx.cli(
        "role", "add", "twice", "--module", "monitor=view", "--module", "monitor=edit"
    )
    by_api = api.request("POST", "/api/v1/roles", json_body={"name": "idle"})
    page = admin.post_form(
        "/roles/new", {"name": "idle", "all_extensions": "on"}, "/roles/new"
    )
    shown = re.search(r'id="modules-error">([^<]*)<', page.body)
    made = pbx.cli("role", "add", "watch", "--module", "monitor=view")
    emptied = api.request(
        "PATCH", "/api/v1/roles/watch", json_body={"modules": {"monitor": "none"}}
    )

    assert cli.returncode == 2 and "at least one module" in cli.stderr
    assert twice.returncode == 2 and "given twice" in twice.stderr
    assert (by_api.status, by_api.json()["field"]) == (422, "modules")
    assert page.status == 422 and shown and "can do nothing" in shown.group(1)
    assert made.returncode == 0, made.stderr
    assert (emptied.status, emptied.json()["field"]) == (422, "modules")
    listed = [r["name"] for r in api.get("/api/v1/roles").json()]
    assert listed == ["watch"]  # nothing else was made
    kept = api.get("/api/v1/roles/watch").json()["modules"]
    assert {m: level for m, level in kept.items() if level != "none"} == {
        "monitor": "view"
    }


def test_no_page_form_changes_anything_without_the_session_csrf_token(pbx, tmp_path):
    web = signed_in(pbx)
    posts = [
        path
        for method, path in served_routes(tmp_path)
        if method == "POST" and not path.startswith(("/api/", "/prov/", "/signin"))
    ]
    assert len(posts) > 20

    refused = {path: web.request("POST", path, form={}).status for path in posts}

    assert set(refused.values()) == {403}, refused
    assert pbx.cli("account", "list", "--json").json()[0]["username"] == "admin"


def test_a_module_given_twice_on_the_role_form_is_refused_naming_it(pbx):
    admin = signed_in(pbx)

    def post(path: str, name: str):
        # A browser sends one radio of a group; a hand-made form may send two.
        fields = [
            ("csrf_token", admin.get("/roles/new").csrf_token()),
            ("name", name),
            ("all_extensions", "on"),
            ("module_extensions", "view"),
            ("module_extensions", "edit"),
        ]
        return admin.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    added = post("/roles/new", "twice")
    made = admin.post_form(
        "/roles/new",
        {"name": "once", "module_extensions": "view", "all_extensions": "on"},
        "/roles/new",
    )
    changed = post("/roles/once", "once")
    shown = re.search(r'id="modules-error">([^<]*)<', added.body)

    assert added.status == changed.status == 422
    assert shown and "extensions" in shown.group(1) and "twice" in shown.group(1)
    assert 'id="modules-error"' in changed.body
    assert admin.get("/roles/twice").status == 404
    assert made.status == 303
    assert (
        'value="view" aria-label="extensions view" checked'
        in admin.get("/roles/once").body
    )
