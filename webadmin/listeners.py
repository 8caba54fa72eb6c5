"""One gunicorn worker for both web ports, TLS on the HTTPS port only.

gunicorn applies its TLS settings (``--certfile``, ``--keyfile``) to every
address it binds. The web admin gives it both ports and the certificate,
and runs this worker class: a connection accepted on the plain HTTP
listener sees the same settings without TLS, so it is neither wrapped nor
reported to the application as ``https``; every other connection is
wrapped as gunicorn would. Everything else (threads, keep-alive, timeouts,
graceful stops) is gunicorn's gthread worker unchanged.

gunicorn's master imports this module to find the worker class, so it
imports nothing of the application (see docs/architecture.md, "Idle
memory").
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from agent.settings import Settings


class PlainSettings:
    """gunicorn's settings as a connection on the plain port sees them."""

    is_ssl = False

    def __init__(self, settings: Any) -> None:
        self._settings = settings

    def __getattr__(self, name: str) -> Any:
        return getattr(self._settings, name)


class TwoPortWorker(ThreadWorker):
    """gthread, with TLS only for connections to the HTTPS port."""

    def init_process(self) -> None:
        # The agent gives the worker the appliance's settings in its
        # environment; the port numbers are the ones it bound.
        self.plain_port = Settings.from_environment().http_port
        self.plain_settings = PlainSettings(self.cfg)
        super().init_process()

    def enqueue_req(self, conn: Any) -> None:
        if conn.server[1] == self.plain_port:
            conn.cfg = self.plain_settings
        super().enqueue_req(conn)
