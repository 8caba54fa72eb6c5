"""One media worker: a pjsua2 Endpoint driven from one thread.

``edgepbx media --port P`` runs one worker of the pool (agent/media/pool.py).
The Endpoint has no threads of its own (``threadCnt = 0``,
``mainThreadOnly = True``): this process's only thread pumps
``libHandleEvents`` and runs the timers, so every callback, every flow and
every pjsua2 object lives on that thread and needs no lock.

Each answered call gets a :class:`Channel` (the call's audio: play, record,
digits, transfer) and a flow from agent/media/flows.py, a state machine that
reacts to a finished prompt, a digit, a timer or the hang-up.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import heapq
import itertools
import logging
import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pjsua2 as pj

from agent.media import pool
from agent.settings import Settings
from agent.sip.kamailio_config import sip_domain, sip_host

log = logging.getLogger("edgepbx.media")

# How long one libHandleEvents call may wait for network events. 10 ms keeps
# timers and prompt ends responsive at negligible idle cost.
EVENT_POLL_MS = 10
# With no call and no timer due, a worker waits this long: a pool of idle
# workers then costs next to no CPU, and a new INVITE or Kamailio's OPTIONS
# probe still wakes it at once (they are network events).
IDLE_POLL_MS = 200
# SIP status codes the worker answers with (RFC 3261 section 21).
OK = 200
FORBIDDEN = 403
NOT_FOUND = 404
TEMPORARILY_UNAVAILABLE = 480
DECLINE = 603
# The reason phrase of a call sent back because the mailbox is off; the
# routing passes such an answer to the caller instead of trying another
# worker (agent/sip/routing.py names the same phrase).
NO_VOICEMAIL_REASON = "No Voicemail"
# Who a call the worker places is for (RFC 3325 section 9.1): the caller it
# holds, as the routing reads it (agent/sip/routing.py, from_media_service).
ASSERTED_IDENTITY = "P-Asserted-Identity"
# pjlib aborts when called from a thread it does not know, and Python's
# cyclic garbage collector runs in whichever thread allocates at the time
# (the e-mail sender's, say), where it would destroy pjsua2 objects. So the
# automatic collector is off and the event loop collects this often.
GC_INTERVAL_S = 2.0
# pjsua's own log level: errors only, on standard error.
PJSUA_LOG_LEVEL = 1
# The codecs desk phones offer first; G.722 stays available as wideband.
CODEC_PRIORITIES = {"PCMU/8000": 255, "PCMA/8000": 254, "G722/16000": 200}

_HEADER = re.compile(r"^([A-Za-z0-9-]+)\s*:\s*(.*)$")
_USER = re.compile(r"sips?:([^@;>]+)@")
# RFC 3261 section 25.1: a quoted-pair inside a quoted display name.
_QUOTED_PAIR = re.compile(r"\\(.)")


class Timer:
    __slots__ = ("action", "cancelled", "due")

    def __init__(self, due: float, action: Callable[[], None]) -> None:
        self.due = due
        self.action = action
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Invite:
    """What a worker reads from an incoming INVITE."""

    def __init__(self, whole_message: str) -> None:
        head = whole_message.split("\r\n\r\n", 1)[0].splitlines()
        self.request_line = head[0] if head else ""
        self.headers: dict[str, str] = {}
        for line in head[1:]:
            match = _HEADER.match(line)
            if match:
                self.headers.setdefault(match.group(1).lower(), match.group(2).strip())
        parts = self.request_line.split()
        ruri = parts[1] if len(parts) > 1 else ""
        self.dialed = _user(ruri)
        from_header = self.headers.get("from", "")
        self.caller = _user(from_header)
        self.caller_name = _display_name(from_header)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def asserted_identity(number: str, name: str, domain: str) -> str:
    """A P-Asserted-Identity value (RFC 3325 section 9.1) naming a caller:
    the name as a quoted string (RFC 3261 section 25.1), the number as
    the user of a SIP URI of this PBX."""
    uri = f"<sip:{number}@{domain}>"
    if not name:
        return uri
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" {uri}'


def _display_name(name_addr: str) -> str:
    """The display name of a From value, unquoted: ``"Ann \\"A\\" Lee"
    <sip:101@pbx>`` names Ann "A" Lee; a bare URI names no one."""
    display, bracket, _ = name_addr.rpartition("<")
    name = display.strip()
    if not bracket:
        return ""
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return _QUOTED_PAIR.sub(r"\1", name[1:-1])
    return name


def _user(uri: str) -> str:
    match = _USER.search(uri)
    return match.group(1) if match else ""


class Player(pj.AudioMediaPlayer):
    """A playlist that tells its channel when it has played to the end."""

    def __init__(self, on_end: Callable[[], None]) -> None:
        super().__init__()
        self.on_end = on_end

    def onEof2(self) -> None:
        # Never destroy a player inside its own callback: end it afterwards.
        self.on_end()


class Channel:
    """The audio side of one answered call, as flows use it."""

    def __init__(self, worker: MediaWorker, call: MediaCall) -> None:
        self.worker = worker
        self.call = call
        self.player: Player | None = None
        self.recorder: pj.AudioMediaRecorder | None = None
        self.recording_started = 0.0
        self.ended = False
        #: The SIP Call-ID of the caller's INVITE: the key of its call record.
        self.sip_call_id = ""
        #: The trunk the caller came in on; "" for a call from the PBX.
        self.trunk = ""
        #: Who called, as the INVITE's From named them: number and name.
        self.caller = ""
        self.caller_name = ""

    @property
    def audio(self) -> pj.AudioMedia:
        return self.call.getAudioMedia(-1)

    def play(self, prompts: list[Path], then: Callable[[], None] | None = None) -> None:
        """Play prompts one after the other, then call ``then``."""
        self.stop_playing()
        files = [str(p) for p in prompts if Path(p).is_file()]
        missing = [str(p) for p in prompts if not Path(p).is_file()]
        if missing:
            log.warning("media: prompts missing, skipped: %s", ", ".join(missing))
        if not files or self.ended:
            if then:
                self.worker.later(0, then)
            return

        player = Player(lambda: self._played(player, then))
        if len(files) == 1:
            player.createPlayer(files[0], pj.PJMEDIA_FILE_NO_LOOP)
        else:
            player.createPlaylist(files, "prompts", pj.PJMEDIA_FILE_NO_LOOP)
        player.startTransmit(self.audio)
        self.player = player

    def _played(self, player: Player, then: Callable[[], None] | None) -> None:
        def finish() -> None:
            if self.player is not player:
                return  # stopped or replaced meanwhile
            self.stop_playing()
            if then and not self.ended:
                then()

        self.worker.later(0, finish)

    def stop_playing(self) -> None:
        player, self.player = self.player, None
        if player is not None:
            with contextlib.suppress(pj.Error):
                player.stopTransmit(self.audio)

    def record(self, path: Path) -> None:
        self.stop_recording()
        path.parent.mkdir(parents=True, exist_ok=True)
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(str(path))
        self.audio.startTransmit(recorder)
        self.recorder = recorder
        self.recording_started = time.monotonic()

    def stop_recording(self) -> float:
        """Stop recording; the bridge's clock thread closes the file (writing
        the WAV header's sizes) a few milliseconds after this returns."""
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return 0.0
        if not self.ended:
            with contextlib.suppress(pj.Error):
                self.audio.stopTransmit(recorder)
        del recorder  # destroying the recorder writes the WAV sizes
        return time.monotonic() - self.recording_started

    def incoming_level(self) -> int:
        """The caller's signal level now, 0 (silence) to 255."""
        try:
            return self.audio.getTxLevel()
        except pj.Error:
            return 0

    def transfer(self, number: str, headers: dict[str, str] | None = None) -> None:
        """Blind transfer (RFC 3515 REFER) of the caller to an extension or
        another number, with headers for the new INVITE in the target URI
        (RFC 3261 section 19.1.1; values digits or tokens, not escaped).

        A caller from a trunk is joined to the extension by the worker
        instead: a carrier seldom follows a REFER, and the call it placed
        would come back as a call to a DID that the number is not.
        """
        self.stop_playing()
        if self.trunk:
            from agent.media.flows import JoinExtension

            join = JoinExtension(self.worker, self, number, self.call.flow)
            self.call.flow = join
            join.start()
            return
        target = f"sip:{number}@{self.worker.domain}"
        if headers:
            fields = "&".join(f"{name}={value}" for name, value in headers.items())
            target = f"<{target}?{fields}>"
        log.info("media: call %s transferred to %s", self.call.label, number)
        self.call.xfer(target, pj.CallOpParam(True))

    def hangup(self) -> None:
        if self.ended:
            return
        self.stop_playing()
        prm = pj.CallOpParam(True)
        with contextlib.suppress(pj.Error):
            self.call.hangup(prm)


