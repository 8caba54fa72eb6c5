"""Which agent a queue rings first, by strategy, from the live state the media
workers publish (agent/queues/state.py) and the call records (least-recent
and fewest-calls, over a real SQLite database), and what a waiting caller hears
when the wait is announced. No phones: the choice and the prompts are
plain functions of that state; test_queues.py rings real phones."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from agent.cdr import records
from agent.db import open_database
from agent.db.migrations import migrate
from agent.db.models import CallQueue
from agent.media.prompts import SYSTEM_PROMPTS_DIR
from agent.queues import state
from agent.queues.flow import QueueCaller, ordered
from agent.queues.service import answered_today
from agent.reports.figures import period
from agent.settings import Settings

FREE = ["102", "103", "104"]


@pytest.fixture
def settings(tmp_path) -> Settings:
    found = Settings(
        data_dir=tmp_path / "var",
        bind="127.0.0.1",
        sip_port=5060,
        http_port=8080,
        https_port=8443,
        tftp_port=6969,
    )
    found.run_dir.mkdir(parents=True)
    return found


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "edgepbx.sqlite")
    migrate(database)
    CallQueue.create(number="600", name="Sales")
    return database


def two_workers(settings: Settings, first: dict, second: dict) -> state.Combined:
    """What two media workers published, as every worker reads it."""
    state.publish(settings, 5071, state.WorkerQueues(**first))
    state.publish(settings, 5072, state.WorkerQueues(**second))
    return state.combined(settings)


def answered(call_id: str, agent: str, at: float, talk_s: float) -> None:
    """A queue call the agent took, as the call records fold its events."""
    for kind, when, fields in (
        ("started", at - 10, {"direction": "internal", "src": "101", "dst": "600"}),
        ("queued", at - 9, {"queue": "600"}),
        ("queue_left", at, {"queue": "600", "outcome": "answered", "agent": agent}),
        ("ended", at + talk_s, {"code": 200}),
    ):
        records.apply_event({"event": kind, "call_id": call_id, "at": when, **fields})


def test_least_recent_rings_the_agent_idle_longest_first_from_the_records(db):
    now = time.time()
    answered("a", "102", now - 100, talk_s=90)  # ended 10 s ago
    answered("b", "103", now - 200, talk_s=20)  # ended 180 s ago
    answered("c", "103", now - 400, talk_s=20)

    # No worker holds anything (every one restarted): the records decide,
    # and 104, who took no queue call today, has been idle longest.
    stats = answered_today(FREE)
    assert ordered("least-recent", FREE, stats) == ["104", "103", "102"]
    assert ordered("least-recent", ["102", "103"], stats)[0] == "103"


def test_fewest_calls_counts_the_calls_answered_today_whichever_worker_held_them(db):
    now = time.time()
    for n, agent in enumerate(["102", "102", "102", "103", "103", "104"]):
        answered(f"call-{n}", agent, now - 300 + n * 30, talk_s=10)
    # An agent just hung up: the end is not recorded yet, the call counts.
    records.apply_event(
        {"event": "started", "call_id": "open", "at": now - 5, "src": "101",
         "dst": "600", "direction": "internal"}
    )  # fmt: skip
    records.apply_event(
        {"event": "queued", "call_id": "open", "at": now - 4, "queue": "600"}
    )
    records.apply_event(
        {"event": "queue_left", "call_id": "open", "at": now - 2, "queue": "600",
         "outcome": "answered", "agent": "104"}
    )  # fmt: skip

    stats = answered_today(FREE)

    assert {a: s["calls"] for a, s in stats.items()} == {"102": 3, "103": 2, "104": 2}
    assert ordered("fewest-calls", ["102", "104"], stats) == ["104", "102"]
    assert ordered("least-recent", FREE, stats)[-1] == "104"
    # Calls of yesterday do not count today.
    yesterday = period("today").start - 3600
    answered("old", "104", yesterday, talk_s=10)
    assert answered_today(["104"])["104"]["calls"] == 2


def test_round_robin_goes_on_after_the_agent_any_worker_rang_last(settings):
    live = two_workers(
        settings,
        {"rung": {"600": {"agent": "102", "at": 10.0}}},
        {"rung": {"600": {"agent": "103", "at": 20.0}}},
    )
    assert live.rung == {"600": "103"}
    assert ordered("round-robin", FREE, {}, live.rung["600"]) == [
        "104",
        "102",
        "103",
    ]
    # The agent rung last is busy now: the rotation starts at the top.
    assert ordered("round-robin", ["102", "104"], {}, "103") == ["102", "104"]


def test_random_rings_every_free_agent_once_each_in_any_order():
    firsts = set()
    for _ in range(200):
        order = ordered("random", FREE, {})
        assert sorted(order) == FREE
        firsts.add(order[0])
    assert firsts == set(FREE)


class Channel:
    def __init__(self) -> None:
        self.played: list = []

    def play(self, prompts, then=None) -> None:
        self.played.append([p.relative_to(SYSTEM_PROMPTS_DIR) for p in prompts])


def test_the_wait_announcement_says_the_minutes_waited(settings):
    queue = CallQueue(
        number="600", name="Sales", announce_wait=True, announce_every_s=60
    )
    worker = SimpleNamespace(settings=settings, port=5071)
    caller = QueueCaller(worker, Channel(), queue, "101")
    caller.since = time.time() - 130  # two minutes and ten seconds

    caller.announce(position=3)

    assert [str(p) for p in caller.channel.played[0]] == [
        "queue-holdtime.wav",
        "digits/2.wav",
        "queue-minutes.wav",
        "queue-thankyou.wav",
    ]
