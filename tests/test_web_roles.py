"""Who may do what, the same through the pages and the REST API."""

from __future__ import annotations

import re

import pytest

from tests.pbx import RunningPbx
from tests.webclient import api_client, signed_in

ROLES = ("super-administrator", "administrator", "operator", "user")
CHANGERS = {"super-administrator", "administrator"}
VIEWERS = CHANGERS | {"operator"}


@pytest.fixture(scope="module")
def shared_pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("roles") / "var").start()
    running.add_extension("101", "Reception")
    yield running
    running.stop()


def api_calls(number: str) -> list[tuple[str, str, dict | None, str]]:
    """(method, path, body, what it needs) for every /api/v1 operation."""
    base = "/api/v1/extensions"
    return [
        ("GET", "/api/v1/openapi.json", None, "signed-in"),
        ("GET", base, None, "view"),
        ("GET", f"{base}/101", None, "view"),
        ("POST", base, {"number": number, "display_name": "New"}, "change"),
        ("PATCH", f"{base}/{number}", {"display_name": "Renamed"}, "change"),
        ("DELETE", f"{base}/{number}", None, "change"),
    ]


def allowed(role: str, needs: str) -> bool:
    return {
        "signed-in": True,
        "view": role in VIEWERS,
        "change": role in CHANGERS,
    }[needs]


# A token cannot hold the user role (it has no extension): the user role's
# side of the API is the portal account's, tested with the portal.
@pytest.mark.parametrize("role", [r for r in ROLES if r != "user"])
def test_api_permissions_follow_the_role(shared_pbx, role):
    web = api_client(shared_pbx, role)
    number = str(200 + ROLES.index(role))
    if role not in CHANGERS:
        shared_pbx.add_extension(number)  # something to be refused on

    for method, path, body, needs in api_calls(number):
        reply = web.request(method, path, json_body=body)
        if allowed(role, needs):
            assert reply.status in {200, 201, 204}, (role, method, path, reply.body)
        else:
            assert reply.status == 403, (role, method, path, reply.body)
            assert reply.json()["type"].endswith(":forbidden")

    listed = {
        e["number"]
        for e in api_client(shared_pbx, "operator")
        .get("/api/v1/extensions")
        .json()["items"]
    }
    assert (number in listed) == (role not in CHANGERS)


PAGES = [
    ("/extensions", "view"),
    ("/extensions/101", "view"),
    ("/extensions/new", "change"),
    ("/audit", "audit"),
    ("/account", "signed-in"),
]


@pytest.mark.parametrize("role", ["administrator", "operator", "user"])
def test_pages_follow_the_role(shared_pbx, role):
    web = signed_in(shared_pbx, role)
    for path, needs in PAGES:
        may = {
            "signed-in": True,
            "view": role in VIEWERS,
            "change": role in CHANGERS,
            "audit": role in CHANGERS,
        }[needs]
        assert web.get(path).status == (200 if may else 403), (role, path)


def test_an_operator_sees_an_extension_but_gets_no_form_to_change_it(shared_pbx):
    web = signed_in(shared_pbx, "operator")
    page = web.get("/extensions/101")
    posted = web.post_form(
        "/extensions/101", {"display_name": "Hijacked"}, csrf_from="/account"
    )
    deleted = web.post_form("/extensions/101/delete", {}, csrf_from="/account")

    assert "Reception" in page.body
    assert "Delete extension" not in page.body and ">Save<" not in page.body
    assert (posted.status, deleted.status) == (403, 403)
    shown = shared_pbx.cli("extension", "show", "101", "--json").json()
    assert shown["display_name"] == "Reception"


def test_a_user_is_sent_to_their_account_and_sees_no_admin_links(shared_pbx):
    web = signed_in(shared_pbx, "user")
    home = web.get("/")
    account = web.get("/account")

    assert home.location == "/account"
    assert 'href="/extensions"' not in account.body
    assert 'href="/audit"' not in account.body


def test_a_workstation_system_page_says_what_having_no_firmware_slots_means(
    shared_pbx,
):
    page = signed_in(shared_pbx).get("/system")

    assert page.status == 200
    assert "this machine has no firmware slots" in page.body
    said = page.body[page.body.index('id="workstation-firmware"') :]
    said = " ".join(said.split("</p>")[0].split())
    assert "normal on a workstation" in said
    assert "EDGEPBX_FIRMWARE_DEVICE" in said and "A simulated device" in said


def test_an_accounts_role_changed_meanwhile_is_not_overwritten_by_an_old_form(
    shared_pbx,
):
    made = shared_pbx.cli("account", "add", "desk", "--role", "operator")
    assert made.returncode == 0, made.stderr
    admin = signed_in(shared_pbx)
    version = account_role_version(admin, "desk")
    # Someone else gives the account another role while the page is open.
    changed = shared_pbx.cli("account", "set-role", "desk", "--role", "administrator")
    assert changed.returncode == 0, changed.stderr

    stale = admin.post_form(
        "/accounts/desk/role",
        {"role": "user", "version": version},
        csrf_from="/accounts",
    )
    current = account_role_version(admin, "desk")
    saved = admin.post_form(
        "/accounts/desk/role",
        {"role": "operator", "version": current},
        csrf_from="/accounts",
    )

    assert stale.status == 409
    assert "account desk was changed by someone else" in stale.body
    row = stale.body[stale.body.index('id="role-desk"') :].split("</select>")[0]
    assert '<option value="administrator" selected>' in row
    assert saved.status == 303
    listed = shared_pbx.cli("account", "list", "--json").json()
    assert next(a for a in listed if a["username"] == "desk")["role"] == "operator"


def account_role_version(web, username: str) -> str:
    """The version the role form of an account's row carries, loaded now."""
    body = web.get("/accounts").body
    action = f'action="/accounts/{username}/role"'
    form = body[body.index(action) :].split("</form>")[0]
    return re.search(r'name="version" value="([0-9a-f]+)"', form).group(1)
