"""A caller in a call queue, as the media service runs it.

The worker answers the caller and plays music on hold. Every second it looks
at the queue: when this caller is first in line (over every worker, see
agent/queues/state.py) and an agent is free, it rings agents through
Kamailio as the queue's strategy says. The first agent to answer is bridged
with the caller both ways, and every other ringing phone stops. An agent in
a queue call, or being rung for one, is not rung again. After the queue's
maximum wait the caller goes to its failover destination. Announcements of
the caller's position and wait interrupt the music every announce_every_s.

The worker stays in the path: caller<->worker and worker<->agent are two
calls. When the agent transfers the call (a REFER, blind or attended, or to
park), the worker places the call the REFER names through Kamailio as the
agent's (agent/sip/transfer.py), bridges the caller to it once it is
answered, and ends the agent's call (agent/media/bridge.py, the same path
as an extension's transfer of a trunk caller an IVR handed it). The agent's
phone, and then the target's, sees the caller, not the worker, as the one
calling: the worker's call to the agent asserts who it is for
(P-Asserted-Identity), and the routing presents that caller in the From of
the call to the agent and of the call to the target.

Known shortcoming: an agent's forwards do not apply to queue calls
(do-not-disturb does).

The call record (agent/cdr/records.py) is told how the caller left the
queue: answered by an agent (who, and after how long), abandoned, or timed
out to the failover. A failover to another queue starts a part of the call
of its own there, so each queue's figures count only their own wait.
"""

from __future__ import annotations

import logging
import random
import time

from agent.cdr import records
from agent.db.models import CallQueue, Extension, QueueLogin
from agent.destinations import Destination
from agent.extensions.features import ExtensionFeatureRow
from agent.media.bridge import FollowsTransfer, join
from agent.media.flows import Flow, LeaveMessage, prompt
from agent.media.music_on_hold import is_enabled
from agent.media.prompts import digit_prompts, music_on_hold
from agent.media.uploads import MUSIC_FOLDER
from agent.queues import state
from agent.queues.service import DEFAULT_MUSIC, agent_list, answered_today
from agent.sip.kamailio_config import CALL_EVENTS_SOCKET_NAME
from agent.sip.outside import CallEvents
from agent.voicemail.service import VoicemailService

log = logging.getLogger("edgepbx.media")

# How often a waiting caller looks for a free agent.
TICK_S = 1.0
# After a round in which every agent rang or refused and none answered, the
# caller waits this long before the next round, so a phone that refuses at
# once (busy elsewhere) is not rung every second.
RETRY_S = 5.0

#: What this worker holds, published for the others and the web admin.
HELD = state.WorkerQueues()
#: This worker's sender of call events to the agent's call records.
_CALL_EVENTS: CallEvents | None = None


def _publish(worker) -> None:
    try:
        state.publish(worker.settings, worker.port, HELD)
    except OSError as exc:  # a full disk must not drop a caller
        log.warning("queue: live state not written: %s", exc)


def _tell_record(worker, channel, kind: str, **fields: object) -> None:
    """Tell the agent's call records about the caller's call (fire and forget)."""
    global _CALL_EVENTS
    if not channel.sip_call_id:
        return
    if _CALL_EVENTS is None:
        path = worker.settings.run_dir / CALL_EVENTS_SOCKET_NAME
        _CALL_EVENTS = CallEvents(str(path))
    _CALL_EVENTS.send(kind, channel.sip_call_id, **fields)


def queue_agents(queue: CallQueue) -> list[str]:
    """Static agents in order, then logged-in agents by login time."""
    static = agent_list(queue.agents)
    logins = (
        QueueLogin.select(QueueLogin.extension)
        .where(QueueLogin.queue == queue)
        .order_by(QueueLogin.logged_in_at, QueueLogin.id)
    )
    return static + [x.extension for x in logins if x.extension not in static]


def ordered(
    strategy: str, agents: list[str], stats: dict, last_rung: str | None = None
) -> list[str]:
    """The agents in the order the strategy rings them.

    Args:
        agents: the free agents in the queue's order.
        stats: agent -> {"calls": answered, "last_end": epoch seconds}, as
            the call records hold them (service.answered_today).
        last_rung: the agent any worker rang last for this queue.
    """
    if strategy == "round-robin" and last_rung in agents:
        after = agents.index(last_rung) + 1
        return agents[after:] + agents[:after]
    if strategy == "least-recent":
        return sorted(agents, key=lambda a: stats.get(a, {}).get("last_end", 0.0))
    if strategy == "fewest-calls":
        return sorted(agents, key=lambda a: stats.get(a, {}).get("calls", 0))
    if strategy == "random":
        return random.sample(agents, len(agents))
    return list(agents)


