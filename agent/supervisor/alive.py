"""When the agent was last known alive, kept across a crash.

The agent rewrites a small file with the time every ALIVE_EVERY_S seconds
from its main loop. A start after a crash (kill -9, power lost) reads it
to end the calls the crash cut at about when it happened, instead of at
the start, so their durations do not count the time the PBX was down.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("edgepbx.agent")

#: How often the time is written: a call cut by a crash ends at most this
#: much later than it should; one small write per period costs nothing.
ALIVE_EVERY_S = 15.0
#: The file's name under the data directory's run/.
ALIVE_NAME = "alive"


def record(path: Path, now: float) -> None:
    """Write now (Unix seconds) as the last time the agent was alive."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{now:.3f}\n")
    os.replace(tmp, path)


def last(path: Path, now: float) -> float:
    """The last time the agent recorded itself alive, never after now (a
    clock set back); now when nothing readable was recorded."""
    try:
        return min(float(path.read_text()), now)
    except FileNotFoundError:
        return now
    except (OSError, ValueError) as exc:
        log.warning("agent: last time alive unreadable, taken as now: %s", exc)
        return now
