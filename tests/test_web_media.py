"""The voicemail and IVR pages of the web admin: save, refuse naming the field,
and what an operator may see."""

from __future__ import annotations

import pytest

from agent.media.pool import CALLS_PER_WORKER
from tests.pbx import RunningPbx
from tests.webclient import field_error, signed_in


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("webmedia") / "var").start()
    running.add_extension("101", "Front desk")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(office):
    return signed_in(office, "administrator")


def test_a_mailbox_saved_on_the_page_is_listed(office, admin):
    reply = admin.post_form(
        "/voicemail",
        {"extension": "101", "pin": "2580", "enabled": "on"},
        csrf_from="/voicemail",
    )
    listed = admin.get("/voicemail").body

    assert reply.status == 303
    assert "<td>101</td>" in listed
    shown = office.cli("voicemail", "show", "101", "--json").json()
    assert shown["enabled"]
    assert shown["transcribe"] is False  # its box was left unticked
    assert "<td>no</td>" in listed


def test_a_pin_that_is_not_digits_is_shown_at_the_pin(office, admin):
    reply = admin.post_form(
        "/voicemail", {"extension": "101", "pin": "12ab"}, csrf_from="/voicemail"
    )
    assert reply.status == 422
    assert "digits only" in field_error(reply.body, "pin")
    assert "12ab" not in reply.body


def test_a_pin_anyone_would_guess_is_shown_at_the_pin(office, admin):
    reply = admin.post_form(
        "/voicemail", {"extension": "101", "pin": "9876"}, csrf_from="/voicemail"
    )
    assert reply.status == 422
    assert "a run of digits up or down" in field_error(reply.body, "pin")


def test_a_mailbox_for_a_missing_extension_is_shown_at_the_extension(office, admin):
    reply = admin.post_form(
        "/voicemail", {"extension": "999", "pin": "2580"}, csrf_from="/voicemail"
    )
    assert reply.status == 422
    assert field_error(reply.body, "extension") == 'extension "999": no such extension'


def test_a_menu_pointing_nowhere_is_shown_at_its_keys(office, admin):
    reply = admin.post_form(
        "/ivr",
        {
            "number": "600",
            "name": "Main",
            "prompt": "dir-welcome",
            "choices": "1=extension:101\n2=ivr:777",
            "fallback": "hangup",
            "digit_timeout_s": "5",
            "retries": "3",
        },
        csrf_from="/ivr",
    )
    assert reply.status == 422
    assert "no such IVR menu" in field_error(reply.body, "choices")
    assert office.cli("ivr", "list", "--json").json() == []

    saved = admin.post_form(
        "/ivr",
        {
            "number": "600",
            "name": "Main",
            "prompt": "dir-welcome",
            "choices": "1=extension:101",
            "fallback": "hangup",
            "digit_timeout_s": "5",
            "retries": "3",
        },
        csrf_from="/ivr",
    )
    assert saved.status == 303
    assert "1 → extension:101" in admin.get("/ivr").body


def test_a_key_typed_twice_is_shown_at_the_choices(office, admin):
    reply = admin.post_form(
        "/ivr",
        {
            "number": "610",
            "name": "Twice",
            "prompt": "dir-welcome",
            "choices": "1=hangup\n1=extension:101",
            "fallback": "hangup",
            "digit_timeout_s": "5",
            "retries": "3",
        },
        csrf_from="/ivr",
    )

    assert reply.status == 422
    assert "given twice" in field_error(reply.body, "choices")
    assert "610" not in office.cli("ivr", "list", "--json").stdout


def test_an_operator_sees_the_lists_but_no_forms(office):
    operator = signed_in(office, "operator")
    page = operator.get("/ivr")
    assert page.status == 200
    assert '<form method="post" action="/ivr"' not in page.body
    refused = operator.post_form(
        "/voicemail", {"extension": "101", "pin": "1111"}, csrf_from="/voicemail"
    )
    assert refused.status == 403


def test_a_room_too_big_for_a_worker_is_shown_at_its_field(office, admin):
    reply = admin.post_form(
        "/conference",
        {
            "number": "810",
            "name": "All hands",
            "max_members": str(CALLS_PER_WORKER + 1),
        },
        csrf_from="/conference",
    )
    assert reply.status == 422
    assert f"from 2 to {CALLS_PER_WORKER}" in field_error(reply.body, "max_members")
    saved = admin.post_form(
        "/conference",
        {"number": "810", "name": "All hands", "pin": "1357", "max_members": "4"},
        csrf_from="/conference",
    )
    assert saved.status == 303
    assert "<td>All hands</td>" in admin.get("/conference").body


def test_a_room_that_waits_for_a_moderator_it_does_not_have_is_refused_at_the_option(
    office, admin
):
    form = {"number": "812", "name": "Board", "max_members": "4"}
    reply = admin.post_form(
        "/conference", {**form, "wait_for_moderator": "on"}, csrf_from="/conference"
    )
    assert reply.status == 422
    assert "moderator PIN" in field_error(reply.body, "wait_for_moderator")
    saved = admin.post_form(
        "/conference",
        {**form, "moderator_pin": "8642", "wait_for_moderator": "on"},
        csrf_from="/conference",
    )
    assert saved.status == 303
    assert "<td>PIN; members wait</td>" in admin.get("/conference").body


