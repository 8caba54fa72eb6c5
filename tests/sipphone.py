"""Test phones for edgepbx: real SIP user agents (pjsua2) driven from pytest.

A :class:`Phone` registers, calls, answers, holds and hangs up like a desk
phone, and proves two-way audio: it plays a sine tone at its own frequency
into every call and records what it receives, and :meth:`Call.heard_tone`
looks for a frequency in that recording with a Goertzel filter::

    from tests.sipphone import Phone

    with (
        Phone("101", pw101, server="127.0.0.1", port=5060, tone_hz=697) as alice,
        Phone("102", pw102, server="127.0.0.1", port=5060, tone_hz=1209) as bob,
    ):
        assert alice.register() == 200 and bob.register() == 200
        call = alice.call("102")
        incoming = bob.wait_incoming()  # bob answers by itself
        call.wait_confirmed()
        assert call.heard_tone(bob.tone_hz)  # bob's audio reached alice
        assert incoming.heard_tone(alice.tone_hz)  # and alice's reached bob
        assert not call.heard_tone(alice.tone_hz, timeout=0)
        call.hangup()
        incoming.wait_disconnected()
        bob.wait_message_summary("Voice-Message: 0/0")  # 102 has a voicemail box

A phone answers by itself (``answer_incoming="answer"``, see
ANSWER_POLICIES); one made with ``answer_incoming="ring"`` rings until the
test calls ``incoming.answer()``. :meth:`Phone.wait_message_summary` waits
for a message-summary NOTIFY (RFC 3842) holding the text given.

Why the phones live in another process: pjsua2 allows one Endpoint per
process, and a failed pjsua assertion aborts the whole process. So the
Endpoint runs in a worker process (``tests/sipphone_worker.py``) that this
module starts, drives over a pipe, and kills if it stops answering; a crash
there fails the test with the worker's log instead of killing pytest.

Each :class:`Phone` gets a worker of its own unless it is given a
:class:`PhoneHost` to share. The pjsua2 used here (scripts/build-pjsua2)
holds 128 calls per Endpoint (``PJSUA_MAX_CALLS``), and the worker allows
``MAX_CALLS`` of them (tests/sipphone_worker.py); a call between two phones
of one worker takes two. Sharing saves a process per phone (a conference of
several members in one worker); a phone of its own is the default, so that
a crash takes one phone's test with it. Every phone, shared or not, has
its own SIP transport (its own local port), so two phones of one extension
are two registrations with distinct Contacts.

Waiting methods take a timeout in seconds and raise :class:`TimeoutError`
naming what did not happen; a call that fails raises :class:`CallFailed`
with the SIP status code. Attributes (``call.state``, ``phone.registration``,
counters) first make a round trip to their worker, so they already show
whatever that worker did before the other side saw a reply. Everything
listens on 127.0.0.1 only, on ports the operating system picks, so test runs
can overlap; a ``PhoneHost(bind=ADDRESS, netns=NAME)`` instead runs its
worker in that network namespace with its phones bound to that address.

Known shortcomings: phones speak IPv4 only, and over TLS they trust any
server certificate. A fifth
call in one worker is refused (pjsua answers 486 itself). Codec choice is
per worker, not per phone. A call over UDP to an address where nothing
listens fails only when RFC 3261 Timer B fires, after 32 s, which is longer
than the default timeouts here. If the test process is killed outright the
workers still stop (their pipe closes), but their temporary directories stay.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import itertools
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

__all__ = [
    "Call",
    "CallFailed",
    "Phone",
    "PhoneError",
    "PhoneHost",
    "PhoneSettings",
    "Registration",
    "WorkerDied",
    "read_wav_tail",
    "tone_share",
]

# -- timing -----------------------------------------------------------------

# A REGISTER or a call through a PBX on the loopback completes in tens of
# milliseconds; 5 s leaves room for a loaded CI machine while keeping a
# failing test short.
DEFAULT_TIMEOUT_S = 5.0
# The worker answers a command as soon as pjsua has taken it; it waits for
# the network only when removing a phone (at most 2 s for hangups and 2 s
# for the unREGISTER). Only a hung worker takes longer than this.
COMMAND_TIMEOUT_S = 10.0
# Importing pjsua2 and starting an Endpoint takes about 0.2 s here.
STARTUP_TIMEOUT_S = 20.0
# A graceful shutdown hangs up calls and unregisters; the worker bounds each
# of these steps to 2 s, so 10 s means it is stuck and gets killed.
SHUTDOWN_TIMEOUT_S = 10.0
# After SIGKILL the kernel reaps at once; the wait is only a safety net.
KILL_WAIT_S = 5.0
# How often heard_tone() looks at the recording again while it waits.
TONE_POLL_S = 0.05

# -- SIP defaults -----------------------------------------------------------

# RFC 3261 section 19.1.2: 5060 is the default port for SIP over UDP and TCP.
DEFAULT_SIP_PORT = 5060
# Registration lifetime the phone asks for; RFC 3261 section 10.2.1.1
# suggests 3600 s by default, but a short one keeps a crashed test's stale
# binding from lingering in the PBX.
DEFAULT_REGISTER_EXPIRES_S = 300
TRANSPORTS = ("udp", "tcp", "tls")
# SRTP with SDES keys (RFC 4568) in the phone's offers and answers: "off",
# "optional" (offered, plain RTP accepted) or "mandatory" (no call without).
SRTP_POLICIES = ("off", "optional", "mandatory")
# G.711 first, as desk phones offer it: it carries a sine tone unchanged, and
# 8 kHz audio is what the PBX relays on the loopback anyway.
DEFAULT_CODECS = ("PCMU/8000", "PCMA/8000")

# What a phone does with an INVITE that opens a new call.
ANSWER_POLICIES = {
    "answer": "180 Ringing, then 200 OK (after answer_after seconds)",
    "ring": "180 Ringing, then wait for Call.answer() or the caller",
    "busy": "486 Busy Here",
    "decline": "603 Decline",
    "ignore": "only the automatic 100 Trying; the caller times out",
    "auto": "200 OK at once when the INVITE asks for auto-answer (Call-Info"
    ' answer-after=0 or Alert-Info alert-autoanswer), else ring as "ring"',
}

# -- audio ------------------------------------------------------------------

# A plain PCM WAV header: RIFF chunk (12 bytes), fmt chunk (24), data chunk
# header (8). pjmedia's recorder writes exactly this and fixes the two size
# fields only when it is destroyed, so readers skip the header by size.
WAV_HEADER_BYTES = 44
WAV_FORMAT_PCM = 1
# The G.711 telephone channel passes 300-3400 Hz (ITU-T G.712); a tone
# outside it would not survive the codec.
MIN_TONE_HZ = 300.0
MAX_TONE_HZ = 3400.0
# heard_tone() judges the latest half second of received audio, cut into
# 100 ms blocks. A 100 ms block resolves 10 Hz, so tones 70 Hz apart (the
# closest DTMF pair) stay distinct, and a tone a few hertz off the asked
# frequency still lands in its bin.
TONE_WINDOW_S = 0.5
TONE_BLOCK_S = 0.1
# Share of a block's energy that must sit at the frequency. A lone tone
# scores about 1.0 and each of two equal tones about 0.5; codec noise and
# other frequencies score near 0.
TONE_MIN_SHARE = 0.25
# Blocks quieter than this RMS (16-bit full scale 32767, so about -40 dBFS)
# count as silence: PCMU idle noise sits far below, a ToneGenerator tone
# (about 8,700 RMS) far above.
TONE_MIN_RMS = 300.0

WORKER_SCRIPT = Path(__file__).with_name("sipphone_worker.py")
# How much of the worker's stderr an error message quotes.
LOG_TAIL_CHARS = 3000


class PhoneError(Exception):
    """A test phone could not do what it was asked (a local error, not SIP)."""


class WorkerDied(PhoneError):
    """The worker process behind the phones has exited."""


class CallFailed(PhoneError):
    """A call ended before it was answered.

    Attributes:
        status_code: the final SIP status (486, 480, 404, 603...), or None if
            the call ended without one.
        reason: the reason phrase that came with it.
    """

    def __init__(self, status_code: int | None, reason: str, what: str) -> None:
        super().__init__(f"{what}: {status_code} {reason}".rstrip())
        self.status_code = status_code
        self.reason = reason


@dataclass(frozen=True)
class PhoneSettings:
    """What the worker needs to set a phone up; crosses the process pipe.

    Args:
        user: the extension (user part of the phone's SIP URI).
        password: digest password; None for a phone that never authenticates.
        server: host of the PBX (registrar and where calls are sent); None for
            a phone that only calls other phones by URI.
        port: SIP port of the server.
        transport: "udp", "tcp" or "tls"; the phone listens on that transport
            only. Over TLS the phone does not check the server's certificate
            (the appliance's own is self-signed).
        tone_hz: frequency in whole hertz (pjmedia's tone generator takes
            integers) of the sine tone the phone sends into its calls.
        domain: SIP domain of the phone's identity; the server by default.
        auth_user: digest user name if it differs from ``user``.
        display_name: shown in From, as a desk phone would.
        expires: registration lifetime asked for, in seconds.
        answer_incoming: what the phone does with an incoming call, one of
            ANSWER_POLICIES.
        answer_after: with "answer", seconds of ringing before 200 OK.
    """

    user: str
    password: str | None = None
    server: str | None = None
    port: int = DEFAULT_SIP_PORT
    transport: str = "udp"
    tone_hz: int = 697
    domain: str | None = None
    auth_user: str | None = None
    display_name: str | None = None
    expires: int = DEFAULT_REGISTER_EXPIRES_S
    answer_incoming: str = "answer"
    answer_after: float = 0.0
    #: One of SRTP_POLICIES.
    srtp: str = "off"
    #: "host:port" every request goes through (an outbound proxy), as a
    #: carrier's customer sends through the carrier; None: straight to
    #: the Request-URI's host.
    proxy: str | None = None
    #: The Contact the phone claims ("<sip:101@127.0.0.1:9>") instead of
    #: the address it listens on, as a phone behind a NAT names its private
    #: address; None: its own.
    contact: str | None = None

    def __post_init__(self) -> None:
        if not self.user or any(c in self.user for c in "@:; <>\"'"):
            raise ValueError(f"phone user {self.user!r}: must be a plain SIP user")
        if self.transport not in TRANSPORTS:
            raise ValueError(
                f"phone {self.user}: transport {self.transport!r} is not one of "
                f"{', '.join(TRANSPORTS)}"
            )
        if not isinstance(self.tone_hz, int) or isinstance(self.tone_hz, bool):
            raise ValueError(f"phone {self.user}: tone_hz must be whole hertz")
        if not MIN_TONE_HZ <= self.tone_hz <= MAX_TONE_HZ:
            raise ValueError(
                f"phone {self.user}: tone_hz {self.tone_hz} is outside the "
                f"telephone band {MIN_TONE_HZ:.0f}-{MAX_TONE_HZ:.0f} Hz"
            )
        check_answer_policy(self.answer_incoming, self.answer_after)
        if self.srtp not in SRTP_POLICIES:
            raise ValueError(
                f"phone {self.user}: srtp {self.srtp!r} is not one of "
                f"{', '.join(SRTP_POLICIES)}"
            )
        if not 0 < self.port < 65536:
            raise ValueError(f"phone {self.user}: port {self.port} is not a port")
        if self.expires <= 0:
            raise ValueError(f"phone {self.user}: expires must be positive")

    def to_wire(self) -> str:
        """Serialize for the worker (JSON); ``from_wire`` reads it back."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_wire(cls, text: str) -> PhoneSettings:
        """Parse what ``to_wire`` wrote."""
        return cls(**json.loads(text))


def check_answer_policy(policy: str, answer_after: float) -> None:
    """Raise ValueError unless ``policy`` and ``answer_after`` make sense."""
    if policy not in ANSWER_POLICIES:
        raise ValueError(
            f"answer_incoming {policy!r} is not one of {', '.join(ANSWER_POLICIES)}"
        )
    if answer_after < 0:
        raise ValueError(f"answer_after {answer_after} must not be negative")


@dataclass(frozen=True)
class Registration:
    """The phone's registration as its last REGISTER left it.

    Attributes:
        status_code: final status of the last REGISTER (200, 401, 403, 408...),
            None before the first one.
        reason: its reason phrase.
        expires: seconds the registrar granted; 0 when not registered.
    """

    status_code: int | None = None
    reason: str = ""
    expires: int = 0

    @property
    def is_registered(self) -> bool:
        """True while the registrar holds a binding of this phone."""
        return self.status_code == 200 and self.expires > 0


def _kill_worker(proc: subprocess.Popen[bytes]) -> None:
    """Last resort when a PhoneHost is collected or Python exits unclosed."""
    if proc.poll() is None:
        proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(KILL_WAIT_S)


_live_hosts: weakref.WeakSet[PhoneHost] = weakref.WeakSet()


@atexit.register
def _close_live_hosts() -> None:
    for host in list(_live_hosts):
        host.close()


class PhoneHost:
    """One worker process with one pjsua2 Endpoint, hosting phones.

    A Phone made without a host starts a PhoneHost of its own; make one
    yourself to put a few phones in one process (each keeps its own
    transport). Use it as a context manager, or call :meth:`close`.

    Args:
        codecs: codec ids in order of preference; all others are disabled.
            This is Endpoint-wide, so it applies to every phone of the host.
        workdir: where recordings and logs go. By default a temporary
            directory, removed on close unless the ``with`` block raised (then
            it is kept and its path printed, for the pjsua log).
        bind: the IPv4 address the phones' SIP and RTP sockets bind to.
        netns: a network namespace to run the worker in (needs root).
    """

    def __init__(
        self,
        *,
        codecs: Iterable[str] = DEFAULT_CODECS,
        workdir: str | os.PathLike[str] | None = None,
        bind: str = "127.0.0.1",
        netns: str | None = None,
    ) -> None:
        self._owns_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sipphone-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "pjsua.log"
        self._stderr_path = self.workdir / "worker-stderr.log"

        # Step 1: state shared with the reader thread, guarded by one lock.
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self._replies: dict[int, dict[str, Any]] = {}
        self._phones: dict[int, Phone] = {}
        self._calls: dict[int, Call] = {}
        self._ready = False
        self._dead = False
        self._closed = False

        # Step 2: the worker, in a session of its own so a Ctrl-C meant for
        # pytest does not kill it before the phones have hung up.
        with open(self._stderr_path, "wb") as stderr:
            in_netns = ["ip", "netns", "exec", netns] if netns else []
            self._proc = subprocess.Popen(
                [
                    *in_netns,
                    sys.executable,
                    str(WORKER_SCRIPT),
                    "--workdir",
                    str(self.workdir),
                    "--codecs",
                    ",".join(codecs),
                    "--bind",
                    bind,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                start_new_session=True,
            )
        self.pid = self._proc.pid
        self._finalizer = weakref.finalize(self, _kill_worker, self._proc)
        _live_hosts.add(self)

        # Step 3: follow its messages; wait until its Endpoint is up.
        self._reader = threading.Thread(
            target=self._read_messages, name=f"sipphone-{self.pid}", daemon=True
        )
        self._reader.start()
        try:
            self._wait(lambda: self._ready, STARTUP_TIMEOUT_S, "worker start-up")
        except BaseException:
            self.close()
            raise

    # -- lifetime ---------------------------------------------------------

    def __enter__(self) -> PhoneHost:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close(keep_files=exc_type is not None)

    def close(self, keep_files: bool = False) -> None:
        """Hang up, unregister, stop the worker (killing it if it hangs).

        Safe to call more than once, and after the worker died.
        """
        if self._closed:
            return
        self._closed = True

        # Step 1: ask for a clean stop, then close the command pipe, which
        # stops a worker that could not take the request too.
        if not self._dead:
            with contextlib.suppress(PhoneError, TimeoutError):
                self._request("shutdown", timeout=SHUTDOWN_TIMEOUT_S)
        with self._write_lock, contextlib.suppress(OSError):
            assert self._proc.stdin is not None
            self._proc.stdin.close()

        # Step 2: give it the time a clean stop takes, then kill it.
        try:
            self._proc.wait(SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(KILL_WAIT_S)
        self._reader.join(KILL_WAIT_S)
        assert self._proc.stdout is not None
        self._proc.stdout.close()
        self._finalizer.detach()
        _live_hosts.discard(self)
        if not self._owns_workdir:
            return
        if keep_files:
            print(f"sipphone: kept recordings and logs in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def is_alive(self) -> bool:
        """True while the worker process runs and has not been closed."""
        return not self._dead and not self._closed and self._proc.poll() is None

    def phone(self, user: str, password: str | None = None, **kwargs: Any) -> Phone:
        """Add a phone to this host; same arguments as :class:`Phone`."""
        return Phone(user, password, host=self, **kwargs)

    # -- talking to the worker --------------------------------------------

    def _request(
        self, op: str, timeout: float = COMMAND_TIMEOUT_S, **args: Any
    ) -> dict[str, Any]:
        """Send one command and wait for its reply; return the result."""
        if self._dead:
            raise self._death()
        request_id = next(self._request_ids)
        line = json.dumps({"id": request_id, "op": op, "args": args}) + "\n"
        # A lock of its own for writing: the reader thread never waits for it,
        # so a full pipe in either direction cannot deadlock the two.
        with self._write_lock:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(line.encode())
                self._proc.stdin.flush()
            except (OSError, ValueError) as err:
                raise self._death() from err
        self._wait(
            lambda: request_id in self._replies,
            timeout,
            f"worker reply to {op}",
        )
        with self._cond:
            reply = self._replies.pop(request_id)
        if not reply["ok"]:
            raise PhoneError(f"{op}: {reply['error']}")
        return reply.get("result") or {}

    def sync(self) -> None:
        """Make sure every event the worker sent so far has been applied.

        Each phone's worker reports on its own schedule, so right after one
        phone saw a reply, the other phone's worker may have reported what
        caused it without this process having read it yet. A round trip to
        the worker settles that: its reply comes after every earlier event.
        Attributes of phones and calls sync before they answer.
        """
        if self.is_alive:
            with contextlib.suppress(PhoneError, TimeoutError):
                self._request("ping")

    @contextlib.contextmanager
    def _synced(self) -> Iterator[None]:
        """Sync, then hold the state lock while the caller reads."""
        self.sync()
        with self._cond:
            yield

    def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        """Block until ``done()`` (checked under the lock) or fail."""
        with self._cond:
            finished = self._cond.wait_for(lambda: done() or self._dead, timeout)
            if done():
                return
        if finished:  # the worker died first
            raise self._death()
        raise TimeoutError(f"{what}: nothing after {timeout:g} s")

    def _death(self) -> WorkerDied:
        code = self._proc.poll()
        try:
            tail = self._stderr_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        except OSError:
            tail = ""
        return WorkerDied(
            f"sipphone worker {self.pid} is gone (exit status {code}); "
            f"pjsua log: {self.log_path}\n{tail}"
        )

    def _read_messages(self) -> None:
        """Reader thread: apply every event and reply the worker writes."""
        assert self._proc.stdout is not None
        try:
            for raw in self._proc.stdout:
                message = json.loads(raw)
                with self._cond:
                    if "event" in message:
                        self._apply_event(message)
                    else:
                        self._replies[message["id"]] = message
                    self._cond.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            with self._cond:
                self._dead = True
                self._cond.notify_all()

    def _apply_event(self, event: dict[str, Any]) -> None:
        """Mirror one worker event into Phone and Call state (lock held)."""
        kind = event["event"]
        if kind == "ready":
            self._ready = True
            return
        phone = self._phones.get(event.get("phone", -1))
        if kind == "reg_state" and phone is not None:
            phone._registration = Registration(
                event["code"], event["reason"], event["expires"]
            )
            phone._reg_events += 1
            return
        if kind == "mwi" and phone is not None:
            phone._mwi.append(event["body"])
            return
        if kind == "call_new" and phone is not None:
            call = Call(phone, event["call"], event["direction"], event["remote_uri"])
            call.auto_answer_headers = list(event.get("auto_answer", []))
            call.referred_by = event.get("referred_by", "")
            self._calls[call.key] = call
            phone._calls.append(call)
            if call.direction == "incoming":
                phone._incoming.append(call)
            return
        call = self._calls.get(event.get("call", -1))
        if call is not None:
            call._apply(kind, event)


class Phone:
    """A SIP phone: one account on one transport of its own.

    Args:
        user: the extension, e.g. "101".
        password: its SIP password (None: never answers a challenge).
        server: the PBX host; None for a phone that dials URIs directly.
        port: the PBX's SIP port.
        transport: "udp", "tcp" or "tls".
        tone_hz: the tone this phone sends into calls (300-3400 Hz).
        host: a PhoneHost to live in; by default a worker of its own.
        **options: the other fields of :class:`PhoneSettings` (domain,
            auth_user, display_name, expires, answer_incoming, answer_after).

    Attributes:
        local_port: the SIP port this phone listens on (127.0.0.1).
        uri: the URI that reaches this phone directly, without a PBX.
    """

    def __init__(
        self,
        user: str,
        password: str | None = None,
        server: str | None = None,
        port: int = DEFAULT_SIP_PORT,
        transport: str = "udp",
        tone_hz: int = 697,
        *,
        host: PhoneHost | None = None,
        **options: Any,
    ) -> None:
        self.settings = PhoneSettings(
            user=user,
            password=password,
            server=server,
            port=port,
            transport=transport,
            tone_hz=tone_hz,
            **options,
        )
        self._owns_host = host is None
        self.host = host or PhoneHost()
        self._registration = Registration()
        self._reg_events = 0
        self._calls: list[Call] = []
        self._incoming: list[Call] = []
        self._mwi: list[str] = []
        self._handed_out: set[int] = set()
        self._closed = False
        try:
            result = self.host._request("add_phone", settings=self.settings.to_wire())
        except BaseException:
            if self._owns_host:
                self.host.close()
            raise
        self.key: int = result["phone"]
        self.local_port: int = result["port"]
        self.uri: str = result["uri"]
        with self.host._cond:
            self.host._phones[self.key] = self

    def __repr__(self) -> str:
        return f"<Phone {self.user} {self.transport} 127.0.0.1:{self.local_port}>"

    # -- plain attributes -------------------------------------------------

    @property
    def user(self) -> str:
        """The extension this phone is."""
        return self.settings.user

    @property
    def transport(self) -> str:
        """The phone's SIP transport: "udp", "tcp" or "tls"."""
        return self.settings.transport

    @property
    def tone_hz(self) -> int:
        """The frequency of the tone this phone sends into its calls."""
        return self.settings.tone_hz

    @property
    def registration(self) -> Registration:
        """Status code, reason and granted expiry of the last REGISTER."""
        with self.host._synced():
            return self._registration

    @property
    def invites_received(self) -> int:
        """How many INVITEs opening a new call reached this phone."""
        with self.host._synced():
            return len(self._incoming)

    @property
    def ringing_received(self) -> int:
        """How many 18x (ringing/progress) replies this phone's calls got."""
        with self.host._synced():
            return sum(call._provisionals for call in self._calls)

    @property
    def calls(self) -> list[Call]:
        """Every call this phone made or received, oldest first."""
        with self.host._synced():
            return list(self._calls)

    @property
    def message_summaries(self) -> list[str]:
        """Bodies of the message-summary NOTIFYs (RFC 3842) received."""
        with self.host._synced():
            return list(self._mwi)

    def wait_message_summary(
        self, contains: str, timeout: float = DEFAULT_TIMEOUT_S, after: int = 0
    ) -> str:
        """The first message-summary body that contains the given text,
        among those received after the first ``after`` (the phone is sent
        one when it registers, before anything the test does)."""

        def found() -> str | None:
            return next((b for b in self._mwi[after:] if contains in b), None)

        self.host._wait(
            lambda: found() is not None,
            timeout,
            f"{self.user}: message-summary with {contains!r}",
        )
        return found() or ""

    @property
    def answer_incoming(self) -> str:
        """What the phone does with incoming calls; see ANSWER_POLICIES."""
        return self.settings.answer_incoming

    @answer_incoming.setter
    def answer_incoming(self, policy: str) -> None:
        self._set_answer(policy, self.settings.answer_after)

    @property
    def answer_after(self) -> float:
        """With answer_incoming "answer": seconds of ringing before 200 OK."""
        return self.settings.answer_after

    @answer_after.setter
    def answer_after(self, seconds: float) -> None:
        self._set_answer(self.settings.answer_incoming, seconds)

    def _set_answer(self, policy: str, seconds: float) -> None:
        check_answer_policy(policy, seconds)
        self.host._request("set_answer", phone=self.key, policy=policy, after=seconds)
        self.settings = replace(
            self.settings, answer_incoming=policy, answer_after=seconds
        )

    # -- registration -----------------------------------------------------

    def register(self, timeout: float = DEFAULT_TIMEOUT_S) -> int:
        """Send REGISTER (answering a digest challenge); return the final code.

        200 means registered; 401 or 403 after the challenge mean the
        credentials were refused. The phone does not retry on failure.
        """
        return self._registration_request("register", timeout)

    def unregister(self, timeout: float = DEFAULT_TIMEOUT_S) -> int:
        """Remove this phone's binding (REGISTER, Expires 0); return the code."""
        return self._registration_request("unregister", timeout)

    def _registration_request(self, op: str, timeout: float) -> int:
        if self.settings.server is None:
            raise PhoneError(f"phone {self.user}: no server to {op} with")
        with self.host._cond:
            seen = self._reg_events
        self.host._request(op, phone=self.key)
        self.host._wait(
            lambda: self._reg_events > seen,
            timeout,
            f"phone {self.user}: final reply to {op}",
        )
        code = self.registration.status_code
        assert code is not None
        return code

    # -- calls ------------------------------------------------------------

    def call(self, target: str, headers: dict[str, str] | None = None) -> Call:
        """Start a call; returns at once with the INVITE on its way.

        Args:
            target: a number ("102"), dialled as sip:102@server:port over the
                phone's transport, or a full "sip:..." URI dialled as is.
            headers: extra headers of the INVITE (a Replaces, say).
        """
        if target.startswith(("sip:", "sips:")):
            uri = target
        elif self.settings.server is None:
            raise PhoneError(f"phone {self.user}: no server; dial a full sip: URI")
        else:
            uri = (
                f"sip:{target}@{self.settings.server}:{self.settings.port}"
                f";transport={self.transport}"
            )
        result = self.host._request(
            "make_call", phone=self.key, uri=uri, headers=headers or {}
        )
        with self.host._cond:
            return self.host._calls[result["call"]]

    def wait_invites(self, count: int, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """Wait until at least ``count`` INVITEs opening a call have arrived.

        The phone's worker reports them on its own schedule, so a test that
        counts INVITEs after the caller saw the outcome should wait, not read.
        """
        self.host._wait(
            lambda: len(self._incoming) >= count,
            timeout,
            f"phone {self.user}: {count} incoming INVITEs",
        )

    @property
    def incoming_calls(self) -> list[Call]:
        """Every call that arrived at this phone, oldest first."""
        with self.host._synced():
            return list(self._incoming)

    def wait_incoming(self, timeout: float = DEFAULT_TIMEOUT_S) -> Call:
        """Return the oldest incoming call still going and not returned before.

        Calls that ended before anyone asked for them (refused by a "busy" or
        "decline" answer policy, cancelled by the caller) are skipped, so a
        test that first checks a busy phone then a ringing one gets the
        ringing call; :attr:`incoming_calls` still lists them all.
        """

        def next_call() -> Call | None:
            for call in self._incoming:
                if call.key not in self._handed_out and call._state != "disconnected":
                    return call
            return None

        try:
            self.host._wait(lambda: next_call() is not None, timeout, "")
        except TimeoutError:
            with self.host._cond:
                ended = sum(c.key not in self._handed_out for c in self._incoming)
            raise TimeoutError(
                f"phone {self.user}: no incoming call within {timeout:g} s "
                f"({ended} arrived and ended unclaimed; see incoming_calls)"
            ) from None
        with self.host._cond:
            call = next_call()
            assert call is not None
            self._handed_out.add(call.key)
            return call

    # -- lifetime ---------------------------------------------------------

    def __enter__(self) -> Phone:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close(keep_files=exc_type is not None)

    def close(self, keep_files: bool = False) -> None:
        """Hang up this phone's calls, unregister it and remove it.

        Stops its worker if the phone has one of its own. Safe to call twice.
        """
        if self._closed:
            return
        self._closed = True
        if self._owns_host:
            self.host.close(keep_files=keep_files)
            return
        # If this fails the worker is in trouble; closing the host ends it.
        if self.host.is_alive:
            with contextlib.suppress(PhoneError, TimeoutError):
                self.host._request("remove_phone", phone=self.key)
        with self.host._cond:
            self.host._phones.pop(self.key, None)


class Call:
    """One call of a phone, outgoing or incoming, as the phone sees it.

    Objects come from :meth:`Phone.call` and :meth:`Phone.wait_incoming`;
    their attributes follow the call as the worker reports it.

    Attributes:
        phone: the phone this call belongs to.
        key: the worker's number for this call.
        direction: "outgoing" or "incoming".
        remote_uri: the other party as the phone sees it.
    """

    def __init__(self, phone: Phone, key: int, direction: str, remote_uri: str) -> None:
        self.phone = phone
        self.key = key
        self.direction = direction
        self.remote_uri = remote_uri
        self._host = phone.host
        self._state = "null"
        self._status_code: int | None = None
        self._reason = ""
        self._sip_call_id = ""
        self._was_confirmed = False
        self._provisionals = 0
        self._media_status = "none"
        self._media_srtp = False
        self._recording: str | None = None
        self._reinvite_codes: list[int] = []
        self._reinvites_received = 0
        self._dtmf: list[str] = []
        self._transfer_codes: list[tuple[int, bool]] = []
        self._gone = False
        #: An incoming call's Call-Info and Alert-Info header lines that ask
        #: for auto-answer, as the INVITE brought them.
        self.auto_answer_headers: list[str] = []
        #: An incoming call's Referred-By (RFC 3892): who transferred the
        #: caller here, as the INVITE brought it; "" without one.
        self.referred_by = ""

    def __repr__(self) -> str:
        return (
            f"<Call {self.phone.user} {self.direction} {self.remote_uri} "
            f"{self._state} {self._status_code}>"
        )

    def _apply(self, kind: str, event: dict[str, Any]) -> None:
        """Update from one worker event (the host's lock is held)."""
        if kind == "call_state":
            self._state = event["state"]
            self._status_code = event["code"] or self._status_code
            self._reason = event["reason"] or self._reason
            self._sip_call_id = event["sip_call_id"] or self._sip_call_id
            self._was_confirmed |= self._state == "confirmed"
        elif kind == "provisional":
            self._provisionals += 1
        elif kind == "media":
            self._media_status = event["status"]
            self._media_srtp = bool(event.get("srtp"))
            self._recording = event["recording"] or self._recording
        elif kind == "reinvite_done":
            self._reinvite_codes.append(event["code"])
        elif kind == "reinvite_received":
            self._reinvites_received += 1
        elif kind == "dtmf":
            self._dtmf.append(event["digit"])
        elif kind == "transfer_status":
            self._transfer_codes.append((event["code"], event["final"]))
        elif kind == "call_gone":
            self._gone = True

    # -- what the call looks like -----------------------------------------

    @property
    def state(self) -> str:
        """null, calling, incoming, early, connecting, confirmed, disconnected."""
        with self._host._synced():
            return self._state

    @property
    def last_status_code(self) -> int | None:
        """The last SIP status of the INVITE: 180, 200, 486, 404..."""
        with self._host._synced():
            return self._status_code

    @property
    def last_reason(self) -> str:
        """The reason phrase that came with ``last_status_code``."""
        with self._host._synced():
            return self._reason

    @property
    def sip_call_id(self) -> str:
        """The Call-ID header of this dialog ("" until the worker tells)."""
        with self._host._synced():
            return self._sip_call_id

    @property
    def ringing_received(self) -> int:
        """How many 18x replies this (outgoing) call received."""
        with self._host._synced():
            return self._provisionals

    @property
    def media_status(self) -> str:
        """Audio state: none, active, local_hold, remote_hold or error."""
        with self._host._synced():
            return self._media_status

    @property
    def media_srtp(self) -> bool:
        """Whether the audio stream is SRTP (RTP/SAVP), as negotiated."""
        with self._host._synced():
            return self._media_srtp

    @property
    def reinvites_received(self) -> int:
        """How many re-INVITEs arrived in this call (hold, unhold, refresh)."""
        with self._host._synced():
            return self._reinvites_received

    @property
    def dtmf_received(self) -> str:
        """RFC 4733 digits received so far, in order."""
        with self._host._synced():
            return "".join(self._dtmf)

    @property
    def recording_path(self) -> Path | None:
        """The WAV of what this phone received, once media has started."""
        with self._host._synced():
            return Path(self._recording) if self._recording else None

    # -- waiting ----------------------------------------------------------

    def wait_confirmed(self, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """Wait until the call is answered; raise CallFailed if it ended."""
        self._host._wait(
            lambda: self._was_confirmed or self._state == "disconnected",
            timeout,
            f"{self!r}: answer",
        )
        with self._host._cond:
            if self._was_confirmed:
                return
            code, reason = self._status_code, self._reason
        raise CallFailed(code, reason, f"call from {self.phone.user} failed")

    def wait_ringing(self, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """Wait for the first 18x reply; raise CallFailed if the call ended."""
        self._host._wait(
            lambda: self._provisionals > 0 or self._state == "disconnected",
            timeout,
            f"{self!r}: ringing",
        )
        with self._host._cond:
            if self._provisionals > 0:
                return
            code, reason = self._status_code, self._reason
        raise CallFailed(code, reason, f"call from {self.phone.user} failed")

    def wait_disconnected(self, timeout: float = DEFAULT_TIMEOUT_S) -> int | None:
        """Wait until the call has ended; return its last status code."""
        self._host._wait(
            lambda: self._state == "disconnected", timeout, f"{self!r}: end"
        )
        return self.last_status_code

    def wait_dtmf(self, digits: str, timeout: float = DEFAULT_TIMEOUT_S) -> str:
        """Wait until the digits received end with ``digits``; return all."""
        self._host._wait(
            lambda: "".join(self._dtmf).endswith(digits),
            timeout,
            f"{self!r}: DTMF {digits}",
        )
        return self.dtmf_received

    # -- acting -----------------------------------------------------------

    def answer(self, code: int = 200, reason: str | None = None) -> None:
        """Reply to an incoming INVITE: 200 answers, 180 rings, 4xx-6xx reject."""
        self._host._request("answer", call=self.key, code=code, reason=reason or "")

    def ring(self) -> None:
        """Send 180 Ringing for an incoming call."""
        self.answer(180)

    def reject(self, code: int = 486, reason: str | None = None) -> None:
        """Refuse an incoming call with a final status (486 Busy Here)."""
        self.answer(code, reason)

    def hangup(self, code: int | None = None) -> None:
        """End the call: BYE, CANCEL or a rejection, as the state demands.

        Hanging up a call that has already ended does nothing, so cleanup
        code need not check who hung up first.

        Args:
            code: for an unanswered incoming call, the status to reject with.
        """
        with self._host._cond:
            if self._state == "disconnected":
                return
        self._host._request("hangup", call=self.key, code=code or 0)

    def hold(self, timeout: float = DEFAULT_TIMEOUT_S) -> int:
        """Put the call on hold (re-INVITE, a=sendonly); return its status."""
        return self._reinvite("hold", timeout)

    def unhold(self, timeout: float = DEFAULT_TIMEOUT_S) -> int:
        """Take the call off hold (re-INVITE, a=sendrecv); return its status."""
        return self._reinvite("unhold", timeout)

    def reinvite(self, timeout: float = DEFAULT_TIMEOUT_S) -> int:
        """Send a plain re-INVITE (a new SDP version); return its status."""
        return self._reinvite("reinvite", timeout)

    def _reinvite(self, op: str, timeout: float) -> int:
        with self._host._cond:
            seen = len(self._reinvite_codes)
        self._host._request(op, call=self.key)
        self._host._wait(
            lambda: len(self._reinvite_codes) > seen,
            timeout,
            f"{self!r}: final reply to {op} re-INVITE",
        )
        with self._host._cond:
            return self._reinvite_codes[seen]

    def xfer(self, target: str) -> None:
        """Blind-transfer the far end (REFER) to target, a SIP URI."""
        self._host._request("xfer", call=self.key, target=target)

    def transfer(self, target: str) -> None:
        """Blind transfer (REFER): a number, dialled at the phone's server,
        or a full sip: URI. Once the new call is answered the phone hangs
        up this one, as desk phones do."""
        if not target.startswith(("sip:", "sips:")):
            target = (
                f"sip:{target}@{self.phone.settings.server}:{self.phone.settings.port}"
            )
        self._host._request("transfer", call=self.key, uri=target)

    def transfer_to_call(self, other: Call) -> None:
        """Attended transfer: REFER this call's party to ``other``'s, with
        Replaces naming ``other`` (both calls of this phone)."""
        self._host._request("transfer_replaces", call=self.key, other=other.key)

    def wait_transfer_result(self, timeout: float = DEFAULT_TIMEOUT_S) -> int:
        """The final status the transfer's NOTIFYs (or the REFER's own
        refusal) reported: 200 when the transferee's new call was answered."""
        self._host._wait(
            lambda: (
                any(final for _, final in self._transfer_codes)
                or (self._state == "disconnected")
            ),
            timeout,
            f"{self!r}: transfer result",
        )
        with self._host._cond:
            finals = [code for code, final in self._transfer_codes if final]
        return finals[0] if finals else 0

    def mute(self) -> None:
        """Stop sending the phone's tone: the other side hears silence."""
        self._host._request("mute", call=self.key)

    def send_dtmf(self, digits: str, method: str = "rfc4733") -> None:
        """Send digits as RFC 4733 telephone-events in the audio stream, or
        with ``method="info"`` as SIP INFO requests (application/dtmf-relay)."""
        self._host._request("dtmf", call=self.key, digits=digits, method=method)

    # -- audio proof ------------------------------------------------------

    def tone_share(self, hz: float, window_s: float = TONE_WINDOW_S) -> float:
        """Share of the latest received audio's energy at ``hz`` (0 to ~1)."""
        path = self.recording_path
        if path is None or not path.exists():
            return 0.0
        rate, samples = read_wav_tail(path, window_s)
        return tone_share(samples, rate, hz)

    def heard_tone(self, hz: float, timeout: float = DEFAULT_TIMEOUT_S) -> bool:
        """True once the latest received audio is mostly the tone ``hz``.

        Looks again every TONE_POLL_S until ``timeout``; with ``timeout=0`` it
        judges the audio once, which is how to assert a tone is absent.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self.tone_share(hz) >= TONE_MIN_SHARE:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(TONE_POLL_S)


# -- WAV and Goertzel --------------------------------------------------------


def read_wav_tail(
    path: str | os.PathLike[str], seconds: float
) -> tuple[int, array.array]:
    """Return (sample rate, the last ``seconds`` of samples) of a 16-bit WAV.

    Works on a WAV still being written: the header's size fields are
    ignored and the data is taken to run to the end of the file.
    """
    with open(path, "rb") as f:
        header = f.read(WAV_HEADER_BYTES)
        if len(header) < WAV_HEADER_BYTES:
            return 0, array.array("h")
        riff, wave, fmt = header[0:4], header[8:12], header[12:16]
        audio_format, channels, rate = struct.unpack_from("<HHI", header, 20)
        bits = struct.unpack_from("<H", header, 34)[0]
        if (riff, wave, fmt, header[36:40]) != (b"RIFF", b"WAVE", b"fmt ", b"data"):
            raise PhoneError(f"{path}: not a plain 44-byte-header WAV")
        if (audio_format, channels, bits) != (WAV_FORMAT_PCM, 1, 16):
            raise PhoneError(f"{path}: expected 16-bit mono PCM")
        frame_bytes = 2
        data_bytes = os.fstat(f.fileno()).st_size - WAV_HEADER_BYTES
        wanted = int(seconds * rate) * frame_bytes
        skip = max(0, data_bytes - wanted)
        f.seek(WAV_HEADER_BYTES + skip - skip % frame_bytes)
        raw = f.read(wanted)
    samples = array.array("h")
    samples.frombytes(raw[: len(raw) - len(raw) % frame_bytes])
    if sys.byteorder == "big":
        samples.byteswap()
    return rate, samples


def _goertzel_power(samples: array.array, start: int, end: int, w: float) -> float:
    """|X(w)|^2 of samples[start:end] by the Goertzel recurrence."""
    coeff = 2.0 * math.cos(w)
    s1 = s2 = 0.0
    for i in range(start, end):
        s1, s2 = samples[i] + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def tone_share(
    samples: array.array, rate: int, hz: float, block_s: float = TONE_BLOCK_S
) -> float:
    """Mean share of each block's energy that lies at ``hz`` (0 to about 1).

    For a block of N samples with energy E, a pure sine at ``hz`` gives a
    Goertzel power of N*E/2, so 2*P/(N*E) is 1 for the tone alone, 0.5 for
    one of two equal tones and near 0 for anything else. Blocks quieter than
    TONE_MIN_RMS count as 0: silence is not a tone.
    """
    block = int(rate * block_s)
    if block <= 0 or len(samples) < block:
        return 0.0
    w = 2.0 * math.pi * hz / rate
    shares = []
    for start in range(0, len(samples) - block + 1, block):
        energy = sum(x * x for x in samples[start : start + block])
        if energy / block < TONE_MIN_RMS**2:
            shares.append(0.0)
            continue
        power = _goertzel_power(samples, start, start + block, w)
        shares.append(2.0 * power / (block * energy))
    return sum(shares) / len(shares)
