"""``edgepbx agent``: keeps the appliance's daemons running.

It prepares the data tree and databases, applies Kamailio's configuration
as a transaction, starts every daemon, restarts the ones that die, and on
SIGTERM or Ctrl-C stops them all, Kamailio last so registrations are
flushed. Its state is written to ``run/agent.json`` for ``edgepbx status``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from agent import ports
from agent.accounts.roles import SYSTEM
from agent.appliance import Appliance
from agent.backup.schedule import BackupScheduler
from agent.backup.service import RESTORE_REQUEST, BackupService
from agent.cdr import records
from agent.cdr.listener import CallEventListener
from agent.errors import PbxError
from agent.events.dispatcher import EventDispatcher
from agent.media import music_on_hold
from agent.media.daemons import media_daemons
from agent.paging.broadcasts import BroadcastScheduler
from agent.provisioning.sightings import SightingListener
from agent.provisioning.sightings import socket_path as sightings_socket
from agent.recordings.keeper import RecordingKeeper
from agent.reports.schedules import ReportMailer
from agent.rtpengine.daemon import rtpengine_spec
from agent.security.guard import SecurityGuard
from agent.sip import dialogs, kamailio_config
from agent.sip.rpc import KamailioRpc
from agent.storage.service import StorageKeeper
from agent.supervisor import alive, output
from agent.supervisor.daemon import Daemon, DaemonSpec, stop_together
from agent.supervisor.lock import LOCK_NAME
from agent.trunks import keeper as trunk_keeper
from agent.trunks.keeper import TrunkKeeper
from agent.voicemail.service import VoicemailService
from agent.web import daemons as web_daemons
from agent.web.certificate import ensure_certificate
from agent.welcome import write_console_banner
from agent.wording import counted
from provisioning_server.supervision import provisioning_spec

log = logging.getLogger("edgepbx.agent")

POLL_INTERVAL_S = 0.2
# How often the console banner is checked against the first sign-in: a
# query of one row, and the console is read by a person, not a program.
BANNER_CHECK_S = 5.0
# A stop ends the calls in progress with a BYE to each phone and waits this
# long at most for their answers: a stop must stay quick, and a phone that
# does not answer its BYE hangs up anyway.
CUT_CALLS_WITHIN_S = 1.0
# Kamailio answers an RPC in milliseconds; one that hangs must not hold the
# stop for the RPC's usual timeout.
CUT_CALLS_RPC_TIMEOUT_S = 0.5


class AgentAlreadyRunning(PbxError):
    kind = "already-running"


class Agent:
    def __init__(self, appliance: Appliance) -> None:
        self.appliance = appliance
        self.settings = appliance.settings
        self.stopping = threading.Event()
        # Started in this order. Stopped all at once but for Kamailio, which
        # stops last so registrations are flushed after everything else has
        # let go (_stop_daemons).
        self.daemons = [
            Daemon(rtpengine_spec(self.settings)),
            Daemon(self._kamailio_spec()),
            Daemon(web_daemons.web_spec(self.settings)),
            Daemon(provisioning_spec(self.settings)),
            *media_daemons(self.settings),
        ]
        if not output.kept_by_journald():
            for daemon in self.daemons:
                if not daemon.spec.logs_itself:
                    daemon.output = output.DaemonOutput(
                        self.settings.logs_dir, daemon.name
                    )
        self._lock_file = None
        self._ready_reported = False
        self._first_password: str | None = None
        self._first_marker: str | None = None
        self._banner_check = 0.0
        #: Set when the web admin asked for a staged backup to be restored.
        self.restoring = False
        self.security = SecurityGuard(self.settings)
        self.call_events = CallEventListener(
            self.settings.run_dir / kamailio_config.CALL_EVENTS_SOCKET_NAME,
            on_registered=self._tell_message_waiting,
        )
        self.trunks = TrunkKeeper(
            appliance.kamailio,
            appliance.key,
            self.settings.run_dir / trunk_keeper.STATES_FILE_NAME,
        )
        self.sightings = SightingListener(sightings_socket(self.settings))
        self.backups = BackupScheduler(self.settings, appliance.key)
        self.storage = StorageKeeper(self.settings)
        # Scheduled call reports go out from a thread of their own.
        self.reports = ReportMailer(appliance.key)
        self.broadcasts = BroadcastScheduler(self.settings)
        self.events = EventDispatcher(appliance.key, self.settings.data_dir)
        self.call_events.observe(self.events.on_call_event)
        self.recordings = RecordingKeeper(
            self.settings.capture_dir, self.settings.recordings_dir
        )
        self.call_events.observe(self.recordings.on_call_event)

    def _tell_message_waiting(self, extension: str) -> None:
        """A phone of the extension registered: send it the mailbox's count."""
        service = VoicemailService(self.settings)
        box = service.find(extension) if extension.isdigit() else None
        if box is not None:
            service.tell_phones(box)

    # -- daemons -------------------------------------------------------------

    def _kamailio_spec(self) -> DaemonSpec:
        def prepare() -> tuple[list[str], dict[str, str]]:
            kamailio_config.check_port_free(self.settings)
            # SIP over TLS presents the web admin's certificate.
            ensure_certificate(self.settings)
            self._forget_stale_registrations()
            realm = kamailio_config.sip_domain(self.settings)
            # The music held parties hear, built now rather than at a hold.
            music_on_hold.refresh(self.settings)
            files = kamailio_config.apply(self.settings, realm)
            return (
                kamailio_config.kamailio_command(files, self.settings),
                kamailio_config.kamailio_environment(files),
            )

        return DaemonSpec(
            name="kamailio", prepare=prepare, answering=self.appliance.kamailio.ping
        )

    def _check_ports(self) -> None:
        """At start, a port that cannot be used is a setting to fix: say so.

        Later, a daemon that cannot bind is retried with backoff instead,
        because the port may come free again.
        """
        settings = self.settings
        ports.ensure_free(settings.bind, settings.sip_port, "EDGEPBX_SIP_PORT", True)
        ports.ensure_free(settings.bind, settings.sip_tls_port, "EDGEPBX_SIP_TLS_PORT")
        ports.ensure_free(settings.bind, settings.https_port, "EDGEPBX_HTTPS_PORT")
        ports.ensure_free(settings.bind, settings.http_port, "EDGEPBX_HTTP_PORT")

    def _forget_stale_registrations(self) -> None:
        """Registrations of extensions removed while Kamailio was down go."""
        enabled = [e.number for e in self.appliance.extensions.list() if e.enabled]
        removed = self.appliance.registrar.forget_all_but(enabled)
        if removed:
            log.info(
                "kamailio: %d registrations of removed extensions dropped", removed
            )

    # -- life cycle ----------------------------------------------------------

    def _show_first_sign_in(self) -> None:
        """Keep the console banner true: drop the one-time password from it
        once the administrator has chosen their own, or it was reset."""
        if self._first_password is None or time.monotonic() < self._banner_check:
            return
        self._banner_check = time.monotonic() + BANNER_CHECK_S
        if self.appliance.accounts.first_admin_marker() != self._first_marker:
            self._first_password = None
            write_console_banner(self.appliance, None)
            log.info("console banner: the one-time password is no longer shown")

    def run(self, on_ready: Callable[[str | None], None] | None = None) -> None:
        self._take_lock()
        self._check_ports()
        self.settings.record_listening()
        # Only the agent makes the first administrator, so the one-time
        # password is known to the process that prints the banner.
        self.appliance.accounts.ensure_first_admin()
        self.appliance.align_sip_realm()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        log.info("agent: starting (data in %s)", self.settings.data_dir)
        self._close_calls_cut_while_down()
        self.security.start()
        self.call_events.start()
        self.sightings.start()
        self.events.start()
        self.recordings.start()
        try:
            for daemon in self.daemons:
                daemon.start()
            self._write_state()
            alive_next = time.monotonic()
            while not self.stopping.is_set():
                if time.monotonic() >= alive_next:
                    alive.record(self._alive_file, time.time())
                    alive_next = time.monotonic() + alive.ALIVE_EVERY_S
                changed = False
                for daemon in self.daemons:
                    changed |= daemon.poll()
                if changed:
                    self._write_state()
                self.security.tick()
                self.trunks.tick(self._daemon_pid("kamailio"))
                self.backups.tick(time.monotonic())
                self.storage.tick(time.monotonic())
                self.reports.tick()
                self.broadcasts.tick(time.time())
                self.events.tick()
                if not self.restoring and self._restore_asked():
                    log.info("agent: a restore was asked for; stopping to restore")
                    self.restoring = True
                    self.stopping.set()
                if not self._ready_reported and self.all_answering():
                    self._ready_reported = True
                    accounts = self.appliance.accounts
                    self._first_password = accounts.pending_one_time_password()
                    self._first_marker = accounts.first_admin_marker()
                    write_console_banner(self.appliance, self._first_password)
                    self._write_state()
                    # Logged once the banner and the state are written too,
                    # so whoever waits for this line finds the box complete.
                    log.info("agent: every daemon answers")
                    if on_ready:
                        on_ready(self._first_password)
                self._show_first_sign_in()
                self.stopping.wait(POLL_INTERVAL_S)
        finally:
            log.info("agent: stopping")
            self._cut_calls_in_progress()
            self._stop_daemons()
            self.security.stop()
            self.call_events.stop()
            self.sightings.stop()
            self.events.stop()
            self.recordings.stop()
            self._write_state(stopped=True)
            log.info("agent: stopped")
        if self.restoring:
            self._restore_and_start_again()

    def _stop_daemons(self) -> None:
        """Everything but Kamailio together, then Kamailio alone, last: the
        others let go of their calls and registrations while it still runs,
        and it flushes the registrations to disk once nothing else will."""
        others = [d for d in self.daemons if d.name != "kamailio"]
        stop_together(others)
        stop_together([d for d in self.daemons if d.name == "kamailio"])

    def _cut_calls_in_progress(self) -> None:
        """Before anything stops, end every call so its phones are told,
        and close the records of the calls as cut by the stop."""
        ended: list[dialogs.CallInProgress] = []
        if self._daemon_pid("kamailio") is not None:
            rpc = KamailioRpc(
                self.settings.kamailio_rpc_socket, timeout=CUT_CALLS_RPC_TIMEOUT_S
            )
            sip_address = (self.settings.bind, self.settings.sip_port)
            ended = dialogs.end_all(rpc, sip_address, CUT_CALLS_WITHIN_S)
            if ended:
                log.info("agent: %s in progress ended", counted(len(ended), "call"))
        closed = records.close_cut_calls(time.time(), records.CUT_STOPPED)
        # After the closing: a call whose end came in before it is marked
        # here, one whose end comes in later finds its record closed.
        closed += records.mark_cut([c.call_id for c in ended], records.CUT_STOPPED)
        if closed:
            log.info(
                "call records: %s closed as cut by the stop", counted(closed, "call")
            )

    def _close_calls_cut_while_down(self) -> None:
        """Calls still open from before this start were cut when the PBX
        went down without stopping: close them, or the monitor, the lamps
        and the toll-fraud guard count them for hours. They end when the
        agent was last known alive, so the downtime is not in them.
        """
        last_alive = alive.last(self._alive_file, time.time())
        closed = records.close_cut_calls(last_alive, records.CUT_WENT_DOWN)
        if closed:
            log.info(
                "call records: %s closed, cut while the PBX was down",
                counted(closed, "call"),
            )

    @property
    def _alive_file(self) -> Path:
        return self.settings.run_dir / alive.ALIVE_NAME

    def _restore_asked(self) -> bool:
        return (self.settings.run_dir / RESTORE_REQUEST).exists()

    def _restore_and_start_again(self) -> None:
        """Swap in the staged backup with nothing holding the databases,
        then start again as a new process: everything this one read from
        the old data (keys, settings, open connections) is left behind."""
        if self._lock_file is not None:
            self._lock_file.close()
        self.appliance.close()
        try:
            BackupService(self.settings, SYSTEM).restore_pending()
        except PbxError as exc:
            log.error("restore refused, the data is as it was: %s", exc)
        log.info("agent: starting again")
        os.execv(sys.executable, sys.orig_argv)

    def _daemon_pid(self, name: str) -> int | None:
        return next((d.pid for d in self.daemons if d.name == name), None)

    def all_answering(self) -> bool:
        return all(d.process is not None and d.spec.answering() for d in self.daemons)

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping.set()

    def _take_lock(self) -> None:
        path: Path = self.settings.run_dir / LOCK_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(path, "w")  # noqa: SIM115 -- held for the run
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AgentAlreadyRunning(
                f"an agent is already running on {self.settings.data_dir}"
            ) from None

    def _write_state(self, stopped: bool = False) -> None:
        state = {
            "pid": None if stopped else os.getpid(),
            "updated_at": time.time(),
            "daemons": {d.name: d.state() for d in self.daemons},
        }
        path = self.settings.agent_state_file
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        os.replace(tmp, path)
