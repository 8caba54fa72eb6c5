"""How many people are in each conference room, as the media workers tell it.

A room lives in the memory of one media worker process (see flow), which the
web admin cannot look into. So each worker writes its rooms' member counts
to a small file of its own in the run directory whenever someone joins or
leaves (``run/conference-<port>.json``, replaced atomically), with its
process id; a reader counts only files of workers still running, so a
worker that crashed with people in a room shows none there afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from agent.settings import Settings

FILE_PREFIX = "conference-"


def _path(settings: Settings, port: int) -> Path:
    return settings.run_dir / f"{FILE_PREFIX}{port}.json"


def publish(settings: Settings, port: int, members: dict[str, int]) -> None:
    """Write this worker's member count per room (rooms with nobody left out)."""
    path = _path(settings, port)
    partial = path.with_suffix(".tmp")
    body = {"pid": os.getpid(), "rooms": {k: v for k, v in members.items() if v}}
    partial.write_text(json.dumps(body))
    os.replace(partial, path)


def _running(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's: not one of our workers
        return False
    return True


def members_by_room(settings: Settings) -> dict[str, int]:
    """Members per room number, over every running media worker."""
    counts: dict[str, int] = {}
    for path in settings.run_dir.glob(f"{FILE_PREFIX}*.json"):
        with contextlib.suppress(OSError, ValueError):
            body = json.loads(path.read_text())
            if not isinstance(body, dict) or not _running(body.get("pid")):
                continue
            for number, count in (body.get("rooms") or {}).items():
                if isinstance(count, int) and count > 0:
                    counts[str(number)] = counts.get(str(number), 0) + count
    return counts
