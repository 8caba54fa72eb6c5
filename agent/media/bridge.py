"""A held caller bridged to a call the worker placed, and that call's REFER.

A worker that holds a caller and rings someone for them (a queue's agent,
agent/queues/flow.py; the extension an IVR hands a trunk's caller to,
agent/media/flows.py) is in the middle of two calls. A transfer by the
phone it rang is a REFER (RFC 3515) that reaches the worker, the
transferee: pjsua places the call the REFER names (with Replaces, for an
attended transfer) and tells the phone how it goes in NOTIFYs with a
sipfrag. :class:`FollowsTransfer` is what the flow then does: keep the
caller with the transferer while the target rings, bridge the caller to the
target once it answers, and end the transferer's call; a target that does
not answer leaves the caller with the transferer, whose phone is told so,
or with the flow (``transfer_failed_alone``) when the transferer has hung
up meanwhile. A caller the transferer leaves with a target that still
rings hears a ringback tone (:class:`Ringback`) until the target answers or
fails, as a desk phone would play it to its own user.
Kamailio takes the worker's call for the target as the transferer's
(agent/sip/transfer.py) and presents the held caller to the target.
"""

from __future__ import annotations

import contextlib
import logging

import pjsua2 as pj

log = logging.getLogger("edgepbx.media")

# After a transfer's target answered, the transferer's phone hangs up when
# told so (RFC 3515 section 2.4.5, the final NOTIFY); one that stays is hung
# up after this.
TRANSFERER_LEAVES_S = 2.0

# The ringing tone of ITU-T Rec. E.180 as most of Europe plays it: 425 Hz,
# 1 s on, 4 s off. The appliance has no notion of a country, so it plays this
# cadence everywhere.
RINGBACK_HZ = 425
RINGBACK_ON_MS = 1000
RINGBACK_OFF_MS = 4000


class Ringback:
    """A ringback tone played to one channel until stopped."""

    def __init__(self, channel) -> None:
        self.channel = channel
        self.generator = pj.ToneGenerator()
        self.generator.createToneGenerator()
        tone = pj.ToneDesc()
        tone.freq1 = RINGBACK_HZ
        tone.freq2 = 0
        tone.on_msec = RINGBACK_ON_MS
        tone.off_msec = RINGBACK_OFF_MS
        cadence = pj.ToneDescVector()
        cadence.append(tone)
        self.generator.play(cadence, True)
        self.generator.startTransmit(channel.audio)

    def stop(self) -> None:
        """Stop the tone; the caller's call may be gone already."""
        with contextlib.suppress(pj.Error):
            self.generator.stopTransmit(self.channel.audio)
        with contextlib.suppress(pj.Error):
            self.generator.stop()


def join(channel, other) -> None:
    """Send each side's audio to the other."""
    channel.audio.startTransmit(other.audio)
    other.audio.startTransmit(channel.audio)


def part(channel, other) -> None:
    """Stop what join started; either side may be gone already."""
    with contextlib.suppress(pj.Error):
        channel.audio.stopTransmit(other.audio)
        other.audio.stopTransmit(channel.audio)


class FollowsTransfer:
    """A flow's part in a REFER on the call its caller is bridged to.

    The flow (a :class:`agent.media.flows.Flow`) names that call in
    ``bridged_call`` and says who it is in ``transfer_label`` (for the log),
    hands each call it places to ``follow_transfers``, and hangs up
    ``target_call`` when its caller hangs up. ``bridged_ended`` tells the
    flow whether the end of the bridged call leaves the caller with a
    target (True) or alone.
    """

    #: The call the transferer's REFER made the worker place, once placed.
    target_call = None
    #: The tone the caller hears while alone with a ringing target.
    ringback: Ringback | None = None

    def bridged_call(self):
        raise NotImplementedError

    def transfer_label(self) -> str:
        raise NotImplementedError

    def follow_transfers(self, call) -> None:
        call.on_transfer = self.bridged_call_transferred

    def bridged_call_transferred(self, call, target) -> None:
        """The bridged call's phone REFERred it: target is the worker's call
        to the number it named, still ringing."""
        if call is not self.bridged_call() or self.channel.ended:
            target.channel.hangup()
            return
        self.target_call = target
        target.on_answered = self.target_answered
        target.on_ended = self.target_ended
        log.info("%s: %s transferred", self.transfer_label(), self.channel.caller)

    def target_answered(self, target) -> None:
        if target is not self.target_call or self.channel.ended:
            target.channel.hangup()
            return
        self.stop_ringback()
        transferer = self.bridged_call()
        part(self.channel, transferer.channel)
        join(self.channel, target.channel)
        log.info(
            "%s: %s talks with the transfer target",
            self.transfer_label(),
            self.channel.caller,
        )
        # The transferer's phone hangs up once told the transfer worked; one
        # that does not is hung up a moment later.
        self.worker.later(TRANSFERER_LEAVES_S, transferer.channel.hangup)

    def target_ended(self, target, code: int) -> None:
        if target is not self.target_call:
            return
        self.stop_ringback()
        if not target.answered:
            # The transfer failed: the caller stays with the transferer,
            # whose phone is told so in the REFER's NOTIFY, if it is still
            # there (a desk phone may hang up once the REFER is accepted).
            self.target_call = None
            transferer = self.bridged_call()
            transferer.transferred_to = None
            log.info(
                "%s: transfer of %s failed with %d",
                self.transfer_label(),
                self.channel.caller,
                code,
            )
            if transferer.channel.ended and not self.channel.ended:
                self.transfer_failed_alone(code)
            return
        log.info(
            "%s: the transfer target hung up on %s",
            self.transfer_label(),
            self.channel.caller,
        )
        self.channel.hangup()

    def transfer_failed_alone(self, code: int) -> None:
        """The transfer failed after the transferer hung up: the caller is
        told goodbye rather than left in silence."""
        self.goodbye()

    def bridged_ended(self) -> bool:
        """The bridged call is over: True when the caller goes on with the
        transfer's target (ringing or answered), so the flow keeps them."""
        target = self.target_call
        if target is None or target.channel.ended:
            return False
        log.info(
            "%s: %s is left with the transfer target",
            self.transfer_label(),
            self.channel.caller,
        )
        if not target.answered and not self.channel.ended:
            self.stop_ringback()
            self.ringback = Ringback(self.channel)
        return True

    def stop_ringback(self) -> None:
        ringback, self.ringback = self.ringback, None
        if ringback is not None:
            ringback.stop()

    def hang_up_target(self) -> None:
        """The caller hung up: the transfer's target goes too."""
        self.stop_ringback()
        target = self.target_call
        if target is None:
            return
        if target.answered:
            log.info(
                "%s: %s hung up on the transfer target",
                self.transfer_label(),
                self.channel.caller,
            )
        target.channel.hangup()
