"""Times as the office reads them: in the appliance's time zone.

Call records, voicemail, events and the audit log store their moments in
UTC (Unix seconds or ISO 8601 with ``+00:00``), and the REST API hands them
out that way, offset included, for programs. People read them on the pages,
in the CLI's tables and in the Master.csv export, and there a call made at
nine in the morning in Berlin says 09:00, not 08:00: the time zone chosen in
the installation wizard (``agent.setup.timezone``). A day a person types to
narrow a search ("calls from 2026-12-04") is that zone's day too, as the
reports' periods are.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from agent import setup
from agent.errors import InvalidInput

Moment = float | str | dt.datetime

SHOWN = "%Y-%m-%d %H:%M:%S"
TIME_OF_DAY = "%H:%M:%S"


def zone() -> zoneinfo.ZoneInfo:
    """The appliance's time zone (UTC until the wizard sets one)."""
    return zoneinfo.ZoneInfo(setup.timezone())


def _aware(moment: Moment) -> dt.datetime:
    if isinstance(moment, int | float):
        return dt.datetime.fromtimestamp(moment, dt.UTC)
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    # Naive datetimes in the database are UTC (agent.db.models.utcnow).
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def local(moment: Moment, where: dt.tzinfo | None = None) -> dt.datetime:
    return _aware(moment).astimezone(where or zone())


def shown(moment: Moment | None, where: dt.tzinfo | None = None) -> str:
    """``2026-12-04 09:15:02`` in the appliance's zone; "" for no moment."""
    if moment is None or moment == "":
        return ""
    return local(moment, where).strftime(SHOWN)


def day_start(day: dt.date, where: dt.tzinfo | None = None) -> float:
    """The local midnight that starts ``day``, as Unix seconds."""
    return dt.datetime.combine(day, dt.time(), where or zone()).timestamp()


def day_bound(field: str, value: str | None, end: bool = False) -> float | None:
    """A day a person typed (YYYY-MM-DD) as Unix seconds: its local start,
    or with ``end`` the start of the day after (searches include the last
    day whole). None when no day was given; ``field`` names the input in
    the refusal."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(field, value, "a date like 2026-12-04") from None
    return day_start(day + dt.timedelta(days=1) if end else day)


def day_span(since: str | None, until: str | None) -> tuple[float | None, float | None]:
    """Days ``since`` to ``until`` as typed (both inclusive, either may be
    missing) as Unix seconds from the first's start to the day after the
    last; a span that ends before it starts is refused at ``until``, where
    it would otherwise find nothing without saying why."""
    start = day_bound("since", since)
    stop = day_bound("until", until, end=True)
    if start is not None and stop is not None and stop <= start:
        raise InvalidInput("until", until, f"on or after since ({since})")
    return start, stop
