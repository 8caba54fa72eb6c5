"""Forwarding and do-not-disturb through the REST API, the extension's admin
page and the user portal, on a running appliance."""

from __future__ import annotations

import re

import pytest

from tests import browser_driver
from tests.pbx import RunningPbx
from tests.webclient import api_client, field_error, portal_user, signed_in

PATH = "/api/v1/extensions/{}/features"


@pytest.fixture(scope="module")
def shared_pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("forwarding") / "var").start()
    for number in ("101", "102", "103"):
        running.add_extension(number)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(shared_pbx):
    return signed_in(shared_pbx)


def test_the_api_sets_features_and_refuses_a_bad_one_naming_the_field(shared_pbx):
    api = api_client(shared_pbx, "administrator")
    path = PATH.format("101")
    set_ = api.request(
        "PUT", path, json_body={"forward_busy": "102", "no_answer_s": 15}
    )
    assert set_.status == 200, set_.body
    before = api.get(path).json()

    cases = [
        ({"forward_always": "front desk"}, "forward_always", 422),
        ({"forward_no_answer": "999999"}, "forward_no_answer", 422),
        ({"no_answer_s": 500}, "no_answer_s", 422),
        ({"no_answer_s": "20"}, "no_answer_s", 400),
        ({"dnd": "yes"}, "dnd", 400),
        ({"dnd": True, "forward_unreachable": "101"}, "forward_unreachable", 422),
        ({"forward_sometimes": "102"}, "forward_sometimes", 400),
    ]
    for body, field, status in cases:
        reply = api.request("PUT", path, json_body=body)
        assert (reply.status, reply.json()["field"]) == (status, field), reply.body
    assert api.get(path).json() == before
    assert before["forward_busy"] == "102" and before["no_answer_s"] == 15
    assert api.get(PATH.format("555")).status == 404


def test_the_admin_page_shows_the_section_and_errors_beside_the_field(
    shared_pbx, admin
):
    page = admin.get("/extensions/102")
    assert "Call forwarding and DND" in page.body

    bad = admin.post_form(
        "/extensions/102/features",
        {"forward_busy": "12ab", "no_answer_s": "20"},
        csrf_from="/extensions/102",
    )
    assert bad.status == 422
    assert "an extension number or an external number" in field_error(
        bad.body, "forward_busy"
    )
    assert 'value="12ab"' in bad.body  # what was typed stays in the form

    good = admin.post_form(
        "/extensions/102/features",
        {"dnd": "on", "forward_no_answer": "103", "no_answer_s": "25"},
        csrf_from="/extensions/102",
    )
    assert good.status == 303
    shown = shared_pbx.cli("extension", "features", "102", "--json").json()
    assert (shown["dnd"], shown["forward_no_answer"], shown["no_answer_s"]) == (
        True,
        "103",
        25,
    )


def test_an_operator_sees_the_section_but_cannot_change_it(shared_pbx):
    operator = signed_in(shared_pbx, "operator")
    page = operator.get("/extensions/101")
    assert "Call forwarding and DND" in page.body
    assert 'id="save-features"' not in page.body
    reply = operator.post_form(
        "/extensions/101/features", {"dnd": "on"}, csrf_from="/extensions/101"
    )
    assert reply.status == 403


def test_a_portal_user_sets_their_own_forwarding_and_no_one_else_s(shared_pbx, admin):
    user = portal_user(shared_pbx, admin, "103")
    home = user.get("/portal")
    assert 'href="/portal/forwarding"' in home.body

    saved = user.post_form(
        "/portal/forwarding",
        {"forward_unreachable": "101", "no_answer_s": "20"},
        csrf_from="/portal/forwarding",
    )
    assert saved.status == 303, saved.body
    bad = user.post_form(
        "/portal/forwarding",
        {"forward_always": "103", "no_answer_s": "20"},
        csrf_from="/portal/forwarding",
    )
    assert bad.status == 422
    assert field_error(bad.body, "forward_always") == (
        'Forward every call to "103": an extension may not forward to itself'
    )

    csrf = {"X-CSRF-Token": user.csrf_token()}
    own = user.request("PUT", PATH.format("103"), json_body={"dnd": True}, headers=csrf)
    other = user.request(
        "PUT", PATH.format("101"), json_body={"dnd": True}, headers=csrf
    )
    other_page = user.post_form(
        "/extensions/101/features", {"dnd": "on"}, csrf_from="/portal/forwarding"
    )
    assert own.status == 200 and own.json()["dnd"] is True
    assert other.status == 403
    assert other_page.status == 403
    shown = shared_pbx.cli("extension", "features", "101", "--json").json()
    assert shown["dnd"] is False
    mine = shared_pbx.cli("extension", "features", "103", "--json").json()
    assert mine["forward_unreachable"] == "101"


