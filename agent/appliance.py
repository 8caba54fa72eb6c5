"""The appliance as the agent and the CLI see it: its data, database and key.

Opening it is idempotent and safe on every start: the data tree is made,
the device key is created on the very first start, and the databases are
migrated to this firmware's schema.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import peewee

from agent import system_settings
from agent.accounts.roles import SYSTEM, Principal
from agent.db import open_database
from agent.db.migrations import migrate
from agent.devicekey import DeviceKey
from agent.errors import NotFound
from agent.extensions.registrations import Registrar
from agent.firmware import snapshot as firmware_snapshot
from agent.settings import Settings
from agent.sip.rpc import KamailioRpc
from agent.sip.state_db import prepare_state_db

if TYPE_CHECKING:
    from agent.accounts.service import AccountService
    from agent.extensions.service import ExtensionService

# The services and the SIP configuration are imported where they are first
# used: every edgepbx command opens the appliance, and most need few of them.

log = logging.getLogger("edgepbx")


@contextlib.contextmanager
def _opening_lock(settings: Settings) -> Iterator[None]:
    """One process at a time sets up the data: keys, WAL mode, migrations.

    Two processes switching a new database to WAL at once deadlock inside
    SQLite, and one of them gets "database is locked" without waiting; the
    agent and a CLI command are often both the first to open the data.
    """
    with open(settings.db_dir / ".opening.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass
class Appliance:
    settings: Settings
    db: peewee.SqliteDatabase
    key: DeviceKey

    @classmethod
    def open(cls, settings: Settings | None = None, create: bool = True) -> Appliance:
        """Open the appliance's data; with create=False, only existing data.

        Raises:
            NotFound: create is False and there is no appliance data there.
        """
        settings = settings or Settings.from_environment()
        if not create and not settings.config_db.exists():
            raise NotFound(
                f"no edgepbx data in {settings.data_dir}: run this from the "
                "directory where make run runs, or set EDGEPBX_DATA_DIR",
                field="EDGEPBX_DATA_DIR",
            )
        for path in settings.persistent_dirs():
            path.mkdir(parents=True, exist_ok=True)
        settings.certs_dir.chmod(0o700)
        with _opening_lock(settings):
            first_start = not settings.device_key.exists()
            key = DeviceKey.load_or_create(settings.device_key)
            if first_start:
                log.info("device key created in %s", settings.device_key)
            firmware_snapshot.restore_if_too_new(settings)  # after a failed update
            db = open_database(settings.config_db)
            migrate(db)
            prepare_state_db(settings.sip_state_db)
            appliance = cls(settings=settings, db=db, key=key)
            if system_settings.get(system_settings.SIP_REALM) is None:
                from agent.sip.kamailio_config import sip_domain

                system_settings.put(system_settings.SIP_REALM, sip_domain(settings))
        return appliance

    @property
    def extensions(self) -> ExtensionService:
        """Extensions for the appliance's own housekeeping."""
        return self.extensions_as(SYSTEM)

    def extensions_as(self, actor: Principal) -> ExtensionService:
        """Extensions as the given person, script or console may use them."""
        from agent.extensions.service import ExtensionService
        from agent.voicemail.service import mailboxes_dir

        return ExtensionService(
            self.key, actor, self.registrar, mailboxes_dir(self.settings)
        )

    @property
    def accounts(self) -> AccountService:
        from agent.accounts.service import AccountService

        return AccountService(self.key)

    @property
    def registrar(self) -> Registrar:
        return Registrar(self.kamailio, self.settings.sip_state_db)

    @property
    def kamailio(self) -> KamailioRpc:
        return KamailioRpc(self.settings.kamailio_rpc_socket)

    def align_sip_realm(self) -> None:
        """Re-hash every extension if the SIP domain changed since last start."""
        from agent.sip.kamailio_config import sip_domain

        domain = sip_domain(self.settings)
        if system_settings.get(system_settings.SIP_REALM) != domain:
            count = self.extensions.rehash_all(domain)
            log.info("SIP domain is now %s: %d extensions re-hashed", domain, count)

    def close(self) -> None:
        self.db.close()
