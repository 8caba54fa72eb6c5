"""One gunicorn worker for both web ports, TLS on the HTTPS port only.

gunicorn applies its TLS settings (``--certfile``, ``--keyfile``) to every
address it binds. The web admin gives it both ports and the certificate,
and runs this worker class: a connection accepted on the plain HTTP
listener sees the same settings without TLS, so it is neither wrapped nor
reported to the application as ``https``; every other connection is
wrapped as gunicorn would.

The plain port's requests (phones' files, redirects) run on a small pool
of threads of their own, as they did when the plain port had a gunicorn of
its own: a provisioning storm, every phone of an office fetching its files
after a power cut, waits its turn there and never takes the threads the
admin pages and the monitor's streams are served on. Everything else
(keep-alive, timeouts, graceful stops) is gunicorn's gthread worker
unchanged.

gunicorn's master imports this module to find the worker class, so it
imports nothing of the application (see docs/architecture.md, "Idle
memory").
"""

from __future__ import annotations

from concurrent import futures
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from agent.settings import Settings

# Phones' files are rendered from the database, a few milliseconds each,
# mostly with Python's lock held: eight clients fetching without pause got
# as many files a second from four threads as from thirty-two
# (scripts/bench/http_prov), and more threads would only take more of the
# lock from the admin pages' threads in the same process.
PLAIN_PORT_THREADS = 4


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
        self.plain_pool = futures.ThreadPoolExecutor(
            max_workers=PLAIN_PORT_THREADS, thread_name_prefix="plain-http"
        )
        super().init_process()

    def enqueue_req(self, conn: Any) -> None:
        if conn.server[1] != self.plain_port:
            super().enqueue_req(conn)
            return

        # As gunicorn's own enqueue_req, on the plain port's threads.
        conn.cfg = self.plain_settings
        done = self.plain_pool.submit(self.handle, conn)
        done.add_done_callback(
            lambda fut: self.method_queue.defer(self.finish_request, conn, fut)
        )

    def run(self) -> None:
        try:
            super().run()
        finally:
            self.plain_pool.shutdown(wait=False)

    def handle_quit(self, sig: int, frame: Any) -> None:
        self.plain_pool.shutdown(wait=False)
        super().handle_quit(sig, frame)
