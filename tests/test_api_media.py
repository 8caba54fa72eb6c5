"""``/api/v1/voicemail``, ``/api/v1/ivr`` and ``/api/v1/conference`` against a
running appliance."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from agent.media.pool import CALLS_PER_WORKER
from tests.pbx import RunningPbx
from tests.webclient import api_client

VOICEMAIL = "/api/v1/voicemail"
IVR = "/api/v1/ivr"


@pytest.fixture(scope="module")
def shared_pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("api-media") / "var").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin_api(shared_pbx):
    shared_pbx.cli("extension", "add", "401", "--name", "Desk")
    return api_client(shared_pbx, "administrator")


def test_a_mailbox_is_made_read_and_removed(admin_api):
    made = admin_api.request("PUT", f"{VOICEMAIL}/401", json_body={"pin": "2468"})
    read = admin_api.get(f"{VOICEMAIL}/401")
    listed = admin_api.get(VOICEMAIL)
    messages = admin_api.get(f"{VOICEMAIL}/401/messages")
    removed = admin_api.request("DELETE", f"{VOICEMAIL}/401")
    gone = admin_api.get(f"{VOICEMAIL}/401")

    assert made.status == 201, made.json()
    assert read.json()["new_messages"] == 0
    assert "pin" not in read.json() and "pin_hash" not in read.json()
    assert [b["extension"] for b in listed.json()] == ["401"]
    assert messages.json() == []
    assert removed.status == 204
    assert gone.status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pin": "12ab"}, "pin"),
        ({"pin": 1234}, "pin"),
        ({"pin": "2468", "max_message_s": 5}, "max_message_s"),
        ({"pin": "2468", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_mailbox_is_a_problem_naming_the_field(admin_api, body, field):
    refused = admin_api.request("PUT", f"{VOICEMAIL}/401", json_body=body)
    assert refused.status in {400, 422}
    assert refused.json()["field"] == field
    assert admin_api.get(f"{VOICEMAIL}/401").status == 404


@pytest.mark.parametrize(
    ("pin", "rule"),
    [
        ("258", "4 to 10 digits"),
        ("0000", "one digit repeated"),
        ("1234", "a run of digits"),
        ("43210", "a run of digits"),
        ("7890", "a run of digits"),
        ("4011", "the extension's own number"),
    ],
)
def test_a_pin_anyone_would_guess_is_refused_naming_the_rule(
    shared_pbx, admin_api, pin, rule
):
    shared_pbx.cli("extension", "add", "4011", "--name", "Guessable")
    api = admin_api.request("PUT", f"{VOICEMAIL}/4011", json_body={"pin": pin})
    cli = shared_pbx.cli("voicemail", "set", "4011", "--pin", pin, "--json")

    assert api.status == 422 and api.json()["field"] == "pin"
    assert rule in api.json()["detail"] and f'"{pin}"' not in api.json()["detail"]
    assert cli.returncode == 2 and rule in cli.json()["error"]["message"]
    assert admin_api.get(f"{VOICEMAIL}/4011").status == 404


def test_an_ivr_menu_is_saved_and_a_loop_refused_naming_the_field(admin_api):
    sub = admin_api.request(
        "PUT", f"{IVR}/701", json_body={"name": "Sub", "prompt": "dir-welcome"}
    )
    main = admin_api.request(
        "PUT",
        f"{IVR}/700",
        json_body={
            "name": "Main",
            "prompt": "dir-welcome",
            "choices": {"1": "extension:401", "2": "ivr:701"},
        },
    )
    loop = admin_api.request(
        "PUT",
        f"{IVR}/701",
        json_body={"name": "Sub", "prompt": "dir-welcome", "fallback": "ivr:700"},
    )
    missing = admin_api.request(
        "PUT",
        f"{IVR}/702",
        json_body={"name": "X", "prompt": "dir-welcome", "choices": {"3": "ivr:999"}},
    )

    assert (sub.status, main.status) == (201, 201)
    assert main.json()["choices"] == {"1": "extension:401", "2": "ivr:701"}
    assert loop.status == 422 and loop.json()["field"] == "fallback"
    assert missing.status == 422 and missing.json()["field"] == "choices.3"
    assert admin_api.get(f"{IVR}/701").json()["fallback"] == "hangup"
    assert admin_api.request("DELETE", f"{IVR}/701").status == 422
    assert admin_api.request("DELETE", f"{IVR}/700").status == 204
    assert admin_api.request("DELETE", f"{IVR}/701").status == 204


def test_a_key_given_twice_in_the_choices_is_a_problem_naming_it(admin_api):
    body = (
        b'{"name": "Main", "prompt": "dir-welcome",'
        b' "choices": {"1": "hangup", "1": "extension:401"}}'
    )

    reply = admin_api.request(
        "PUT", f"{IVR}/703", body=body, headers={"Content-Type": "application/json"}
    )

    assert reply.status == 400, reply.body
    assert reply.json()["field"] == "choices.1"
    assert "given twice" in reply.json()["detail"]
    assert admin_api.request("GET", f"{IVR}/703").status == 404


def test_an_operator_may_read_but_not_change_menus(shared_pbx):
    operator = api_client(shared_pbx, "operator")
    assert operator.get(IVR).status == 200
    refused = operator.request(
        "PUT", f"{IVR}/703", json_body={"name": "X", "prompt": "dir-welcome"}
    )
    assert refused.status == 403


def test_a_conference_room_is_made_with_a_pin_never_shown(admin_api):
    made = admin_api.request(
        "PUT", "/api/v1/conference/810", json_body={"name": "Board", "pin": "1357"}
    )
    too_big = admin_api.request(
        "PUT",
        "/api/v1/conference/811",
        json_body={"name": "All", "max_members": CALLS_PER_WORKER + 1},
    )
    assert made.status == 201
    assert made.json() == {
        "number": "810",
        "name": "Board",
        "has_pin": True,
        "max_members": CALLS_PER_WORKER,
        "has_moderator_pin": False,
        "wait_for_moderator": False,
        "end_with_moderator": False,
    }
    assert too_big.status == 422 and too_big.json()["field"] == "max_members"
    alone = admin_api.request(
        "PUT", "/api/v1/conference/810", json_body={"name": "Board",
                                                    "end_with_moderator": True}
    )  # fmt: skip
    assert alone.status == 422 and alone.json()["field"] == "end_with_moderator"
    led = admin_api.request(
        "PUT", "/api/v1/conference/810", json_body={
            "name": "Board", "moderator_pin": "8642", "wait_for_moderator": True,
            "end_with_moderator": True,
        },
    )  # fmt: skip
    assert led.status == 200, led.json()
    assert led.json()["has_moderator_pin"] and led.json()["wait_for_moderator"]
    assert "8642" not in led.body and "1357" not in led.body
    assert admin_api.request("DELETE", "/api/v1/conference/810").status == 204


def test_a_page_group_is_made_read_and_removed_and_bad_input_names_the_field(
    admin_api,
):
    made = admin_api.request(
        "PUT", "/api/v1/paging/830", json_body={"name": "Shop", "members": ["401"]}
    )
    assert (made.status, made.json()) == (
        201,
        {"number": "830", "name": "Shop", "members": ["401"]},
    )
    for body, field in (
        ({"name": "Shop", "members": ["499"]}, "members"),
        ({"name": "Shop", "members": "401"}, "members"),
        ({"name": "", "members": ["401"]}, "name"),
    ):
        refused = admin_api.request("PUT", "/api/v1/paging/830", json_body=body)
        assert refused.status in {400, 422} and refused.json()["field"] == field
    assert admin_api.get("/api/v1/paging/830").json() == made.json()
    taken = admin_api.request(
        "PUT", "/api/v1/paging/401", json_body={"name": "X", "members": ["401"]}
    )
    assert taken.status == 422 and taken.json()["field"] == "number"
    assert admin_api.request("DELETE", "/api/v1/paging/830").status == 204
    assert admin_api.get("/api/v1/paging").json() == []


def test_a_page_broadcast_is_made_run_and_removed_and_bad_input_names_the_field(
    admin_api,
):
    group = admin_api.request(
        "PUT", "/api/v1/paging/831", json_body={"name": "Yard", "members": ["401"]}
    )
    assert group.status == 201
    url = "/api/v1/paging-broadcasts/lunch"
    body = {
        "page_group": "831",
        "prompt": "system:beep",
        "weekdays": ["fri", "mon"],
        "time_of_day": "12:30",
    }
    made = admin_api.request("PUT", url, json_body=body)
    assert made.status == 201, made.json()
    assert made.json()["weekdays"] == ["mon", "fri"] and made.json()["enabled"]
    assert "T12:30" in made.json()["next_run"]
    for change, field in (
        ({"prompt": "system:../../etc/passwd"}, "prompt"),
        ({"weekdays": "mon"}, "weekdays"),
        ({"weekdays": [], "on_date": None}, "weekdays"),
        ({"time_of_day": "25:00"}, "time_of_day"),
        ({"page_group": "899"}, "page_group"),
    ):
        refused = admin_api.request("PUT", url, json_body={**body, **change})
        assert refused.status in {400, 422}, refused.json()
        assert refused.json()["field"] == field
    assert admin_api.get(url).json() == made.json()
    assert admin_api.request("POST", f"{url}/run").status == 202
    in_use = admin_api.request("DELETE", "/api/v1/paging/831")
    assert in_use.status == 422 and "lunch" in in_use.json()["detail"]
    assert admin_api.request("DELETE", url).status == 204
    assert admin_api.request("POST", f"{url}/run").status == 404
    assert admin_api.request("DELETE", "/api/v1/paging/831").status == 204


MUSIC_ON_HOLD = "/api/v1/music-on-hold"


def test_music_on_hold_is_turned_off_and_on_through_the_api(shared_pbx, admin_api):
    played = shared_pbx.data_dir / "cache" / "music-on-hold.wav"
    assert admin_api.get(MUSIC_ON_HOLD).json() == {"enabled": True}
    assert played.is_file()

    off = admin_api.request("PUT", MUSIC_ON_HOLD, json_body={"enabled": False})
    assert (off.status, off.json()) == (200, {"enabled": False})
    assert not played.exists()
    shown = shared_pbx.cli("music", "on-hold", "--json").json()
    assert shown == {"enabled": False}

    on = admin_api.request("PUT", MUSIC_ON_HOLD, json_body={"enabled": True})
    assert (on.status, on.json()) == (200, {"enabled": True})
    assert played.is_file()


@pytest.mark.parametrize("body", [{"enabled": "no"}, {}, {"enabled": None}])
def test_a_bad_music_on_hold_switch_names_the_field_and_changes_nothing(
    admin_api, body
):
    refused = admin_api.request("PUT", MUSIC_ON_HOLD, json_body=body)
    assert refused.status == 400
    assert refused.json()["field"] == "enabled"
    assert admin_api.get(MUSIC_ON_HOLD).json() == {"enabled": True}


# Six requests at once: as many as the web admin's two workers serve together
# (agent/web/daemons.py), so they really overlap in the database.
PARALLEL_PUTS = 6


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/conference/821", {"name": "R", "pin": "1351"}),
        (f"{VOICEMAIL}/207", {"pin": "2468"}),
        (f"{IVR}/720", {"name": "Racing", "prompt": "dir-welcome"}),
        ("/api/v1/speed-dials/27", {"number": "401", "name": "Desk"}),
    ],
)
def test_the_same_put_at_once_creates_once_and_updates_the_rest(
    shared_pbx, admin_api, path, body
):
    shared_pbx.cli("extension", "add", "207", "--name", "Racing")
    start = threading.Barrier(PARALLEL_PUTS)

    def put(_: int) -> int:
        start.wait(timeout=10)
        return admin_api.request("PUT", path, json_body=body).status

    with ThreadPoolExecutor(PARALLEL_PUTS) as pool:
        statuses = sorted(pool.map(put, range(PARALLEL_PUTS)))

    assert statuses == [200] * (PARALLEL_PUTS - 1) + [201]
    assert admin_api.get(path).status == 200
    assert admin_api.request("DELETE", path).status == 204


def test_a_queue_and_a_page_group_asked_for_one_number_at_once_get_it_once(
    admin_api,
):
    numbers = [f"69{n}" for n in range(1, 7)]
    asks = [
        (f"/api/v1/paging/{n}", {"name": "P", "members": ["401"]}) for n in numbers
    ] + [(f"/api/v1/queues/{n}", {"name": "Q"}) for n in numbers]
    start = threading.Barrier(len(asks))

    def put(ask: tuple[str, dict]):
        start.wait(timeout=10)
        return admin_api.request("PUT", ask[0], json_body=ask[1])

    with ThreadPoolExecutor(len(asks)) as pool:
        paths = [path for path, _ in asks]
        answers = dict(zip(paths, pool.map(put, asks), strict=True))

    for n in numbers:
        page, queue = answers[f"/api/v1/paging/{n}"], answers[f"/api/v1/queues/{n}"]
        assert sorted([page.status, queue.status]) == [201, 422], n
        refused = page if page.status == 422 else queue
        assert "already a" in refused.json()["detail"], refused.json()
        made = f"/api/v1/paging/{n}" if refused is queue else f"{QUEUES}/{n}"
        assert admin_api.request("DELETE", made).status == 204


QUEUES = "/api/v1/queues"


def test_a_queue_is_made_changed_in_part_logged_into_and_removed(admin_api):
    made = admin_api.request(
        "PUT",
        f"{QUEUES}/650",
        json_body={"name": "Support", "agents": ["401"], "strategy": "linear"},
    )
    changed = admin_api.request("PUT", f"{QUEUES}/650", json_body={"ring_s": 20})
    logged_in = admin_api.request(
        "POST", f"{QUEUES}/650/logins", json_body={"extension": "401"}
    )
    status = admin_api.get(f"{QUEUES}/650/status")
    removed = admin_api.request("DELETE", f"{QUEUES}/650")
    gone = admin_api.get(f"{QUEUES}/650")

    assert made.status == 201, made.json()
    assert changed.status == 200
    assert (changed.json()["strategy"], changed.json()["ring_s"]) == ("linear", 20)
    assert changed.json()["agents"] == ["401"]
    # A static agent is always in: logging it in is refused, saying so.
    assert (logged_in.status, logged_in.json()["field"]) == (422, "extension")
    assert "always logged in" in logged_in.json()["detail"]
    live = status.json()
    today = live.pop("today")
    assert live == {
        "number": "650",
        "waiting": [],
        "agents": [{"extension": "401", "kind": "static", "state": "idle", "calls": 0}],
    }
    assert (today["offered"], today["service_level_percent"]) == (0, None)
    assert removed.status == 204
    assert gone.status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Q", "strategy": "loudest"}, "strategy"),
        ({"name": "Q", "agents": "401"}, "agents"),
        ({"name": "Q", "agents": ["499"]}, "agents"),
        ({"name": "Q", "ring_s": "15"}, "ring_s"),
        ({"name": "Q", "max_wait_s": 5}, "max_wait_s"),
        ({"name": "Q", "failover": "ivr:999"}, "failover"),
        ({"name": "Q", "announce_position": "yes"}, "announce_position"),
        ({"strategy": "linear"}, "name"),
    ],
)
def test_a_bad_queue_is_a_problem_naming_the_field_and_saves_nothing(
    admin_api, body, field
):
    refused = admin_api.request("PUT", f"{QUEUES}/651", json_body=body)
    assert refused.status in {400, 422}
    assert refused.json()["field"] == field
    assert admin_api.get(f"{QUEUES}/651").status == 404
