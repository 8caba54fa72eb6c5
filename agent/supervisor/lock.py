"""The agent's lock on its data directory: one agent per appliance.

Its own module so that anything may ask whether the agent runs (a restore
waits for it to stop, the status command reports it) without importing the
supervisor and everything it starts.
"""

from __future__ import annotations

import fcntl

from agent.settings import Settings

LOCK_NAME = "agent.lock"


def agent_is_running(settings: Settings) -> bool:
    """True if an agent holds the lock on this data directory."""
    path = settings.run_dir / LOCK_NAME
    if not path.exists():
        return False
    with open(path) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
    return False
