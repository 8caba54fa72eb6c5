"""The live monitor: a real Kamailio, real pjsua2 phones, the stream over HTTPS.

What a watcher of ``/api/v1/monitor/stream`` (and of the page's
``/monitor/stream``) is told while one extension calls another, what an
extension without a phone looks like, and what a role limited to some
extensions sees.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time

import pytest

from agent.media.pool import CALLS_PER_WORKER
from agent.monitor.service import RINGING_MAX_S, call_key
from agent.sip.outside import OPEN_CALL_MAX_S
from tests.pbx import EDGEPBX, free_port
from tests.sipphone import Phone
from tests.sse import MonitorStream
from tests.webclient import api_client, signed_in

TONE_101 = 697
TONE_102 = 1209


@pytest.fixture
def extensions(pbx):
    return {number: pbx.add_extension(number) for number in ("101", "102")}


def phone(pbx, number: str, password: str, tone_hz: int, **kw) -> Phone:
    return Phone(
        number, password, server="127.0.0.1", port=pbx.sip_port, tone_hz=tone_hz, **kw
    )


def bearer_stream(pbx, role: str = "operator") -> MonitorStream:
    token = api_client(pbx, role).bearer
    return MonitorStream(
        pbx.https_port, pbx.certificate, headers={"Authorization": f"Bearer {token}"}
    )


def test_a_call_rings_then_is_in_use_then_ends_on_the_stream(pbx, extensions):
    with bearer_stream(pbx) as stream:
        assert stream.status == 200
        assert stream.content_type.startswith("text/event-stream")
        first = stream.next_event()
        with (
            phone(pbx, "101", extensions["101"], TONE_101) as alice,
            phone(
                pbx, "102", extensions["102"], TONE_102, answer_incoming="ring"
            ) as bob,
        ):
            assert (alice.register(), bob.register()) == (200, 200)
            stream.wait_until(
                lambda s: (
                    s.extension_state("101") == s.extension_state("102") == "idle"
                ),
                what="both registered and idle",
            )
            call = alice.call("102")
            incoming = bob.wait_incoming()
            stream.wait_until(
                lambda s: s.extension_state("102") == "ringing",
                what="102 ringing",
            )
            ringing = stream.calls()
            incoming.answer()
            call.wait_confirmed()
            stream.wait_until(
                lambda s: (
                    s.extension_state("101") == s.extension_state("102") == "in use"
                    and [c["state"] for c in s.calls()] == ["answered"]
                ),
                what="both in use, the call answered",
            )
            answered = stream.calls()
            call.hangup()
            incoming.wait_disconnected()
            stream.wait_until(
                lambda s: (
                    s.extension_state("101") == s.extension_state("102") == "idle"
                    and not s.calls()
                ),
                what="both idle, no call",
            )

    assert first.kind == "snapshot"
    assert {e["number"]: e["state"] for e in first.data["extensions"]} == {
        "101": "unavailable",
        "102": "unavailable",
    }
    assert [
        (c["caller"], c["callee"], c["direction"], c["state"]) for c in ringing
    ] == [("101", "102", "internal", "ringing")]
    assert answered[0]["answered_at"] >= answered[0]["started_at"]
    assert [e.kind for e in stream.events[1:]] == ["change"] * (len(stream.events) - 1)


def test_an_extension_without_a_phone_is_unavailable_in_the_snapshot(pbx, extensions):
    web = api_client(pbx, "operator")
    with phone(pbx, "101", extensions["101"], TONE_101) as alice:
        assert alice.register() == 200
        shown = web.get("/api/v1/monitor").json()
        printed = pbx.cli("monitor")

    states = {e["number"]: e["state"] for e in shown["extensions"]}
    assert states == {"101": "idle", "102": "unavailable"}
    assert "extension 102 (102): unavailable" in printed.stdout
    assert "extension 101 (101): idle" in printed.stdout


def test_a_role_limited_to_a_range_sees_only_its_extensions_and_their_calls(
    pbx, extensions
):
    warehouse_password = pbx.add_extension("201", "Warehouse")
    made = pbx.cli(
        "role", "add", "desk", "--module", "monitor=view", "--extensions", "100-101"
    )
    assert made.returncode == 0, made.stderr
    desk = api_client(pbx, "desk")
    with (
        phone(pbx, "102", extensions["102"], TONE_102) as bob,
        phone(pbx, "201", warehouse_password, TONE_101) as warehouse,
    ):
        assert (bob.register(), warehouse.register()) == (200, 200)
        call = warehouse.call("102")
        call.wait_confirmed()
        limited = desk.get("/api/v1/monitor").json()
        everyone = api_client(pbx, "operator").get("/api/v1/monitor").json()
        call.hangup()

    assert [e["number"] for e in limited["extensions"]] == ["101"]
    assert limited["calls"] == []
    assert [e["number"] for e in everyone["extensions"]] == ["101", "102", "201"]
    # The phone sends no display name: the call shows its extension's name.
    assert [
        (c["caller"], c["caller_name"], c["callee"]) for c in everyone["calls"]
    ] == [("201", "Warehouse", "102")]


def test_the_page_stream_ends_when_its_session_signs_out(pbx, extensions):
    web = signed_in(pbx, "operator")
    cookie = f"__Host-edgepbx_session={web.cookies['__Host-edgepbx_session']}"
    with MonitorStream(
        pbx.https_port, pbx.certificate, "/monitor/stream", {"Cookie": cookie}
    ) as stream:
        first = stream.next_event()
        signed_out = web.post_form("/signout", {}, csrf_from="/monitor")
        stream.timeout_s = 20
        ending = stream.next_event()
        while ending is not None and ending.kind != "end":
            ending = stream.next_event()

    assert first.kind == "snapshot"
    assert signed_out.status == 303
    assert ending is not None and "signed out" in ending.data["reason"]


def test_a_role_without_the_monitor_permission_gets_no_stream(pbx):
    made = pbx.cli("role", "add", "phonebook", "--module", "contacts=view")
    assert made.returncode == 0, made.stderr
    token = api_client(pbx, "phonebook").bearer
    with MonitorStream(
        pbx.https_port, pbx.certificate, headers={"Authorization": f"Bearer {token}"}
    ) as stream:
        body = stream.response.read()

    assert stream.status == 403
    assert b"watch the PBX monitor" in body


def test_streams_past_the_cap_are_refused_and_pages_still_answer(pbx):
    # The worker serves twenty-four streams: the 25th is refused.
    token = api_client(pbx, "operator").bearer
    web = api_client(pbx, "operator")
    headers = {"Authorization": f"Bearer {token}"}
    streams = []
    try:
        for _ in range(25):
            streams.append(
                MonitorStream(
                    pbx.https_port,
                    pbx.certificate,
                    "/api/v1/monitor/stream?for_s=60",
                    headers,
                )
            )
        refused = [s for s in streams if s.status == 503]
        problem = json.loads(refused[0].response.read()) if refused else {}
        retry_after = refused[0].response.getheader("Retry-After") if refused else None
        started = time.monotonic()
        page = web.get("/api/v1/extensions")
        page_s = time.monotonic() - started
    finally:
        for stream in streams:
            stream.close()

    accepted = [s for s in streams if s.status == 200]
    assert (len(accepted), len(refused)) == (24, 1)
    assert "monitor streams are open" in problem["detail"]
    assert retry_after == "30"
    assert page.status == 200 and page_s < 5


def test_the_cli_watch_prints_the_snapshot_then_each_change_until_interrupted(
    pbx, extensions
):
    watch = subprocess.Popen(
        [*EDGEPBX, "monitor", "--watch", "--json"],
        # Started with SIGINT ignored, as a background job's children are:
        # Ctrl-C must still end it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        # A watch that does not end dumps where it is stuck (SIGABRT below).
        env={**pbx.env, "PYTHONFAULTHANDLER": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = json.loads(watch.stdout.readline())
        with phone(pbx, "101", extensions["101"], TONE_101) as alice:
            assert alice.register() == 200
            change = json.loads(watch.stdout.readline())
        watch.send_signal(signal.SIGINT)
        try:
            status = watch.wait(10)
        except subprocess.TimeoutExpired:
            watch.send_signal(signal.SIGABRT)
            _, stuck = watch.communicate(timeout=10)
            raise AssertionError(f"the watch did not end on Ctrl-C:\n{stuck}") from None
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()

    assert first["event"] == "snapshot"
    assert change["event"] == "change"
    assert change["data"]["extensions"]["changed"][0]["number"] == "101"
    assert change["data"]["extensions"]["changed"][0]["state"] == "idle"
    assert status == 0


def wait_for_monitor(web, condition, timeout_s: float = 15.0) -> dict:
    """The monitor once condition holds (or as it is after timeout_s)."""
    deadline = time.monotonic() + timeout_s
    while True:
        shown = web.get("/api/v1/monitor").json()
        if condition(shown) or time.monotonic() > deadline:
            return shown
        time.sleep(0.2)


def test_conference_members_are_counted_while_they_are_in_the_room(pbx, extensions):
    made = pbx.cli("conference", "set", "800", "--name", "Weekly", "--no-pin")
    assert made.returncode == 0, made.stderr
    web = api_client(pbx, "operator")
    with phone(pbx, "101", extensions["101"], TONE_101) as alice:
        assert alice.register() == 200
        call = alice.call("800")
        call.wait_confirmed()
        inside = wait_for_monitor(web, lambda s: s["rooms"][0]["members"] == 1)
        call.hangup()
        call.wait_disconnected()
        left = wait_for_monitor(web, lambda s: s["rooms"][0]["members"] == 0)

    assert inside["rooms"] == [
        {
            "number": "800",
            "name": "Weekly",
            "max_members": CALLS_PER_WORKER,
            "members": 1,
        }
    ]
    assert left["rooms"][0]["members"] == 0


def test_a_trunk_shows_the_state_the_agent_s_probe_found(pbx_data):
    # Added before the agent starts, so its first round of probes has it.
    silent = free_port()
    added = pbx_data.cli(
        "trunk", "add", "carrier", "--kind", "peer",
        "--host", "127.0.0.1", "--port", str(silent),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    pbx = pbx_data.start()
    try:
        web = api_client(pbx, "operator")
        shown = wait_for_monitor(web, lambda s: s["trunks"][0]["state"] != "unknown")
    finally:
        pbx.stop()

    assert [(t["name"], t["kind"], t["state"]) for t in shown["trunks"]] == [
        ("carrier", "peer", "unreachable")
    ]
    assert shown["trunks"][0]["checked_at"] is not None


def test_a_call_record_that_never_ended_stops_showing_once_it_is_stale(pbx_data):
    pbx_data.add_extension("101")
    now = time.time()
    rows = [
        ("live@pbx", now - 60, None),  # rings for a minute: a real call
        ("lost-ring@pbx", now - RINGING_MAX_S - 60, None),
        ("lost-talk@pbx", now - OPEN_CALL_MAX_S - 60, now - OPEN_CALL_MAX_S - 50),
    ]
    with sqlite3.connect(pbx_data.data_dir / "db" / "edgepbx.sqlite") as db:
        db.executemany(
            "INSERT INTO cdr (call_id, direction, src, dst, started_at, answered_at)"
            " VALUES (?, 'internal', '101', '102', ?, ?)",
            rows,
        )
    shown = pbx_data.cli("monitor", "--json")

    assert shown.returncode == 0, shown.stderr
    assert [(c["id"], c["state"]) for c in shown.json()["calls"]] == [
        (call_key("live@pbx"), "ringing")
    ]
    # Without a SIP core to ask, nobody is said to be unavailable.
    assert shown.json()["extensions"][0]["state"] == "in use"
    assert shown.json()["sip_core_error"]
