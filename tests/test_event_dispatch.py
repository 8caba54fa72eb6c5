"""The agent's event dispatcher in-process, over a real SQLite database and
a webhook receiver on loopback: emergency numbers, missed calls, retention,
and what a receiver's signature check refuses."""

from __future__ import annotations

import time

import pytest

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.events import catalogue, raise_event, signing
from agent.events.dispatcher import EventDispatcher
from agent.events.record import EventRow
from agent.events.service import WebhookService
from agent.settings import Settings
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
