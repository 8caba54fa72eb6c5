"""How the agent runs the web admin: one gunicorn process for both ports.

One supervised daemon, ``webadmin``, with the same command line shape as
Kamailio's: a gunicorn master and one worker bound to

- ``EDGEPBX_HTTPS_PORT``: HTTPS, the admin pages and the REST API;
- ``EDGEPBX_HTTP_PORT``: plain HTTP, which sends browsers to HTTPS and
  keeps ``/prov/`` for phones, many of which cannot check a self-signed
  certificate.

gunicorn's TLS settings apply to every address one process binds, so the
worker is a class of our own (``webadmin.listeners.TwoPortWorker``) that
wraps only the connections accepted on the HTTPS port, and the application
(``webadmin.both_ports``) answers each request by the port it came on. Two
gunicorn daemons, one per port, cost a second master and a second copy of
the application (some 38 MB on a box whose daemons should fit in 150 MB).
The daemon answers when both ports do.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import shutil
import ssl
import sys
from pathlib import Path

from agent.security.certificates import is_uploaded, stored_leaf_der
from agent.settings import Settings
from agent.supervisor.daemon import DaemonSpec
from agent.web.certificate import ensure_certificate

# The admin pages see a handful of people at once, and phones fetch small
# files from /prov/: one worker process, a request each on a thread of
# its own (gthread). A slow request does not stall the others: the password
# hash (scrypt) and SQLite's queries run with Python's lock released, and
# the threads take turns at the rest. A second process would cost another
# copy of the application for a load it never sees. A live monitor's event
# stream holds a thread while it is open, so the worker serves twenty-four
# streams at most (webadmin/monitor_stream.py) and keeps eight threads for
# pages. The plain port's requests have four threads of their own beside
# these (webadmin/listeners.py). Idle threads cost a stack's address space,
# not memory in use.
WEB_WORKERS = 1
WEB_THREADS = 32
# A worker whose main loop stops for this long is stuck; gunicorn restarts it.
# (With gthread the main loop keeps beating while a thread serves a long
# request, so an open event stream is not taken for a stuck worker.)
WORKER_TIMEOUT_S = 30
GRACEFUL_TIMEOUT_S = 5
PROBE_TIMEOUT_S = 2.0
# Uploads (backups, firmware bundles: hundreds of MB) are spooled by bottle
# into the temporary directory, and /tmp on the image is a 64 MB tmpfs; so
# the web daemon's TMPDIR is a folder of its own on the data partition,
# emptied as the daemon starts (a spool a killed worker left is garbage).
SPOOL_FOLDER = "tmp"
WEB_DAEMON = "webadmin"
# The probes ask for pages every request path allows without signing in.
HTTPS_PROBE_PATH = "/signin"
HTTP_PROBE_PATH = "/prov/"


def probe_host(settings: Settings) -> str:
    """The address to reach our own listeners at (loopback for a wildcard)."""
    address = ipaddress.ip_address(settings.bind)
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"
    return settings.bind


def _bind(host: str, port: int) -> str:
    if ipaddress.ip_address(host).version == 6:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def gunicorn_command(settings: Settings) -> list[str]:
    """The web daemon's command line, the same under `make run` and on the device."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        # The worker tells the two listeners apart by their ports.
        "--bind",
        _bind(settings.bind, settings.https_port),
        "--bind",
        _bind(settings.bind, settings.http_port),
        "--certfile",
        str(settings.https_certificate),
        "--keyfile",
        str(settings.https_key),
        "--workers",
        str(WEB_WORKERS),
        "--worker-class",
        "webadmin.listeners.TwoPortWorker",
        "--threads",
        str(WEB_THREADS),
        "--timeout",
        str(WORKER_TIMEOUT_S),
        "--graceful-timeout",
        str(GRACEFUL_TIMEOUT_S),
        # One line per request is noise at the console; the app logs events.
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
        # Nothing controls gunicorn but the agent, through signals.
        "--no-control-socket",
        "--worker-tmp-dir",
        str(settings.run_dir),
        "webadmin.both_ports:create_app()",
    ]


def web_spec(settings: Settings) -> DaemonSpec:
    def prepare() -> tuple[list[str], dict[str, str]]:
        ensure_certificate(settings)
        return gunicorn_command(settings), _environment(settings, WEB_DAEMON)

    return DaemonSpec(
        name=WEB_DAEMON, prepare=prepare, answering=lambda: web_answering(settings)
    )


def spool_dir(settings: Settings, daemon: str) -> Path:
    """The web daemon's temporary directory, on the data partition."""
    return settings.data_dir / SPOOL_FOLDER / daemon


def _fresh_spool(settings: Settings, daemon: str) -> Path:
    """The daemon's spool, made if missing and emptied (it is not running)."""
    folder = spool_dir(settings, daemon)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _environment(settings: Settings, daemon: str) -> dict[str, str]:
    spool = _fresh_spool(settings, daemon)
    return dict(os.environ, **settings.environment(), TMPDIR=str(spool))


def web_answering(settings: Settings) -> bool:
    """Does the web daemon answer on both of its ports?"""
    return https_answering(settings) and http_answering(settings)


def https_answering(settings: Settings) -> bool:
    """Does the HTTPS admin answer, with the certificate we made?"""
    if not settings.https_certificate.exists():
        return False
    if is_uploaded(settings):
        return _pinned_https_answering(settings)
    context = ssl.create_default_context(cafile=str(settings.https_certificate))
    connection = http.client.HTTPSConnection(
        probe_host(settings),
        settings.https_port,
        timeout=PROBE_TIMEOUT_S,
        context=context,
    )
    return _answers(connection, HTTPS_PROBE_PATH, 200)


def _pinned_https_answering(settings: Settings) -> bool:
    """The probe for an administrator's own certificate.

    It may name only a domain, and chain to a CA this machine does not
    know; so the probe checks that the server presents exactly the stored
    certificate instead of validating a chain and a name.
    """
    stored = stored_leaf_der(settings)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(
        probe_host(settings),
        settings.https_port,
        timeout=PROBE_TIMEOUT_S,
        context=context,
    )
    try:
        connection.connect()
        if connection.sock.getpeercert(binary_form=True) != stored:
            return False
    except OSError:
        connection.close()
        return False
    return _answers(connection, HTTPS_PROBE_PATH, 200)


def http_answering(settings: Settings) -> bool:
    """Does the plain HTTP port answer (404 on the empty /prov/ tree)?"""
    connection = http.client.HTTPConnection(
        probe_host(settings), settings.http_port, timeout=PROBE_TIMEOUT_S
    )
    return _answers(connection, HTTP_PROBE_PATH, 404)


def _answers(connection: http.client.HTTPConnection, path: str, status: int) -> bool:
    try:
        connection.request("GET", path, headers={"User-Agent": "edgepbx-agent"})
        response = connection.getresponse()
        response.read()
        return response.status == status
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