class QueueCaller(FollowsTransfer, Flow):
    def __init__(self, worker, channel, queue: CallQueue, caller: str) -> None:
        super().__init__(worker, channel)
        self.queue = queue
        self.number = queue.number
        self.caller = caller
        self.since = time.time()
        self.entry = {"caller": caller, "since": self.since}
        self.ringing: dict[str, object] = {}  # agent -> its outgoing call
        self.tried: list[str] = []  # agents rung in this round, one at a time
        self.agent_call = None
        self.agent = ""
        self.caller_hung_up = False
        self.done = False
        self.left = False  # answered by an agent or gone to the failover
        self.announcing = False
        self._tick_timer = None
        self._deadline = None
        self._next_announcement = self.since + queue.announce_every_s
        self._retry_at = 0.0

    # -- waiting -----------------------------------------------------------------

    def start(self) -> None:
        HELD.waiting.setdefault(self.number, []).append(self.entry)
        _publish(self.worker)
        _tell_record(self.worker, self.channel, records.QUEUED, queue=self.number)
        log.info("queue %s: %s waiting", self.number, self.caller)
        self.play_music()
        self._deadline = self.worker.later(self.queue.max_wait_s, self.give_up)
        self._tick_timer = self.worker.later(0, self.tick)

    def music(self) -> list:
        if self.queue.music != DEFAULT_MUSIC:
            path = (
                self.worker.settings.data_dir / MUSIC_FOLDER / f"{self.queue.music}.wav"
            )
            if path.is_file():
                return [path]
        if not is_enabled():
            return []  # the owner turned music on hold off: silence
        return music_on_hold(self.worker.settings.data_dir)

    def play_music(self) -> None:
        if self.done or self.channel.ended:
            return
        self.announcing = False
        music = self.music()
        if music:
            self.channel.play(music, self.play_music)
        else:
            self.channel.stop_playing()

    def tick(self) -> None:
        if self.done or self.channel.ended:
            return
        self._tick_timer = self.worker.later(TICK_S, self.tick)
        live = state.combined(self.worker.settings)
        position = live.position(self.number, self.since)
        announces = self.queue.announce_position or self.queue.announce_wait
        if announces and time.time() >= self._next_announcement and not self.ringing:
            self._next_announcement = time.time() + self.queue.announce_every_s
            self.announce(position)
        if self.ringing or time.time() < self._retry_at:
            return
        # An agent calling the queue is the caller here, never an agent.
        agents = [a for a in queue_agents(self.queue) if a != self.caller]
        free = [a for a in agents if a not in live.agents and self._reachable(a)]
        if not free or position > len(free):
            return
        last = live.rung.get(self.number)
        stats = (
            answered_today(free)
            if self.queue.strategy in {"least-recent", "fewest-calls"}
            else {}
        )
        self.ring(ordered(self.queue.strategy, free, stats, last))

    def _reachable(self, agent: str) -> bool:
        """An extension that exists and has do-not-disturb off."""
        extension = Extension.get_or_none(Extension.number == agent)
        if extension is None:
            return False
        features = ExtensionFeatureRow.get_or_none(
            ExtensionFeatureRow.extension == extension
        )
        return features is None or not features.dnd

    def announce(self, position: int) -> None:
        said = []
        if self.queue.announce_position:
            if position == 1:
                said.append(prompt("queue-youarenext"))
            else:
                said += [
                    prompt("queue-thereare"),
                    *digit_prompts(position - 1),
                    prompt("queue-callswaiting"),
                ]
        if self.queue.announce_wait:
            minutes = max(1, round((time.time() - self.since) / 60))
            said += [
                prompt("queue-holdtime"),
                *digit_prompts(minutes),
                prompt("queue-minutes"),
            ]
        said.append(prompt("queue-thankyou"))
        self.announcing = True
        self.channel.play(said, self.play_music)

    # -- ringing -----------------------------------------------------------------

    def ring(self, candidates: list[str]) -> None:
        if self.queue.strategy == "ring-all":
            chosen = candidates[: max(0, self.worker.free_lines())]
        else:
            untried = [a for a in candidates if a not in self.tried]
            if not untried:
                self.tried = []
                untried = candidates
            chosen = untried[:1] if self.worker.free_lines() > 0 else []
        for agent in chosen:
            call = self.worker.call_out(
                agent, self.agent_answered, self.agent_ended, for_caller=self.channel
            )
            if call is None:
                continue
            self.follow_transfers(call)
            call.agent = agent
            self.ringing[agent] = call
            self.tried.append(agent)
            HELD.rung[self.number] = {"agent": agent, "at": time.time()}
            HELD.agents[agent] = {"state": "ringing", "queue": self.number}
            call.ring_timer = self.worker.later(
                self.queue.ring_s, lambda c=call: c.channel.hangup()
            )
        if chosen:
            log.info(
                "queue %s: ringing %s for %s",
                self.number,
                ", ".join(chosen),
                self.caller,
            )
            _publish(self.worker)

    def agent_answered(self, call) -> None:
        call.ring_timer.cancel()
        if self.done or self.channel.ended or self.agent_call is not None:
            call.channel.hangup()
            return
        self.agent_call = call
        self.agent = call.agent
        self.left = True
        self.leave_line()
        for other in list(self.ringing.values()):
            if other is not call:
                other.channel.hangup()
        self.channel.stop_playing()
        join(self.channel, call.channel)
        HELD.agents[self.agent] = {"state": "talking", "queue": self.number}
        _publish(self.worker)
        _tell_record(
            self.worker,
            self.channel,
            records.QUEUE_LEFT,
            queue=self.number,
            outcome=records.QUEUE_ANSWERED,
            agent=self.agent,
            wait_s=time.time() - self.since,
        )
        log.info(
            "queue %s: %s answered %s after %d s",
            self.number,
            self.agent,
            self.caller,
            time.time() - self.since,
        )

    def agent_ended(self, call, code: int) -> None:
        agent = call.agent
        call.ring_timer.cancel()
        self.ringing.pop(agent, None)
        if HELD.agents.get(agent, {}).get("queue") == self.number:
            HELD.agents.pop(agent, None)
        round_over = self.queue.strategy == "ring-all" or set(self.tried) >= set(
            queue_agents(self.queue)
        )
        if call is not self.agent_call and not self.ringing and round_over:
            self._retry_at = time.time() + RETRY_S
        left_with_target = call is self.agent_call and self.bridged_ended()
        if call is self.agent_call and not left_with_target and not self.caller_hung_up:
            log.info("queue %s: %s hung up on %s", self.number, agent, self.caller)
            self.channel.hangup()
        _publish(self.worker)

    # -- a transfer by the agent (agent/media/bridge.py) ---------------------------

    def bridged_call(self):
        return self.agent_call

    def transfer_label(self) -> str:
        return f"queue {self.number}"

    # -- the end -------------------------------------------------------------------

    def leave_line(self) -> None:
        callers = HELD.waiting.get(self.number, [])
        if self.entry in callers:
            callers.remove(self.entry)
        if not callers:
            HELD.waiting.pop(self.number, None)
        for timer in (self._tick_timer, self._deadline):
            if timer is not None:
                timer.cancel()

    def stop_ringing(self) -> None:
        for call in list(self.ringing.values()):
            if call is not self.agent_call:
                call.channel.hangup()

    def give_up(self) -> None:
        if self.done or self.agent_call is not None or self.channel.ended:
            return
        self.done = True
        self.left = True
        self.leave_line()
        self.stop_ringing()
        _publish(self.worker)
        self.channel.stop_playing()
        failover = Destination.parse(self.queue.failover, "failover")
        _tell_record(
            self.worker,
            self.channel,
            records.QUEUE_LEFT,
            queue=self.number,
            outcome=records.TIMED_OUT,
            wait_s=time.time() - self.since,
            failover=failover.kind,
        )
        log.info(
            "queue %s: %s waited %d s, no agent: to %s",
            self.number,
            self.caller,
            self.queue.max_wait_s,
            failover,
        )
        self.go(failover)

    def go(self, destination: Destination) -> None:
        if destination.kind == "extension":
            self.channel.transfer(destination.target)
        elif destination.kind == "voicemail":
            box = VoicemailService(self.worker.settings).find(destination.target)
            if box is None or not box.enabled:
                self.goodbye()
                return
            self.hand_over(
                LeaveMessage(
                    self.worker, self.channel, box, "unavailable", self.caller, ""
                )
            )
        elif destination.kind == "ivr":
            from agent.db.models import IvrMenu
            from agent.ivr.flow import IvrFlow

            menu = IvrMenu.get_or_none(IvrMenu.number == destination.target)
            if menu is None:
                self.goodbye()
                return
            self.hand_over(IvrFlow(self.worker, self.channel, menu, self.caller))
        elif destination.kind == "queue":
            queue = CallQueue.get_or_none(CallQueue.number == destination.target)
            if queue is None:
                self.goodbye()
                return
            self.hand_over(QueueCaller(self.worker, self.channel, queue, self.caller))
        else:
            self.goodbye()

    def hand_over(self, flow: Flow) -> None:
        self.channel.call.flow = flow
        flow.start()

    def on_hangup(self) -> None:
        super().on_hangup()
        self.done = True
        self.leave_line()
        self.stop_ringing()
        if self.agent_call is not None:
            self.caller_hung_up = True
            if not self.agent_call.channel.ended:
                log.info(
                    "queue %s: %s hung up on %s", self.number, self.caller, self.agent
                )
            self.agent_call.channel.hangup()
        self.hang_up_target()
        _publish(self.worker)
        if not self.left:
            _tell_record(
                self.worker,
                self.channel,
                records.QUEUE_LEFT,
                queue=self.number,
                outcome=records.ABANDONED,
                wait_s=time.time() - self.since,
            )
        if self.agent_call is None:
            log.info(
                "queue %s: %s hung up after %d s waiting",
                self.number,
                self.caller,
                time.time() - self.since,
            )

    def on_transfer_failed(self, code: int) -> None:
        log.info("queue %s: failover transfer failed with %d", self.number, code)
        self.goodbye()
