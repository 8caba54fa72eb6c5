"""The worker process behind tests/sipphone.py: one pjsua2 Endpoint, many phones.

``tests/sipphone.py`` starts this file as a script and drives it over its
standard input and output, one JSON object per line:

* commands in: ``{"id": 7, "op": "make_call", "args": {...}}``
* replies out: ``{"id": 7, "ok": true, "result": {...}}`` or
  ``{"id": 7, "ok": false, "error": "..."}``
* events out, whenever pjsua reports something: ``{"event": "call_state",
  "call": 3, "state": "confirmed", ...}``; see ``Worker.emit`` callers.

Everything runs on the main thread: pjsua is set up with ``threadCnt = 0``
and ``mainThreadOnly = True``, and the loop in ``Worker.run`` pumps
``libHandleEvents`` between reading commands. The audio device is the null
device; media flows between each call, the phone's ToneGenerator and a
recorder per call.

Standard output is the reply channel, so it is moved aside at start-up and
pjlib's own prints land in standard error, which the client saves to a file.
The worker stops when told to, on SIGTERM, when its standard input closes or
when its parent process is gone, so it does not outlive the process that
started it by more than about a second.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import pjsua2 as pj
from sipphone import PhoneSettings, check_answer_policy

# How long one libHandleEvents() may block; it bounds how late a command is
# read, and attributes on the client side wait one command round trip. 5 ms
# keeps that short while an idle worker still sleeps almost all the time.
POLL_MS = 5
# Calls the Endpoint may hold. pjsua caps this at its compile-time
# PJSUA_MAX_CALLS, CALLS_PER_WORKER of agent/media/pool.py as
# scripts/build-pjsua2 compiles it (128); beyond the cap a makeCall fails
# with PJ_ETOOMANY, and pjsua itself answers an incoming INVITE with 486
# Busy Here, which no callback sees. 32 is more than any test's phones hold
# and keeps the worker's preallocated call slots small.
MAX_CALLS = 32
# Bounds on the graceful steps of removing a phone or stopping: BYEs and an
# unREGISTER on the loopback are answered in milliseconds.
HANGUP_WAIT_S = 2.0
UNREGISTER_WAIT_S = 2.0
# How often the worker checks that its parent still exists.
PARENT_CHECK_S = 1.0
# ToneDesc.on_msec is a 16-bit signed field; a tone this long, looped with no
# pause, is a continuous sine.
TONE_ON_MS = 30_000
# pjsua log detail written to the workdir: 4 includes every SIP message.
LOG_LEVEL = 4
USER_AGENT = "edgepbx-test-phone"
LOCALHOST = "127.0.0.1"

CALL_STATES = {
    pj.PJSIP_INV_STATE_NULL: "null",
    pj.PJSIP_INV_STATE_CALLING: "calling",
    pj.PJSIP_INV_STATE_INCOMING: "incoming",
    pj.PJSIP_INV_STATE_EARLY: "early",
    pj.PJSIP_INV_STATE_CONNECTING: "connecting",
    pj.PJSIP_INV_STATE_CONFIRMED: "confirmed",
    pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected",
}
MEDIA_STATES = {
    pj.PJSUA_CALL_MEDIA_NONE: "none",
    pj.PJSUA_CALL_MEDIA_ACTIVE: "active",
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "local_hold",
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "remote_hold",
    pj.PJSUA_CALL_MEDIA_ERROR: "error",
}
TRANSPORT_TYPES = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}
SRTP_USE = {
    "off": pj.PJMEDIA_SRTP_DISABLED,
    "optional": pj.PJMEDIA_SRTP_OPTIONAL,
    "mandatory": pj.PJMEDIA_SRTP_MANDATORY,
}
# RFC 3261 section 21: the replies the answer policies send.
RINGING = 180
OK = 200
BUSY_HERE = 486
DECLINE = 603

F = TypeVar("F", bound=Callable[..., Any])

# The port of the Request-URI on a request line ("INVITE sip:101@h:5062 ...").
REQUEST_URI_PORT = re.compile(r"^\S+ sips?:[^@\s]*@?[^:;>\s]+:(\d+)")


def guarded(method: F) -> F:
    """Keep a Python exception from escaping a pjsua2 callback.

    An exception crossing the SWIG director boundary aborts the process; a
    traceback on standard error (kept by the client) is far more useful.
    """

    @wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except Exception:
            traceback.print_exc()
            return None

    return wrapper  # type: ignore[return-value]


class CommandError(Exception):
    """A command the worker cannot carry out; its text goes to the client."""


class WorkerCall(pj.Call):
    """A call of a phone; forwards what pjsua reports as events."""

    def __init__(
        self,
        worker: Worker,
        phone: WorkerPhone,
        direction: str,
        call_id: int = pj.PJSUA_INVALID_ID,
    ) -> None:
        super().__init__(phone, call_id)
        self.worker = worker
        self.phone = phone
        self.direction = direction
        self.key = worker.new_key()
        self.recording = worker.workdir / f"{phone.settings.user}-call{self.key}.wav"
        self.recorder: pj.AudioMediaRecorder | None = None
        self.confirmed = False
        self.reinvite_pending = False
        self.ended = False
        self.muted = False

    def emit(self, event: str, **fields: Any) -> None:
        self.worker.emit({"event": event, "call": self.key, **fields})

    @guarded
    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        self.confirmed |= info.state == pj.PJSIP_INV_STATE_CONFIRMED
        self.emit(
            "call_state",
            state=CALL_STATES.get(info.state, str(info.state)),
            code=info.lastStatusCode,
            reason=info.lastReason,
            sip_call_id=info.callIdString,
        )
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED and not self.ended:
            self.ended = True
            # pjsua2 still uses this object until the callback returns, so
            # the references are dropped later, in the main loop.
            self.worker.ended_calls.append(self)

    @guarded
    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        info = self.getInfo()
        for media in info.media:
            if media.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            srtp = False
            if media.audioConfSlot >= 0:
                self.connect_audio(self.getAudioMedia(media.index))
                proto = self.getStreamInfo(media.index).proto
                srtp = bool(proto & pj.PJMEDIA_TP_PROFILE_SRTP)
            self.emit(
                "media",
                status=MEDIA_STATES.get(media.status, str(media.status)),
                recording=str(self.recording) if self.recorder else None,
                srtp=srtp,
            )

    def connect_audio(self, audio: pj.AudioMedia) -> None:
        """Phone's tone into the call; the call's audio into the recording.

        Connecting ports that are already connected is harmless, so this
        runs again after every media change (a re-INVITE may rebuild the
        stream).
        """
        if self.recorder is None:
            self.recorder = pj.AudioMediaRecorder()
            self.recorder.createRecorder(str(self.recording))
        audio.startTransmit(self.recorder)
        if not self.muted:
            self.phone.tone.startTransmit(audio)

    @guarded
    def onCallTsxState(self, prm: pj.OnCallTsxStateParam) -> None:
        if prm.e.type != pj.PJSIP_EVENT_TSX_STATE:
            return
        tsx = prm.e.body.tsxState.tsx
        if tsx.method != "INVITE":
            return
        code = tsx.statusCode
        if tsx.role == pj.PJSIP_ROLE_UAC:
            received = prm.e.body.tsxState.type == pj.PJSIP_EVENT_RX_MSG
            if received and 180 <= code < 190 and not self.confirmed:
                self.emit("provisional", code=code)
            final = tsx.state in (
                pj.PJSIP_TSX_STATE_COMPLETED,
                pj.PJSIP_TSX_STATE_TERMINATED,
            )
            if final and code >= OK and self.reinvite_pending:
                self.reinvite_pending = False
                self.emit("reinvite_done", code=code)

    @guarded
    def onCallRxOffer(self, prm: pj.OnCallRxOfferParam) -> None:
        # A re-INVITE received: every one the tests send carries an SDP offer
        # (hold, unhold, a plain reinvite). pjsua 2.12 reports no TRYING state
        # of the server transaction to onCallTsxState, so it is counted here;
        # the answer is left as pjsua makes it.
        if self.confirmed:
            self.emit("reinvite_received")

    @guarded
    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        self.emit("dtmf", digit=prm.digit)

    @guarded
    def onCallTransferRequest(self, prm: pj.OnCallTransferRequestParam) -> None:
        """Follow a REFER (blind transfer) as desk phones do: a new call."""
        call = WorkerCall(self.worker, self.phone, "outgoing")
        self.worker.calls[call.key] = call
        prm.newCall = call
        self.phone.emit(
            "call_new", call=call.key, direction="outgoing", remote_uri=prm.dstUri
        )

    @guarded
    def onCallReplaced(self, prm: pj.OnCallReplacedParam) -> None:
        """An INVITE with Replaces (RFC 3891) took this call's place: the
        phone answers it at once and reports it as a new incoming call."""
        call = WorkerCall(self.worker, self.phone, "incoming", prm.newCallId)
        self.worker.calls[call.key] = call
        prm.newCall = call
        self.phone.emit(
            "call_new",
            call=call.key,
            direction="incoming",
            remote_uri=call.getInfo().remoteUri,
            replaced=self.key,
        )

    @guarded
    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:
        """NOTIFYs of a transfer this phone asked for (RFC 3515 section 2.4.5).

        Like a desk phone, the transferer leaves the call once the
        transferee's new call is answered (a final 2xx NOTIFY).
        """
        self.emit("transfer_status", code=prm.statusCode, final=bool(prm.finalNotify))
        if prm.finalNotify and 200 <= prm.statusCode < 300:
            self.worker.later(0, lambda: hangup(self))

    def release(self) -> None:
        """Drop the recorder (which fixes the WAV header) after the call."""
        self.recorder = None


class WorkerPhone(pj.Account):
    """A phone: one account on one transport, with a tone of its own."""

    def __init__(
        self, worker: Worker, key: int, settings: PhoneSettings, port: int
    ) -> None:
        super().__init__()
        self.worker = worker
        self.key = key
        self.settings = settings
        self.port = port
        self.policy = settings.answer_incoming
        self.answer_after = settings.answer_after
        self.registered = False
        self.tone = pj.ToneGenerator()
        self.tone.createToneGenerator()
        tone = pj.ToneDesc()
        tone.freq1 = settings.tone_hz
        tone.freq2 = 0
        tone.on_msec = TONE_ON_MS
        tone.off_msec = 0
        tones = pj.ToneDescVector()
        tones.append(tone)
        self.tone.play(tones, True)

    def emit(self, event: str, **fields: Any) -> None:
        self.worker.emit({"event": event, "phone": self.key, **fields})

    @guarded
    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        expires = prm.expiration if prm.code // 100 == 2 else 0
        self.registered = expires > 0
        self.emit("reg_state", code=prm.code, reason=prm.reason, expires=expires)

    @guarded
    def onMwiInfo(self, prm: pj.OnMwiInfoParam) -> None:
        """A message-summary NOTIFY (RFC 3842), solicited or not."""
        message = prm.rdata.wholeMsg
        body = message.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in message else ""
        self.emit("mwi", body=body)

    @guarded
    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = WorkerCall(self.worker, self, "incoming", prm.callId)
        self.worker.calls[call.key] = call
        info = call.getInfo()
        asked = auto_answer_asked(prm.rdata.wholeMsg)
        self.emit(
            "call_new",
            call=call.key,
            direction="incoming",
            remote_uri=info.remoteUri,
            auto_answer=asked,
            referred_by=header_value(prm.rdata.wholeMsg, "referred-by", "b"),
        )
        if self.policy == "auto":
            answer(call, OK if asked else RINGING)
        elif self.policy == "answer":
            answer(call, RINGING)
            if self.answer_after > 0:
                self.worker.later(self.answer_after, lambda: answer(call, OK))
            else:
                answer(call, OK)
        elif self.policy == "ring":
            answer(call, RINGING)
        elif self.policy == "busy":
            answer(call, BUSY_HERE)
        elif self.policy == "decline":
            answer(call, DECLINE)


def auto_answer_asked(message: str) -> list[str]:
    """The Call-Info and Alert-Info lines of an INVITE that ask the phone to
    answer by itself (the forms desk phones honour, agent/sip/auto_answer.py)."""
    head = message.split("\r\n\r\n", 1)[0]
    asked = []
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() not in {"call-info", "alert-info"}:
            continue
        squeezed = value.lower().replace(" ", "")
        if any(
            form in squeezed
            for form in ("answer-after=0", "alert-autoanswer", "ringanswer")
        ):
            asked.append(line.strip())
    return asked


def header_value(message: str, name: str, compact: str) -> str:
    """The first value of a header (by its name or compact form), or ""."""
    head = message.split("\r\n\r\n", 1)[0]
    for line in head.split("\r\n")[1:]:
        found, _, value = line.partition(":")
        if found.strip().lower() in {name, compact}:
            return value.strip()
    return ""


def answer(call: WorkerCall, code: int, reason: str = "") -> None:
    """Send a reply to an incoming INVITE, unless the call has already ended."""
    if call.ended:
        return
    prm = pj.CallOpParam(True)
    prm.statusCode = code
    if reason:
        prm.reason = reason
    call.answer(prm)


class WorkerEndpoint(pj.Endpoint):
    """The Endpoint, with incoming requests given to the phone they were for.

    pjsua picks the account for an incoming INVITE by the user part of the
    Request-URI, so of two phones of one extension the first would take every
    call. The port of the Request-URI (the Contact the phone registered, or
    the URI dialled directly) names the phone's own transport instead.
    """

    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self.worker = worker

    @guarded
    def onSelectAccount(self, prm: pj.OnSelectAccountParam) -> None:
        match = REQUEST_URI_PORT.match(prm.rdata.wholeMsg)
        if match is None:
            return
        port = int(match.group(1))
        for phone in self.worker.phones.values():
            if phone.port == port:
                prm.accountIndex = phone.getId()
                return


class Worker:
    """The Endpoint, its phones and calls, and the command loop."""

    def __init__(self, workdir: Path, codecs: list[str], replies: Any) -> None:
        self.workdir = workdir
        self.replies = replies
        self.phones: dict[int, WorkerPhone] = {}
        self.transports: dict[int, int] = {}
        self.calls: dict[int, WorkerCall] = {}
        self.ended_calls: list[WorkerCall] = []
        self.timers: list[tuple[float, Callable[[], None]]] = []
        self.next_key = 1
        self.stopping = False
        self.parent = os.getppid()
        self.inbox = b""

        self.ep = WorkerEndpoint(self)
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = MAX_CALLS
        cfg.uaConfig.userAgent = USER_AGENT
        cfg.logConfig.level = LOG_LEVEL
        cfg.logConfig.consoleLevel = 0
        cfg.logConfig.filename = str(workdir / "pjsua.log")
        # No silence suppression and no echo canceller: the tone must arrive
        # as sent, and the null device has no echo to cancel.
        cfg.medConfig.noVad = True
        cfg.medConfig.ecTailLen = 0
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()
        self.ep.libStart()
        self.set_codecs(codecs)

    def set_codecs(self, codecs: list[str]) -> None:
        """Enable only ``codecs``, first one preferred."""
        known = [c.codecId for c in self.ep.codecEnum2()]
        for codec_id in known:
            self.ep.codecSetPriority(codec_id, 0)
        for rank, wanted in enumerate(codecs):
            matches = [c for c in known if c.startswith(wanted)]
            if not matches:
                raise SystemExit(f"codec {wanted} is not in {', '.join(known)}")
            for codec_id in matches:
                # 255 is the highest priority; 0 disables the codec.
                self.ep.codecSetPriority(codec_id, 255 - rank)

    def new_key(self) -> int:
        key = self.next_key
        self.next_key += 1
        return key

    def emit(self, message: dict[str, Any]) -> None:
        try:
            self.replies.write(json.dumps(message) + "\n")
            self.replies.flush()
        except (OSError, ValueError):
            self.stopping = True  # nobody is listening any more

    def later(self, delay_s: float, action: Callable[[], None]) -> None:
        self.timers.append((time.monotonic() + delay_s, action))

    # -- the loop ---------------------------------------------------------

    def run(self) -> None:
        self.emit({"event": "ready", "pid": os.getpid()})
        next_parent_check = time.monotonic() + PARENT_CHECK_S
        while not self.stopping:
            self.ep.libHandleEvents(POLL_MS)
            self.read_commands()
            self.run_timers()
            self.release_ended_calls()
            if time.monotonic() >= next_parent_check:
                next_parent_check = time.monotonic() + PARENT_CHECK_S
                if os.getppid() != self.parent:
                    self.stopping = True
        self.shutdown()

    def pump_until(self, done: Callable[[], bool], limit_s: float) -> None:
        """Handle events (no commands) until ``done()`` or ``limit_s`` passed."""
        deadline = time.monotonic() + limit_s
        while not done() and time.monotonic() < deadline:
            self.ep.libHandleEvents(POLL_MS)
            self.release_ended_calls()

    def read_commands(self) -> None:
        readable, _, _ = select.select([sys.stdin.fileno()], [], [], 0)
        if not readable:
            return
        data = os.read(sys.stdin.fileno(), 65536)
        if not data:
            self.stopping = True  # the client closed the pipe or died
            return
        self.inbox += data
        while b"\n" in self.inbox:
            line, self.inbox = self.inbox.split(b"\n", 1)
            self.handle(json.loads(line))

    def handle(self, request: dict[str, Any]) -> None:
        """Carry out one command and reply to it."""
        handler = getattr(self, "op_" + request["op"], None)
        try:
            if handler is None:
                raise CommandError(f"unknown command {request['op']}")
            result = handler(**request["args"])
        except (CommandError, pj.Error, KeyError, TypeError, ValueError) as err:
            text = err.info() if isinstance(err, pj.Error) else str(err)
            self.emit({"id": request["id"], "ok": False, "error": text})
            return
        self.emit({"id": request["id"], "ok": True, "result": result})

    def run_timers(self) -> None:
        now = time.monotonic()
        due = [t for t in self.timers if t[0] <= now]
        if not due:
            return
        self.timers = [t for t in self.timers if t[0] > now]
        for _, action in due:
            try:
                action()
            except pj.Error:
                traceback.print_exc()

    def release_ended_calls(self) -> None:
        while self.ended_calls:
            call = self.ended_calls.pop()
            call.release()
            self.calls.pop(call.key, None)
            call.emit("call_gone", recording=str(call.recording))

    # -- commands ---------------------------------------------------------

    def find_phone(self, key: int) -> WorkerPhone:
        try:
            return self.phones[key]
        except KeyError:
            raise CommandError(f"no phone {key}") from None

    def find_call(self, key: int) -> WorkerCall:
        try:
            return self.calls[key]
        except KeyError:
            raise CommandError(f"call {key} has ended") from None

    def op_add_phone(self, settings: str) -> dict[str, Any]:
        config = PhoneSettings.from_wire(settings)

        # Step 1: a transport of its own on a port the OS picks, so two
        # phones of one extension have distinct Contacts.
        transport_cfg = pj.TransportConfig()
        transport_cfg.port = 0
        transport_cfg.boundAddress = LOCALHOST
        transport_id = self.ep.transportCreate(
            TRANSPORT_TYPES[config.transport], transport_cfg
        )
        local = self.ep.transportGetInfo(transport_id).localName
        port = int(local.rsplit(":", 1)[1])

        # Step 2: the account bound to it.
        key = self.new_key()
        phone = WorkerPhone(self, key, config, port)
        try:
            phone.create(account_config(config, transport_id, port))
        except pj.Error:
            self.ep.transportClose(transport_id)
            raise
        self.phones[key] = phone
        self.transports[key] = transport_id
        uri = f"sip:{config.user}@{LOCALHOST}:{port};transport={config.transport}"
        return {"phone": key, "port": port, "uri": uri}

    def op_remove_phone(self, phone: int) -> dict[str, Any]:
        self.remove_phone(self.find_phone(phone))
        return {}

    def remove_phone(self, phone: WorkerPhone) -> None:
        """Hang up, unregister and delete one phone, each step bounded."""
        calls = [c for c in self.calls.values() if c.phone is phone]
        for call in calls:
            hangup(call)
        self.pump_until(
            lambda: all(c.key not in self.calls for c in calls), HANGUP_WAIT_S
        )

        if phone.registered:
            with_errors_logged(lambda: phone.setRegistration(False))
            self.pump_until(lambda: not phone.registered, UNREGISTER_WAIT_S)

        phone.tone = None
        phone.shutdown()
        del self.phones[phone.key]
        transport_id = self.transports.pop(phone.key)
        with_errors_logged(lambda: self.ep.transportClose(transport_id))

    def op_register(self, phone: int) -> dict[str, Any]:
        self.find_phone(phone).setRegistration(True)
        return {}

    def op_unregister(self, phone: int) -> dict[str, Any]:
        self.find_phone(phone).setRegistration(False)
        return {}

    def op_set_answer(self, phone: int, policy: str, after: float) -> dict[str, Any]:
        check_answer_policy(policy, after)
        target = self.find_phone(phone)
        target.policy = policy
        target.answer_after = after
        return {}

    def op_make_call(
        self, phone: int, uri: str, headers: dict[str, str]
    ) -> dict[str, Any]:
        caller = self.find_phone(phone)
        call = WorkerCall(self, caller, "outgoing")
        self.calls[call.key] = call
        caller.emit("call_new", call=call.key, direction="outgoing", remote_uri=uri)
        prm = pj.CallOpParam(True)
        for name, value in headers.items():
            header = pj.SipHeader()
            header.hName, header.hValue = name, value
            prm.txOption.headers.append(header)
        try:
            call.makeCall(uri, prm)
        except pj.Error:
            if not call.ended:
                call.ended = True
                call.emit(
                    "call_state",
                    state="disconnected",
                    code=0,
                    reason="",
                    sip_call_id="",
                )
                self.ended_calls.append(call)
            raise
        return {"call": call.key}

    def op_answer(self, call: int, code: int, reason: str) -> dict[str, Any]:
        answer(self.find_call(call), code, reason)
        return {}

    def op_hangup(self, call: int, code: int) -> dict[str, Any]:
        # A call that ended meanwhile needs no hangup; that is not an error.
        if call in self.calls:
            hangup(self.calls[call], code)
        return {}

    def op_hold(self, call: int) -> dict[str, Any]:
        target = self.find_call(call)
        target.reinvite_pending = True
        target.setHold(pj.CallOpParam(True))
        return {}

    def op_unhold(self, call: int) -> dict[str, Any]:
        target = self.find_call(call)
        prm = pj.CallOpParam(True)
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        target.reinvite_pending = True
        target.reinvite(prm)
        return {}

    def op_reinvite(self, call: int) -> dict[str, Any]:
        target = self.find_call(call)
        target.reinvite_pending = True
        target.reinvite(pj.CallOpParam(True))
        return {}

    def op_dtmf(
        self, call: int, digits: str, method: str = "rfc4733"
    ) -> dict[str, Any]:
        if method == "info":
            # One SIP INFO (application/dtmf-relay) per digit.
            for digit in digits:
                prm = pj.CallSendDtmfParam()
                prm.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
                prm.digits = digit
                self.find_call(call).sendDtmf(prm)
        else:
            self.find_call(call).dialDtmf(digits)
        return {}

    def op_xfer(self, call: int, target: str) -> dict[str, Any]:
        """Blind transfer (REFER) of the far end to target, as a Transfer,
        Park or BLF key sends it; the phone stays in the call until hung up."""
        self.find_call(call).xfer(target, pj.CallOpParam(True))
        return {}

    def op_transfer(self, call: int, uri: str) -> dict[str, Any]:
        """Blind transfer: REFER the other party to uri."""
        self.find_call(call).xfer(uri, pj.CallOpParam(True))
        return {}

    def op_transfer_replaces(self, call: int, other: int) -> dict[str, Any]:
        """Attended transfer: REFER the other party of call to the other
        party of other, with Replaces (RFC 3891)."""
        target = self.find_call(other)
        self.find_call(call).xferReplaces(target, pj.CallOpParam(True))
        return {}

    def op_mute(self, call: int) -> dict[str, Any]:
        """Stop the phone's tone into the call: the far end hears silence."""
        target = self.find_call(call)
        target.muted = True
        self.find_call(call).phone.tone.stopTransmit(target.getAudioMedia(-1))
        return {}

    def op_ping(self) -> dict[str, Any]:
        # Answered after every event already written: see PhoneHost.sync().
        return {}

    def op_shutdown(self) -> dict[str, Any]:
        self.stopping = True
        return {}

    # -- the end ----------------------------------------------------------

    def shutdown(self) -> None:
        """Release everything pjsua2 objects hold, then the library.

        pjsua asserts if a Call object outlives its call id at libDestroy, so
        every call is hung up and released before, then phones, then pjsua.
        """
        for phone in list(self.phones.values()):
            self.remove_phone(phone)
        for call in list(self.calls.values()):
            call.release()
        self.calls.clear()
        self.ended_calls.clear()
        self.timers.clear()
        # Calls and registrations were ended above, each step bounded; without
        # this flag pjsua_destroy() would still sleep a second for replies.
        self.ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)


