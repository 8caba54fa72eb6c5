"""The agent's event dispatcher in-process, over a real SQLite database and
a webhook receiver on loopback: emergency numbers, missed calls, retention,
what a receiver's signature check refuses, and how the outbox waits for a
receiver that is down or busy."""

from __future__ import annotations

import time

import pytest

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cdr import records
from agent.db import database
from agent.events import catalogue, delivery, raise_event, signing
from agent.events.dispatcher import EventDispatcher
from agent.events.record import EventRow
from agent.events.service import WebhookService
from agent.settings import Settings
from tests.pbx import free_port
from tests.test_events import SECRET, Receiver


@pytest.fixture
def appliance(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEPBX_DATA_DIR", str(tmp_path / "var"))
    app = Appliance.open(Settings.from_environment())
    yield app
    app.close()


@pytest.fixture
def dispatcher(appliance):
    running = EventDispatcher(appliance.key)
    running.start()
    yield running
    running.stop()


def test_dialling_an_emergency_number_is_a_critical_event(dispatcher):
    dispatcher.on_call_event(
        {"event": "started", "call_id": "c1", "at": time.time(), "src": "101",
         "dst": "112", "direction": "out"}
    )  # fmt: skip
    dispatcher.on_call_event(
        {"event": "started", "call_id": "c2", "at": time.time(), "src": "101",
         "dst": "0800123", "direction": "out"}
    )  # fmt: skip

    rows = list(EventRow.select().where(EventRow.type == catalogue.EMERGENCY_CALL))

    assert len(rows) == 1
    assert rows[0].severity == "critical"
    assert rows[0].summary == "101 dialled emergency number 112"


def test_a_call_that_ends_unanswered_is_posted_as_ended_and_missed(
    appliance, dispatcher
):
    receiver = Receiver()
    try:
        WebhookService(appliance.key, CONSOLE).add(
            receiver.url, ["call-ended", "call-missed"], SECRET
        )
        dispatcher.on_call_event(
            {"event": "ended", "call_id": "c3", "at": time.time(), "code": 487}
        )
        receiver.wait_for("call-missed")
    finally:
        receiver.stop()

    assert [r["event"] for r in receiver.received] == ["call-ended", "call-missed"]
    assert receiver.received[0]["body"]["details"]["code"] == 487


def test_a_queue_call_is_posted_as_answered_when_an_agent_answers_it(
    appliance, dispatcher
):
    receiver = Receiver()
    steps = [
        {"event": "started", "src": "101", "dst": "600", "direction": "internal"},
        {"event": "queued", "queue": "600"},
        {"event": "answered"},  # the media worker's: no agent yet
        {"event": "queue_left", "queue": "600", "outcome": "answered",
         "agent": "102", "wait_s": 4},
        {"event": "ended", "code": 200},
    ]  # fmt: skip
    try:
        WebhookService(appliance.key, CONSOLE).add(
            receiver.url, ["call-answered", "call-ended"], SECRET
        )
        for step in steps:
            event = {"call_id": "q1", "at": time.time(), **step}
            with database.atomic():
                records.apply_event(event)
            dispatcher.on_call_event(event)
        receiver.wait_for("call-ended")
    finally:
        receiver.stop()

    assert [r["event"] for r in receiver.received] == ["call-answered", "call-ended"]
    answered = receiver.received[0]["body"]["details"]
    assert (answered["queue"], answered["agent"]) == ("600", "102")


def test_events_older_than_the_retention_are_removed(dispatcher):
    old = raise_event(catalogue.BACKUP_DONE, "old", at=time.time() - 91 * 86400)
    recent = raise_event(catalogue.BACKUP_DONE, "recent", at=time.time() - 89 * 86400)

    removed = dispatcher.remove_old()

    assert removed == 1
    assert [r.id for r in EventRow.select()] == [recent]
    assert old not in [r.id for r in EventRow.select()]


def test_a_receiver_refuses_a_changed_body_and_an_old_timestamp():
    body = b'{"type":"ip-banned"}'
    now = time.time()
    headers = signing.headers(SECRET, body, now)
    stamp = headers[signing.TIMESTAMP_HEADER]
    signed = headers[signing.SIGNATURE_HEADER]

    assert signing.verify(SECRET, stamp, signed, body, now)
    assert not signing.verify(SECRET, stamp, signed, body + b" ", now)
    assert not signing.verify("another-secret-000000", stamp, signed, body, now)
    assert not signing.verify(SECRET, stamp, signed, body, now + 301)


class Clock:
    """The outbox's clock, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def posts(url: str, count: int) -> list[delivery.Delivery]:
    def post(n: int) -> None:
        delivery.post_webhook(url, SECRET, "backup-done", {"object": f"event {n}"})

    return [delivery.Delivery(f"event {n}", lambda n=n: post(n)) for n in range(count)]


def test_a_receiver_nobody_answers_holds_its_whole_line_then_gets_it_in_order():
    port = free_port()
    clock = Clock()
    outbox = delivery.Outbox(clock=clock)
    for post in posts(f"http://127.0.0.1:{port}/hook", 3):
        outbox.put("webhook 1", post)

    outbox.work_due()  # nobody listens on the port yet
    tried_while_held = outbox.work_due()
    late = Receiver(port)
    try:
        clock.now += delivery.FIRST_RETRY_S
        while outbox.work_due():
            pass
    finally:
        late.stop()

    assert tried_while_held is False
    objects = [r["body"]["object"] for r in late.received]
    assert objects == ["event 0", "event 1", "event 2"]
    assert outbox.pending() == 0


def test_an_event_refused_with_500_waits_alone_while_the_rest_go_on():
    picky = Receiver(refuse=lambda body: body["object"] == "event 0")
    clock = Clock()
    outbox = delivery.Outbox(clock=clock)
    for post in posts(picky.url, 3):
        outbox.put("webhook 1", post)
    try:
        while outbox.work_due():
            pass
        clock.now += delivery.FIRST_RETRY_S
        while outbox.work_due():
            pass
    finally:
        picky.stop()

    tries = [(r["body"]["object"], r["status"]) for r in picky.received]
    assert tries == [
        ("event 0", 500),
        ("event 1", 204),
        ("event 2", 204),
        ("event 0", 500),
    ]
    assert outbox.pending() == 1


def test_a_receiver_that_answers_503_holds_its_whole_line():
    busy = Receiver(refuse=lambda body: True, refusal=503)
    clock = Clock()
    outbox = delivery.Outbox(clock=clock)
    for post in posts(busy.url, 3):
        outbox.put("webhook 1", post)
    try:
        outbox.work_due()
        tried_while_held = outbox.work_due()
        clock.now += delivery.FIRST_RETRY_S
        outbox.work_due()
    finally:
        busy.stop()

    assert tried_while_held is False
    assert [r["body"]["object"] for r in busy.received] == ["event 0", "event 0"]
