"""TLS handshakes a client gave up on, logged once per client per hour.

The certificate is self-signed, so a browser that has not been told to
trust it ends every connection with a TLS alert (``certificate unknown``)
until its person clicks through the warning, and again on later visits.
gunicorn logs each of those as a WARNING (``Invalid request from ip=...:
[SSL: SSLV3_ALERT_CERTIFICATE_UNKNOWN] ...``), which buries the lines that
matter. This filter on gunicorn's error log keeps the first such line from
each address in an hour, says in plain words what it means, and turns the
rest of that hour's into DEBUG lines. Every other line, an SSL error on a
request that had started included, passes unchanged.

Each gunicorn worker counts on its own (the web admin runs one, see
agent/web/daemons.py).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

# One line per client per hour says "this browser does not trust us yet"
# without repeating it for every page and asset the browser fetches.
REPEAT_AFTER_S = 3600
# The table of recent clients is bounded; past this the oldest are forgotten.
CLIENTS_REMEMBERED = 1024

# gunicorn.workers.base.Worker.handle_error formats the line itself.
_HANDSHAKE_FAILED = re.compile(
    r"Invalid request from ip=(?P<ip>\S+?): \[SSL: (?P<reason>[A-Z0-9_]+)\]"
)


class HandshakeFailures(logging.Filter):
    """Rate-limits gunicorn's "Invalid request ... [SSL: ...]" warnings."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self.last_logged: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        match = _HANDSHAKE_FAILED.match(record.getMessage())
        if match is None:
            return True

        ip, reason = match["ip"], match["reason"]
        now = self.clock()
        last = self.last_logged.get(ip)
        if last is not None and now - last < REPEAT_AFTER_S:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)

        if len(self.last_logged) >= CLIENTS_REMEMBERED:
            oldest = min(self.last_logged, key=self.last_logged.__getitem__)
            del self.last_logged[oldest]
        self.last_logged[ip] = now
        record.msg = (
            "TLS handshake from %s ended by the client (%s): it does not trust "
            "the certificate yet, or is not speaking TLS; further ones from it "
            "are logged at DEBUG for %d minutes"
        )
        record.args = (ip, reason, REPEAT_AFTER_S // 60)
        return True


def quieten(error_log: logging.Logger) -> None:
    """Put the filter on gunicorn's error log, once per process."""
    if not any(isinstance(f, HandshakeFailures) for f in error_log.filters):
        error_log.addFilter(HandshakeFailures())
