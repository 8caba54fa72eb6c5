"""One-shot messages that outlive a redirect: the SIP password just made.

Adding an extension through its form answers with a redirect (Post/
Redirect/Get), so reloading the page that follows does not post the form
again. The generated SIP password has to reach that page once: it waits
in a file under the run directory, sealed with the device key, named by a
digest of the session's token and the extension number, so only the
session that added the extension can take it. Taking it deletes it; one
not taken within FLASH_MAX_AGE_S is deleted unread.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path

from agent.accounts.sessions import Session
from agent.devicekey import DeviceKey, DeviceKeyError

# The redirect is followed at once; a minute leaves room for a slow phone
# or a person on a bad connection, and no more for anyone else.
FLASH_MAX_AGE_S = 60
FLASH_DIR_NAME = "web-flash"


class FlashBox:
    """The flash messages of the web admin, kept in one directory."""

    def __init__(self, run_dir: Path, key: DeviceKey) -> None:
        self.directory = run_dir / FLASH_DIR_NAME
        self.key = key

    def _name(self, session: Session, number: str) -> str:
        material = f"{session.token}\0{number}".encode()
        return hashlib.sha256(material).hexdigest()

    def put_password(self, session: Session, number: str, password: str) -> None:
        """Keep password for the next page of this session about number."""
        self.directory.mkdir(mode=0o700, exist_ok=True)
        self._forget_stale()
        name = self._name(session, number)
        sealed = self.key.seal(password, f"web-flash/{name}")
        staging = self.directory / f".{name}.{secrets.token_hex(4)}"
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(sealed)
        staging.replace(self.directory / name)

    def take_password(self, session: Session, number: str) -> str | None:
        """The password kept for this session and number, once; else None."""
        name = self._name(session, number)
        claimed = self.directory / f".{name}.taken.{secrets.token_hex(4)}"
        try:
            # Renaming is atomic: of two requests racing, one gets it.
            (self.directory / name).rename(claimed)
        except FileNotFoundError:
            return None
        try:
            if time.time() - claimed.stat().st_mtime > FLASH_MAX_AGE_S:
                return None
            return self.key.open(claimed.read_text(), f"web-flash/{name}")
        except (OSError, DeviceKeyError):
            return None
        finally:
            claimed.unlink(missing_ok=True)

    def _forget_stale(self) -> None:
        cutoff = time.time() - FLASH_MAX_AGE_S
        for path in self.directory.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except OSError:
                continue
