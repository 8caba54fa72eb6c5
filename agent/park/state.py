"""The parked calls now, as the media workers tell it.

A parked call lives in the memory of the worker that answered it. Each
worker writes what it holds to a file of its own in the run directory
(``run/park-<port>.json``, replaced atomically, with its process id)
whenever a call is parked or leaves its slot; readers combine the files of
the workers still running, as agent/conference/occupancy.py does.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass

from agent.conference.occupancy import _running
from agent.settings import Settings

FILE_PREFIX = "park-"


@dataclass(frozen=True)
class ParkedCall:
    slot: str
    caller: str
    parked_by: str
    #: When it was parked, seconds since the epoch.
    since: float

    def to_dict(self) -> dict:
        return asdict(self)


def publish(settings: Settings, port: int, parked: list[ParkedCall]) -> None:
    path = settings.run_dir / f"{FILE_PREFIX}{port}.json"
    partial = path.with_suffix(".tmp")
    body = {"pid": os.getpid(), "parked": [p.to_dict() for p in parked]}
    partial.write_text(json.dumps(body))
    os.replace(partial, path)


def parked_calls(settings: Settings) -> list[ParkedCall]:
    """Every running worker's parked calls, by slot."""
    found = []
    for path in settings.run_dir.glob(f"{FILE_PREFIX}*.json"):
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            body = json.loads(path.read_text())
            if not isinstance(body, dict) or not _running(body.get("pid")):
                continue
            for item in body.get("parked") or []:
                found.append(
                    ParkedCall(
                        str(item["slot"]),
                        str(item["caller"]),
                        str(item["parked_by"]),
                        float(item["since"]),
                    )
                )
    return sorted(found, key=lambda p: p.slot)
