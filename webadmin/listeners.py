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
admin pages and the monitor's streams are served on.

A client that sends part of a request's head (or of a TLS handshake) and
then nothing holds the thread reading it: 32 such connections, or four on
the plain port, would leave the web admin or the phones' files without a
thread for as long as they stay open. So a request's head must
arrive whole within HEAD_DEADLINE_S of the thread taking the connection:
past it, the worker's loop shuts the connection, which ends the blocked
read. The body is the application's to read and is not timed (a firmware
upload takes minutes). Everything else (keep-alive, timeouts, graceful
stops) is gunicorn's gthread worker unchanged.

gunicorn's master imports this module to find the worker class, so it
imports nothing of the application (see docs/architecture.md, "Idle
memory").
"""

from __future__ import annotations

import logging
import socket
import threading
import time
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

# How long a request's head (its request line and headers, and the TLS
# handshake before them) may take to arrive once a thread reads it. A phone
# or a browser on the office's network sends a head in one packet, in
# milliseconds; gunicorn already gives a connection that sends nothing 5 s
# before it takes a thread. Apache's request-head timeout starts at 20 s,
# nginx's at 60 s; a LAN appliance needs neither.
HEAD_DEADLINE_S = 10.0

log = logging.getLogger("edgepbx.web")


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
        # Connections whose head a thread is reading, and when it is due.
        self.heads_due: dict[Any, float] = {}
        self.heads_lock = threading.Lock()
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

    def handle(self, conn: Any) -> Any:
        with self.heads_lock:
            self.heads_due[conn] = time.monotonic() + HEAD_DEADLINE_S
        try:
            return super().handle(conn)
        finally:
            with self.heads_lock:
                self.heads_due.pop(conn, None)

    def handle_request(self, req: Any, conn: Any) -> Any:
        with self.heads_lock:
            self.heads_due.pop(conn, None)
        return super().handle_request(req, conn)

    def murder_keepalived(self, force: bool = False) -> None:
        # gunicorn's loop calls this at least once a second.
        super().murder_keepalived(force)
        self.cut_late_heads()

    def cut_late_heads(self) -> None:
        """Shut the connections whose request head is overdue: the thread
        blocked reading it gets end-of-file and gives the connection up."""
        now = time.monotonic()
        with self.heads_lock:
            late = [conn for conn, due in self.heads_due.items() if due < now]
            for conn in late:
                del self.heads_due[conn]
        for conn in late:
            try:
                # The plain socket's own shutdown, also under TLS: the
                # thread inside the TLS layer's read keeps its state.
                socket.socket.shutdown(conn.sock, socket.SHUT_RDWR)
            except OSError:
                continue
            log.info(
                "web admin: closed %s:%s, its request did not arrive in %d s",
                conn.client[0] if conn.client else "?",
                conn.client[1] if conn.client else "?",
                HEAD_DEADLINE_S,
            )

    def run(self) -> None:
        try:
            super().run()
        finally:
            self.plain_pool.shutdown(wait=False)

    def handle_quit(self, sig: int, frame: Any) -> None:
        self.plain_pool.shutdown(wait=False)
        super().handle_quit(sig, frame)