class MediaCall(pj.Call):
    """One call into the worker and the flow that handles it."""

    def __init__(self, worker: MediaWorker, account: pj.Account, call_id: int) -> None:
        super().__init__(account, call_id)
        self.worker = worker
        self.label = f"{worker.port}/{call_id}"
        self.channel = Channel(worker, self)
        self.flow = None
        self.started = False

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.channel.ended = True
            self.channel.stop_playing()
            flow = self.flow
            self.worker.later(0, lambda: self.worker.ended(self, flow))

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        if self.started or self.flow is None:
            return
        info = self.getInfo()  # keep it: .media refers into it
        for media in info.media:
            if (
                media.type == pj.PJMEDIA_TYPE_AUDIO
                and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE
            ):
                self.started = True
                flow = self.flow
                self.worker.later(0, flow.start)
                return

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        # RFC 4733 telephone-events and SIP INFO (application/dtmf-relay)
        # both arrive here.
        if self.flow is not None and self.started and not self.channel.ended:
            digit = prm.digit
            self.worker.later(0, lambda: self.flow.on_digit(digit))

    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:
        if not prm.finalNotify:
            return
        if prm.statusCode // 100 == 2:
            prm.cont = False
            self.worker.later(0, self.channel.hangup)
        elif self.flow is not None:
            code = prm.statusCode
            self.worker.later(0, lambda: self.flow.on_transfer_failed(code))


