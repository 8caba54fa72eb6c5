"""How the agent runs the media workers: one supervised daemon per port.

Each worker is its own process (``edgepbx media --port P``), so a worker
that dies takes at most its own calls with it, and the agent restarts
it like any other daemon. Calls between two extensions never pass through a
worker, so no worker's death can drop one.
"""

from __future__ import annotations

import os
import sys

from agent.media import pool
from agent.settings import Settings
from agent.supervisor.daemon import Daemon, DaemonSpec


def media_daemons(settings: Settings) -> list[Daemon]:
    ports = pool.MediaPool.from_environment().ports
    return [_worker_daemon(settings, port) for port in ports]


def _worker_daemon(settings: Settings, port: int) -> Daemon:
    ready = pool.ready_path(settings, port)
    daemon: Daemon | None = None

    def prepare() -> tuple[list[str], dict[str, str]]:
        pool.ensure_token(settings)
        ready.unlink(missing_ok=True)
        command = [sys.executable, "-m", "agent.cli.main", "media", "--port", str(port)]
        return command, dict(os.environ, **settings.environment())

    def answering() -> bool:
        """The worker wrote its pid once its Endpoint took the port."""
        return daemon is not None and pool.worker_answering(settings, port, daemon.pid)

    daemon = Daemon(
        DaemonSpec(
            name=f"media-{port}",
            prepare=prepare,
            answering=answering,
            logs_itself=True,
        )
    )
    return daemon