def account_config(
    config: PhoneSettings, transport_id: int, port: int
) -> pj.AccountConfig:
    """The pjsua account of a phone, bound to its own transport."""
    acc = pj.AccountConfig()
    domain = config.domain or config.server or f"{LOCALHOST}:{port}"
    name = f'"{config.display_name}" ' if config.display_name else ""
    acc.idUri = f"{name}<sip:{config.user}@{domain}>"
    acc.sipConfig.transportId = transport_id

    if config.server is not None:
        acc.regConfig.registrarUri = (
            f"sip:{config.server}:{config.port};transport={config.transport}"
        )
    if config.proxy is not None:
        acc.sipConfig.proxies.append(
            f"sip:{config.proxy};lr;transport={config.transport}"
        )
    if config.contact is not None:
        acc.sipConfig.contactForced = config.contact
    acc.regConfig.registerOnAdd = False
    acc.regConfig.timeoutSec = config.expires
    # A test asks for every REGISTER itself; pjsua must not retry on failure.
    acc.regConfig.retryIntervalSec = 0
    acc.regConfig.dropCallsOnFail = False
    if config.password is not None:
        acc.sipConfig.authCreds.append(
            pj.AuthCredInfo(
                "digest", "*", config.auth_user or config.user, 0, config.password
            )
        )

    # Everything is on the loopback: no NAT guessing, no Contact rewriting,
    # so what the PBX sees is exactly what the phone sent.
    acc.natConfig.contactRewriteUse = 0
    acc.natConfig.viaRewriteUse = 0
    acc.natConfig.sdpNatRewriteUse = 0
    acc.natConfig.sipOutboundUse = 0
    acc.mediaConfig.transportConfig.boundAddress = LOCALHOST
    # The phone sends a re-INVITE only when a test asks for one: pjsua would
    # otherwise send its own when an answer lists several codecs (RFC 3264
    # section 10.2 allows it), and tests counting re-INVITEs would see it.
    acc.mediaConfig.lockCodecEnabled = False
    # SDES keys travel in the SDP, so pjsua offers them only over TLS
    # (srtpSecureSignaling 1: the hop to the PBX must be secure).
    acc.mediaConfig.srtpUse = SRTP_USE[config.srtp]
    acc.mediaConfig.srtpSecureSignaling = 1 if config.srtp != "off" else 0
    return acc