class OutgoingCall(MediaCall):
    """A call the worker places through Kamailio (a queue ringing an agent).

    ``on_answered`` runs once the callee answered and the audio is up;
    ``on_ended`` runs with the final SIP status when the call is over,
    answered or not. ``on_transfer``, if set, runs when the callee's phone
    transfers the call (REFER): the worker follows the REFER itself, placing
    the call it names through Kamailio (agent/sip/transfer.py), and hands
    that new call to ``on_transfer`` before it is answered.
    """

    def __init__(
        self,
        worker: MediaWorker,
        on_answered: Callable[[OutgoingCall], None],
        on_ended: Callable[[OutgoingCall, int], None],
        on_transfer: Callable[[OutgoingCall, OutgoingCall], None] | None = None,
    ) -> None:
        super().__init__(worker, worker.account, pj.PJSUA_INVALID_ID)
        self.on_answered = on_answered
        self.on_ended = on_ended
        self.on_transfer = on_transfer
        self.answered = False
        #: The call this one was transferred to, while it lasts.
        self.transferred_to: OutgoingCall | None = None

    def onCallTransferRequest(self, prm: pj.OnCallTransferRequestParam) -> None:
        if self.on_transfer is None or self.transferred_to is not None:
            prm.statusCode = DECLINE
            return
        # pjsua places the new call itself (with Replaces, for an attended
        # transfer) and reports its progress to the transferer in NOTIFYs.
        target = OutgoingCall(self.worker, _ignored, _ignored)
        prm.newCall = target
        self.transferred_to = target
        log.info("media: call %s transferred to %s", self.label, prm.dstUri)
        on_transfer = self.on_transfer
        self.worker.later(0, lambda: on_transfer(self, target))

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if self.getId() not in self.worker.calls:
            # A call pjsua placed to follow a REFER: its id is known now.
            self.label = f"{self.worker.port}/{self.getId()}"
            self.worker.calls[self.getId()] = self
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED and not self.answered:
            self.answered = True
            self.worker.later(0, lambda: self.on_answered(self))
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.channel.ended = True
            self.channel.stop_playing()
            code = info.lastStatusCode
            self.worker.later(0, lambda: self.worker.ended(self, None))
            self.worker.later(0, lambda: self.on_ended(self, code))

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        return


def _ignored(*_: object) -> None:
    """A call's handler until its flow sets the real one."""


class MediaAccount(pj.Account):
    """The worker's one local account: every call Kamailio sends lands here."""

    def __init__(self, worker: MediaWorker) -> None:
        super().__init__()
        self.worker = worker

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = MediaCall(self.worker, self, prm.callId)
        invite = Invite(prm.rdata.wholeMsg)
        # Answered once this callback has returned: pjsua 2.12 frees the
        # INVITE it keeps for the callback a second time when a final
        # refusal (403, 480) is sent from inside it, and aborts.
        worker, call_id = self.worker, prm.callId
        worker.calls[call_id] = call

        def answer() -> None:
            if worker.calls.get(call_id) is call:  # not cancelled meanwhile
                worker.answer(call, invite)

        worker.later(0, answer)


