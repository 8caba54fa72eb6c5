"""Sending notifications in the background, retried with backoff.

A notification (a mail, a webhook POST) is put in the outbox and the caller
goes on at once: a call, a ban or a web request never waits for a mail
server or a webhook receiver. One thread works the outbox. Each webhook has
its own line, taken in order, so a receiver sees a call's ringing before its
answered and ended even after it was down for a while; mail has one line.

A failure is one of two kinds. A receiver that answers and refuses one
delivery (``Refused``: a 4xx or 5xx not in ``BUSY_CODES``) has only that
one retried, after a delay that doubles; the deliveries behind it go on,
so one event the receiver cannot take does not hold back the rest. Any
other failure (nobody answers, no answer in time, ``BUSY_CODES``, a mail
server that fails) holds the whole line, with its own doubling delay: the
next try is the oldest delivery that is due, and the rest follow in order
once it goes through. A delivery is dropped (with one log line) after
``MAX_ATTEMPTS`` tries of its own.

Known shortcoming: the outbox lives in memory, so notifications still
waiting when the agent stops are lost; the events themselves are kept.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from agent.events import signing

log = logging.getLogger("edgepbx.events")

# A receiver answers a POST in well under a second; five keep a slow one
# from holding the line long, and are what test-sends wait at most.
WEBHOOK_TIMEOUT_S = 5.0
# 5 s, 10 s, 20 s ... up to 10 minutes: about two hours of trying in all.
FIRST_RETRY_S = 5.0
MAX_RETRY_S = 600.0
MAX_ATTEMPTS = 15
# A receiver that is down for hours should not fill the memory.
LINE_MAX = 1000
IDLE_WAIT_S = 0.5
USER_AGENT = "edgepbx-webhook/1"
# These speak for the receiver as a whole, not for the one request, so the
# whole line waits as when nobody answers: 429 Too Many Requests (RFC 6585
# section 4); 502, 503 and 504, a gateway whose server is down or a server
# that is overloaded (RFC 9110 sections 15.6.3 to 15.6.5).
BUSY_CODES = frozenset({429, 502, 503, 504})


class DeliveryFailed(Exception):
    """The receiver could not be reached or did not answer 2xx."""


class Refused(DeliveryFailed):
    """The receiver answered and refused this one delivery."""


def post_webhook(url: str, secret: str, event_type: str, payload: dict) -> int:
    """POST one signed event; return the HTTP status (2xx) or raise.

    The body is compact JSON; the signature covers exactly these bytes.
    """
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.EVENT_HEADER: event_type,
        signing.DELIVERY_HEADER: str(uuid.uuid4()),
        **signing.headers(secret, body),
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        if exc.code in BUSY_CODES:
            raise DeliveryFailed(f"answered {exc.code}") from None
        raise Refused(f"answered {exc.code}") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DeliveryFailed(f"not reached: {reason}") from None


@dataclass(eq=False)
class Delivery:
    """One notification to send; ``send`` raises to ask for a retry."""

    what: str
    send: Callable[[], None]
    attempts: int = 0
    due: float = 0.0


@dataclass
class _Line:
    items: deque[Delivery] = field(default_factory=deque)
    # Held until ``due`` after ``failures`` tries in a row that reached nobody.
    due: float = 0.0
    failures: int = 0


def _backoff(tries: int) -> float:
    return min(FIRST_RETRY_S * 2 ** (tries - 1), MAX_RETRY_S)


class Outbox:
    """Lines of deliveries worked by one thread, in order, with retries."""

    def __init__(
        self,
        on_failure: Callable[[str, str, int], None] | None = None,
        on_success: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_failure = on_failure
        self.on_success = on_success
        self.clock = clock
        self._lines: dict[str, _Line] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, line: str, delivery: Delivery) -> None:
        with self._lock:
            queue = self._lines.setdefault(line, _Line()).items
            if len(queue) >= LINE_MAX:
                log.warning(
                    "events: %s dropped, %d waiting already", delivery.what, len(queue)
                )
                return
            queue.append(delivery)
        self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return sum(len(line.items) for line in self._lines.values())

    def line_names(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def drop(self, line: str) -> int:
        """Forget a line and what waits in it; return how many were waiting."""
        with self._lock:
            dropped = self._lines.pop(line, None)
        return len(dropped.items) if dropped else 0

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._work, name="event-outbox", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join()

    def _work(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            worked = self.work_due()
            if not worked:
                self._wake.wait(IDLE_WAIT_S)

    def work_due(self) -> bool:
        """Try the first due delivery of every line that is not held.

        One per line and pass, so a busy line does not starve the others;
        True if any was tried.
        """
        now = self.clock()
        with self._lock:
            firsts = []
            for name, line in self._lines.items():
                if line.due > now:
                    continue
                first = next((d for d in line.items if d.due <= now), None)
                if first is not None:
                    firsts.append((name, first))
        for name, delivery in firsts:
            if self._stop.is_set():
                break
            self._try(name, delivery)
        return bool(firsts)

    def _try(self, line: str, delivery: Delivery) -> None:
        delivery.attempts += 1
        try:
            delivery.send()
        except Exception as exc:  # every failure is retried
            self._failed(line, delivery, exc)
            return
        self._answered(line)
        self._remove(line, delivery)
        if self.on_success:
            self.on_success(line)

    def _failed(self, line: str, delivery: Delivery, exc: Exception) -> None:
        reason = str(exc) or exc.__class__.__name__
        if isinstance(exc, Refused):
            # Step 1: the receiver is there; only this delivery waits.
            self._answered(line)
            delay = _backoff(delivery.attempts)
            delivery.due = self.clock() + delay
        else:
            # Step 1: nobody to take it; the whole line waits, and this
            # delivery stays first in it.
            delay = self._hold(line)

        # Step 2: a delivery has its own bound, whichever way it failed.
        if delivery.attempts >= MAX_ATTEMPTS:
            log.error(
                "events: %s given up after %d attempts: %s",
                delivery.what,
                delivery.attempts,
                reason,
            )
            self._remove(line, delivery)
        else:
            log.warning(
                "events: %s failed (%s); retry in %.0f s",
                delivery.what,
                reason,
                delay,
            )
        if self.on_failure:
            self.on_failure(line, reason, delivery.attempts)

    def _hold(self, line: str) -> float:
        with self._lock:
            held = self._lines.get(line)
            if held is None:
                return 0.0
            held.failures += 1
            delay = _backoff(held.failures)
            held.due = self.clock() + delay
            return delay

    def _answered(self, line: str) -> None:
        with self._lock:
            answered = self._lines.get(line)
            if answered is not None:
                answered.failures = 0
                answered.due = 0.0

    def _remove(self, line: str, delivery: Delivery) -> None:
        with self._lock:
            found = self._lines.get(line)
            if found is None:  # dropped while it was being tried
                return
            if delivery in found.items:
                found.items.remove(delivery)
            if not found.items and not found.failures:
                del self._lines[line]


def mail_delivery(mailer, to: list[str], subject: str, text: str) -> Delivery:
    def send() -> None:
        message = EmailMessage()
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message.set_content(text)
        mailer.send(message)

    return Delivery(f"mail {subject!r}", send)