def hangup(call: WorkerCall, code: int = 0) -> None:
    """BYE, CANCEL or reject, as the call's state needs (code 0: pjsua's pick)."""
    if call.ended:
        return
    prm = pj.CallOpParam(True)
    prm.statusCode = code
    with_errors_logged(lambda: call.hangup(prm))


def with_errors_logged(action: Callable[[], Any]) -> None:
    """Run a best-effort pjsua step of a teardown; log a failure and go on."""
    try:
        action()
    except pj.Error:
        traceback.print_exc()


def main() -> None:
    # Every SIP and RTP socket of this worker binds to LOCALHOST: loopback
    # unless a test runs the worker in a network namespace of its own.
    global LOCALHOST
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--codecs", default="PCMU/8000,PCMA/8000")
    parser.add_argument(
        "--bind", default=LOCALHOST, help="the IPv4 address every phone binds"
    )
    args = parser.parse_args()
    LOCALHOST = args.bind

    # Step 1: keep standard output for replies; anything pjlib or Python
    # prints goes to standard error instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    # Step 2: Ctrl-C belongs to pytest; SIGTERM asks for a clean stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = Worker(args.workdir, [c for c in args.codecs.split(",") if c], replies)
    signal.signal(signal.SIGTERM, lambda *_: setattr(worker, "stopping", True))

    # Step 3: serve until told to stop.
    worker.run()
    replies.close()
    # The Endpoint is destroyed; skip Python's teardown, which would run
    # pjsua2 destructors against a library that is gone.
    os._exit(0)


if __name__ == "__main__":
    main()
