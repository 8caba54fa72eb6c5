"""``python -m agent.network.watchdog TOKEN SECONDS``: undo an unconfirmed change.

Started, detached, by every network apply. It sleeps until the change's
deadline, then reverts it unless it was confirmed (or replaced) meanwhile.
It needs neither the agent nor the database: with the database damaged its
audit entry goes to logs/audit-offline.jsonl.
"""

from __future__ import annotations

import logging
import sys
import time

from agent.accounts.roles import SYSTEM
from agent.db import offline
from agent.network.service import NetworkService
from agent.settings import Settings

LOG_FILE = "network.log"
# Wakes a little after the deadline, so the deadline has surely passed.
GRACE_S = 0.2


def main(argv: list[str]) -> int:
    token, seconds = argv[0], float(argv[1])
    settings = Settings.from_environment()
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=settings.logs_dir / LOG_FILE,
        level=logging.INFO,
        format="%(asctime)s %(levelname)-7s %(message)s",
    )
    time.sleep(seconds + GRACE_S)
    service = NetworkService(settings, SYSTEM)
    pending = service.pending()
    if pending is None or pending.token != token:
        return 0
    while time.time() < pending.deadline:
        time.sleep(GRACE_S)
    db = offline.open_or_stand_in(settings)
    try:
        service.revert(token)
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
