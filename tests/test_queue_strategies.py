"""Which agent a queue rings first, by strategy, from the live state the media
workers publish (agent/queues/state.py), and what a waiting caller hears
when the wait is announced. No phones: the choice and the prompts are
plain functions of that state; test_queues.py rings real phones."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from agent.db.models import CallQueue
from agent.media.prompts import SYSTEM_PROMPTS_DIR
from agent.queues import state
from agent.queues.flow import QueueCaller, ordered
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


def two_workers(settings: Settings, first: dict, second: dict) -> state.Combined:
    """What two media workers published, as every worker reads it."""
    state.publish(settings, 5071, state.WorkerQueues(**first))
    state.publish(settings, 5072, state.WorkerQueues(**second))
    return state.combined(settings)


def test_least_recent_rings_the_agent_idle_longest_first(settings):
    live = two_workers(
        settings,
        {"stats": {"102": {"calls": 1, "last_end": 300.0}}},
        {"stats": {"103": {"calls": 4, "last_end": 100.0}}},
    )
    # 104 took no queue call yet: idle longest of all.
    assert ordered("least-recent", FREE, live.stats) == ["104", "103", "102"]
    assert ordered("least-recent", ["102", "103"], live.stats)[0] == "103"


def test_fewest_calls_counts_the_calls_answered_on_every_worker(settings):
    live = two_workers(
        settings,
        {"stats": {"102": {"calls": 2, "last_end": 1.0}}},
        {
            "stats": {
                "102": {"calls": 1, "last_end": 2.0},
                "103": {"calls": 2, "last_end": 3.0},
                "104": {"calls": 1, "last_end": 4.0},
            }
        },
    )
    assert live.stats["102"]["calls"] == 3
    assert ordered("fewest-calls", FREE, live.stats) == ["104", "103", "102"]


def test_round_robin_goes_on_after_the_agent_any_worker_rang_last(settings):
    live = two_workers(
        settings,
        {"rung": {"600": {"agent": "102", "at": 10.0}}},
        {"rung": {"600": {"agent": "103", "at": 20.0}}},
    )
    assert live.rung == {"600": "103"}
    assert ordered("round-robin", FREE, live.stats, live.rung["600"]) == [
        "104",
        "102",
        "103",
    ]
    # The agent rung last is busy now: the rotation starts at the top.
    assert ordered("round-robin", ["102", "104"], live.stats, "103") == ["102", "104"]


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