class MediaWorker:
    def __init__(self, settings: Settings, port: int, token: str) -> None:
        self.settings = settings
        self.port = port
        self.token = token
        self.domain = f"{sip_domain(settings)}:{settings.sip_port}"
        self.calls: dict[int, MediaCall] = {}
        self.timers: list[tuple[float, int, Timer]] = []
        self._sequence = itertools.count()
        self.stopping = False
        self.endpoint: pj.Endpoint | None = None
        self.account: MediaAccount | None = None

    # -- timers ----------------------------------------------------------------

    def later(self, delay_s: float, action: Callable[[], None]) -> Timer:
        timer = Timer(time.monotonic() + delay_s, action)
        heapq.heappush(self.timers, (timer.due, next(self._sequence), timer))
        return timer

    def _poll_ms(self) -> int:
        if self.calls:
            return EVENT_POLL_MS
        if self.timers:
            due_ms = (self.timers[0][0] - time.monotonic()) * 1000
            return max(0, min(IDLE_POLL_MS, int(due_ms)))
        return IDLE_POLL_MS

    def run_timers(self) -> None:
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, _, timer = heapq.heappop(self.timers)
            if timer.cancelled:
                continue
            try:
                timer.action()
            except Exception:
                log.exception("media: a call step failed")

    # -- calls -----------------------------------------------------------------

    def answer(self, call: MediaCall, invite: Invite) -> None:
        """Choose the call's flow and answer 200, or refuse it. The call is in
        ``calls`` from its INVITE on (onIncomingCall), so pjsua keeps the
        object until a refused call has ended."""
        from agent.media import flows

        if invite.header(pool.TOKEN_HEADER) != self.token:
            log.warning("media: call without the trust token refused")
            self._reply(call, FORBIDDEN)
            return
        call.channel.sip_call_id = invite.header("call-id") or ""
        call.channel.caller = invite.caller
        call.channel.caller_name = invite.caller_name
        try:
            flow = flows.for_invite(self, call.channel, invite)
        except Exception:
            log.exception("media: cannot choose a flow for %s", invite.dialed)
            flow = None
        if isinstance(flow, int):
            # Sent back to Kamailio for the caller, not for another worker.
            self._reply(call, flow, NO_VOICEMAIL_REASON)
            return
        if flow is None:
            self._reply(call, NOT_FOUND)
            return
        call.flow = flow
        call.channel.trunk = invite.header(pool.TRUNK_HEADER) or ""
        log.info(
            "media: call %s from %s to %s: %s",
            call.label,
            invite.caller,
            invite.dialed,
            type(flow).__name__,
        )
        self._reply(call, OK)

    def free_lines(self) -> int:
        """Calls this worker may still hold (answered and placed alike)."""
        return pool.CALLS_PER_WORKER - len(self.calls)

    def call_out(
        self,
        extension: str,
        on_answered: Callable[[OutgoingCall], None],
        on_ended: Callable[[OutgoingCall, int], None],
        headers: dict[str, str] | None = None,
        for_caller: Channel | None = None,
    ) -> OutgoingCall | None:
        """Ring an extension's phones through Kamailio, with the trust token
        (agent/sip/routing.py, from_media_service) and any other headers
        (a page's); None if it cannot start.

        for_caller: the held caller this call is made for (a queue's, a
        trunk caller joined to an extension): the call asserts that
        caller's identity (RFC 3325 P-Asserted-Identity; the token makes
        the worker part of the PBX's trust domain), which the phone may
        show, and which a transfer of this call passes on to its target
        (agent/sip/transfer.py).
        """
        if self.account is None:
            return None
        target = f"sip:{extension}@{sip_host(self.settings)}:{self.settings.sip_port}"
        call = OutgoingCall(self, on_answered, on_ended)
        prm = pj.CallOpParam(True)
        headers = {pool.TOKEN_HEADER: self.token, **(headers or {})}
        if for_caller is not None and for_caller.caller:
            headers[ASSERTED_IDENTITY] = asserted_identity(
                for_caller.caller, for_caller.caller_name, self.domain
            )
        for name, value in headers.items():
            header = pj.SipHeader()
            header.hName = name
            header.hValue = value
            prm.txOption.headers.append(header)
        try:
            call.makeCall(target, prm)
        except pj.Error as exc:
            log.warning("media: cannot ring %s: %s", extension, exc.info())
            return None
        call.label = f"{self.port}/{call.getId()}"
        self.calls[call.getId()] = call
        return call

    def _reply(self, call: MediaCall, code: int, reason: str = "") -> None:
        prm = pj.CallOpParam(True)
        prm.statusCode = code
        if reason:
            prm.reason = reason
        try:
            call.answer(prm)
        except pj.Error as exc:
            log.warning("media: cannot answer %d: %s", code, exc.info())

    def ended(self, call: MediaCall, flow) -> None:
        if flow is not None:
            try:
                flow.on_hangup()
            except Exception:
                log.exception("media: hang-up step failed")
            log.info("media: call %s ended", call.label)
        for key, known in list(self.calls.items()):
            if known is call:
                del self.calls[key]

    # -- life --------------------------------------------------------------------

    def start(self) -> None:
        ep = pj.Endpoint()
        ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = pool.CALLS_PER_WORKER
        cfg.uaConfig.userAgent = "edgepbx-media"
        cfg.logConfig.level = PJSUA_LOG_LEVEL
        cfg.logConfig.consoleLevel = PJSUA_LOG_LEVEL
        # Prompts are played and recorded at 8 kHz, the rate of the system
        # prompts and of G.711.
        cfg.medConfig.clockRate = 8000
        cfg.medConfig.sndClockRate = 8000
        cfg.medConfig.noVad = True
        ep.libInit(cfg)
        ep.audDevManager().setNullDev()
        for codec, priority in CODEC_PRIORITIES.items():
            with contextlib.suppress(pj.Error):
                ep.codecSetPriority(codec, priority)

        transport = pj.TransportConfig()
        transport.port = self.port
        transport.boundAddress = pool.WORKER_ADDRESS
        ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        ep.libStart()

        account_cfg = pj.AccountConfig()
        account_cfg.idUri = f"sip:media@{pool.WORKER_ADDRESS}:{self.port}"
        # SIP stays on the loopback with Kamailio, but the phones send their
        # audio straight to the worker: RTP binds the appliance's own address.
        # Port 0: pjsua picks free ports at random, so a pool of workers
        # never fights over one range.
        account_cfg.mediaConfig.transportConfig.boundAddress = self.settings.bind
        account_cfg.mediaConfig.transportConfig.port = 0
        account_cfg.natConfig.contactRewriteUse = 0
        account_cfg.natConfig.viaRewriteUse = 0
        account_cfg.natConfig.sdpNatRewriteUse = 0
        account_cfg.natConfig.sipOutboundUse = 0
        account = MediaAccount(self)
        account.create(account_cfg, True)
        self.endpoint = ep
        self.account = account

    def run(self) -> None:
        from agent.paging import broadcast_flow

        self.start()
        # Scheduled page broadcasts are placed by whichever worker is free.
        broadcast_flow.start_watching(self)
        ready = pool.ready_path(self.settings, self.port)
        ready.write_text(str(os.getpid()))
        log.info("media: worker on port %d ready", self.port)
        gc.disable()
        next_collection = time.monotonic() + GC_INTERVAL_S
        try:
            while not self.stopping:
                self.endpoint.libHandleEvents(self._poll_ms())
                self.run_timers()
                if time.monotonic() >= next_collection:
                    gc.collect()
                    next_collection = time.monotonic() + GC_INTERVAL_S
        finally:
            ready.unlink(missing_ok=True)
            self.shutdown()

    def shutdown(self) -> None:
        ep = self.endpoint
        if ep is None:
            return
        for call in list(self.calls.values()):
            call.channel.hangup()
        deadline = time.monotonic() + 2
        while self.calls and time.monotonic() < deadline:
            ep.libHandleEvents(EVENT_POLL_MS)
            self.run_timers()
        self.calls.clear()
        self.account = None
        # The calls were ended above and the account has no registrar, so
        # there is no reply left to wait for: without this flag pjsua sleeps
        # a fixed second at destroy "for unregistrations", which every stop
        # of the appliance (a reboot, an update) would wait out.
        ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)
        self.endpoint = None
        log.info("media: worker on port %d stopped", self.port)


def run_worker(settings: Settings, port: int) -> None:
    from agent.media.flows import clean_spool

    clean_spool(settings)
    # A crash inside pjsua2 (a signal, not an exception) leaves the Python
    # stack of every thread on stderr, which the agent keeps in its log.
    faulthandler.enable()
    token = pool.read_token(settings)
    worker = MediaWorker(settings, port, token)
    signal.signal(signal.SIGTERM, lambda *_: setattr(worker, "stopping", True))
    signal.signal(signal.SIGINT, lambda *_: setattr(worker, "stopping", True))
    worker.run()
    # pjsua2's objects are gone with the library; skip Python's teardown,
    # which would run their destructors against it.
    os._exit(0)