def test_a_user_sets_their_forwarding_in_chromium(shared_pbx, browser_ready, tmp_path):
    made = shared_pbx.cli("account", "portal", "101", "--json")
    assert made.returncode == 0, made.stderr
    seen = browser_driver.run(
        "portal_forwarding.mjs",
        shared_pbx,
        number="101",
        one_time_password=made.json()["one_time_password"],
        new_password="Portal-Chosen-2026",
        target="103",
        screenshot=str(tmp_path / "refused.png"),
    )

    assert "an extension number or an external number" in seen["refusal"]
    assert seen["kept"] == "my mobile"
    assert "saved" in seen["notice"]
    assert (seen["saved"], seen["dnd"]) == ("103", True)
    # The refused form's own 422 is the one resource error the page may log.
    assert [e for e in seen["consoleErrors"] if "status of 422" not in e] == []
    shown = shared_pbx.cli("extension", "features", "101", "--json").json()
    assert (shown["forward_busy"], shown["dnd"]) == ("103", True)


def test_the_pages_and_the_api_say_do_not_disturb_beats_forward_always(
    shared_pbx, admin
):
    api = api_client(shared_pbx, "administrator")
    path = PATH.format("102")
    api.request("PUT", path, json_body={"forward_always": "101", "dnd": False})
    plain = admin.get("/extensions/102").body
    both = api.request("PUT", path, json_body={"dnd": True}).json()
    page = admin.get("/extensions/102").body
    portal = portal_user(shared_pbx, admin, "102").get("/portal/forwarding").body
    api.request("PUT", path, json_body={"forward_always": "", "dnd": False})

    assert "Do not disturb comes first" in plain  # beside the box, always
    assert 'id="forward_always-note"' not in plain
    assert both["notes"] == [
        "do-not-disturb is on, so calls are not forwarded to 101: "
        "do-not-disturb comes before forward always"
    ]
    for shown in (page, portal):
        note = re.search(r'id="forward_always-note">([^<]*)<', shown)
        assert note and "not forwarded to 101" in note.group(1)


def test_a_room_or_menu_is_a_target_and_a_disabled_or_missing_extension_is_not(
    shared_pbx,
):
    made = shared_pbx.cli("conference", "set", "801", "--name", "Weekly")
    assert made.returncode == 0, made.stderr
    api = api_client(shared_pbx, "administrator")
    assert (
        api.request(
            "PATCH", "/api/v1/extensions/103", json_body={"enabled": False}
        ).status
        == 200
    )
    path = PATH.format("102")

    to_room = api.request("PUT", path, json_body={"forward_busy": "801"})
    to_disabled = api.request("PUT", path, json_body={"forward_always": "103"})
    to_nobody = api.request("PUT", path, json_body={"forward_no_answer": "104"})
    cleared = api.request("PUT", path, json_body={"forward_busy": ""})
    api.request("PATCH", "/api/v1/extensions/103", json_body={"enabled": True})

    assert to_room.status == 200 and to_room.json()["forward_busy"] == "801"
    assert to_disabled.status == 422, to_disabled.body
    assert to_disabled.json()["field"] == "forward_always"
    assert "disabled" in to_disabled.json()["detail"]
    assert to_nobody.status == 422
    assert to_nobody.json()["field"] == "forward_no_answer"
    assert "conference room" in to_nobody.json()["detail"]
    assert cleared.status == 200


def test_the_api_names_the_forwards_a_route_change_leaves_without_a_route(
    shared_pbx,
):
    for args in (
        ("trunk", "add", "acme", "--kind", "peer", "--host", "127.0.0.1"),
        ("route", "add", "local", "--pattern", "NXXXXXX", "--trunk", "acme"),
    ):
        assert shared_pbx.cli(*args).returncode == 0
    api = api_client(shared_pbx, "administrator")
    path = PATH.format("101")
    assert (
        api.request("PUT", path, json_body={"forward_unreachable": "5551234"}).status
        == 200
    )
    route = "/api/v1/outbound-routes/local"

    narrowed = api.request("PATCH", route, json_body={"extensions": ["102"]})
    widened = api.request("PATCH", route, json_body={"extensions": []})
    removed = api.request("DELETE", route)
    api.request("PUT", path, json_body={"forward_unreachable": ""})

    said = "extension 101's forward when unreachable to 5551234: no outbound route"
    assert narrowed.status == 200
    [warning] = narrowed.json()["warnings"]
    assert warning.startswith(said)
    assert widened.json()["warnings"] == []
    assert removed.status == 200
    assert removed.json()["warnings"][0].startswith(said)


# Saves per client, all at once from several clients: enough that a lock
# upgrade refused under contention shows within one run.
SAVES_PER_CLIENT = 30
CONCURRENT_CLIENTS = 4


def test_forwarding_saved_from_several_clients_at_once_never_fails(shared_pbx):
    from concurrent.futures import ThreadPoolExecutor

    clients = [
        api_client(shared_pbx, "administrator") for _ in range(CONCURRENT_CLIENTS)
    ]

    def saves(index: int) -> list[tuple[int, str]]:
        api = clients[index]
        number = ("102", "103")[index % 2]
        failed = []
        for n in range(SAVES_PER_CLIENT):
            body = {"forward_busy": "101", "no_answer_s": 5 + (n * 7 + index) % 100}
            reply = api.request("PUT", PATH.format(number), json_body=body)
            if reply.status != 200:
                failed.append((reply.status, reply.body[:200]))
        return failed

    with ThreadPoolExecutor(CONCURRENT_CLIENTS) as pool:
        failures = [f for found in pool.map(saves, range(4)) for f in found]
    assert failures == []