def test_a_page_group_with_an_unknown_member_is_shown_at_the_members(office, admin):
    reply = admin.post_form(
        "/paging",
        {"number": "830", "name": "Warehouse", "members": "101,199"},
        csrf_from="/paging",
    )
    assert reply.status == 422
    assert "not an extension" in field_error(reply.body, "members")
    assert office.cli("paging", "list", "--json").json() == []

    saved = admin.post_form(
        "/paging",
        {"number": "830", "name": "Warehouse", "members": "101"},
        csrf_from="/paging",
    )
    assert saved.status == 303
    assert "<td>Warehouse</td>" in admin.get("/paging").body

    operator = signed_in(office, "operator")
    seen = operator.get("/paging")
    assert seen.status == 200 and "<td>Warehouse</td>" in seen.body
    assert '<form method="post" action="/paging"' not in seen.body

    removed = admin.post_form("/paging/830/remove", {}, csrf_from="/paging")
    assert removed.status == 303
    assert office.cli("paging", "list", "--json").json() == []


def test_a_broadcast_is_saved_run_and_removed_on_the_paging_page(office, admin):
    office.cli("paging", "add", "831", "--name", "Yard", "--members", "101")
    form = {
        "name": "Closing time",
        "page_group": "831",
        "prompt": "system:beep",
        "weekdays": "fri",
        "time_of_day": "7pm",
        "enabled": "on",
    }
    reply = admin.post_form("/paging/broadcasts", form, csrf_from="/paging")
    assert reply.status == 422
    assert "HH:MM" in field_error(reply.body, "b-time_of_day")
    assert office.cli("paging", "broadcast", "list", "--json").json() == []

    saved = admin.post_form(
        "/paging/broadcasts", {**form, "time_of_day": "19:00"}, csrf_from="/paging"
    )
    assert saved.status == 303
    page = admin.get("/paging").body
    assert "<td>Closing time</td>" in page and "<td>fri at 19:00</td>" in page

    run = admin.post_form(
        "/paging/broadcasts/Closing%20time/run", {}, csrf_from="/paging"
    )
    assert run.status == 303 and "notice=broadcast-sent" in run.headers["location"]
    in_use = admin.post_form("/paging/831/remove", {}, csrf_from="/paging")
    assert in_use.status == 422 and "Closing time" in in_use.body

    removed = admin.post_form(
        "/paging/broadcasts/Closing%20time/remove", {}, csrf_from="/paging"
    )
    assert removed.status == 303
    assert office.cli("paging", "broadcast", "list", "--json").json() == []
    office.cli("paging", "remove", "831")


QUEUE_FORM = {
    "number": "660",
    "name": "Front",
    "strategy": "linear",
    "agents": "101",
    "ring_s": "15",
    "max_wait_s": "120",
    "failover": "hangup",
    "music": "default",
    "announce_position": "on",
    "announce_every_s": "60",
}


def test_a_queue_saved_on_the_page_is_listed_with_its_agents_idle(office, admin):
    reply = admin.post_form("/queues", QUEUE_FORM, csrf_from="/queues")
    listed = admin.get("/queues").body

    assert reply.status == 303
    assert "<td>660</td>" in listed and "101 idle" in listed
    assert "0 offered, 0 answered, 0 abandoned, 0 timed out" in listed
    shown = office.cli("queue", "show", "660", "--json").json()
    assert (shown["strategy"], shown["announce_position"]) == ("linear", True)
    assert shown["service_level_s"] == 20  # left out of the form: the default
    report = admin.get("/reports?preset=today").body
    assert '<tr data-queue="660"><th scope="row">660 Front</th>' in report


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("agents", "101,199", "no such extension"),
        ("ring_s", "3", "from 5 to 120"),
        ("failover", "ivr:999", "no such IVR menu"),
        ("number", "101", "already an extension's number"),
    ],
)
def test_a_bad_queue_field_is_shown_at_that_field(office, admin, field, value, rule):
    form = QUEUE_FORM | {"number": "661", field: value}
    reply = admin.post_form("/queues", form, csrf_from="/queues")
    assert reply.status == 422
    assert rule in field_error(reply.body, field)


ADD_FORMS = (
    (
        "/conference",
        "number",
        {"number": "650", "name": "Board", "max_members": "4"},
        {"name": "Standup"},
        "conference room 650 already exists",
    ),
    (
        "/ivr",
        "number",
        {
            "number": "651",
            "name": "Hours",
            "prompt": "dir-welcome",
            "choices": "1=extension:101",
            "fallback": "hangup",
            "digit_timeout_s": "5",
            "retries": "3",
        },
        {"name": "Night"},
        "IVR menu 651 already exists",
    ),
    (
        "/speed-dials",
        "code",
        {"code": "42", "number": "101", "name": "Desk"},
        {"name": "Other desk"},
        "speed dial 42 already exists",
    ),
)


@pytest.mark.parametrize(("path", "key", "form", "change", "rule"), ADD_FORMS)
def test_an_add_form_refuses_a_number_that_exists_and_changes_nothing(
    admin, path, key, form, change, rule
):
    added = admin.post_form(path, form)
    again = admin.post_form(path, form | change)
    listed = admin.get(path).body

    assert added.status == 303
    assert again.status == 422
    assert rule in field_error(again.body, key)
    assert form["name"] in listed and change["name"] not in listed
