"""Per-device HTTP digest credentials for ``/prov/`` (RFC 7616).

Each phone may be told to fetch its own file with a user name (its MAC
address, twelve lower-case hex digits) and a password that is random per
phone and sealed under the device key. Whether it must is a mode:

- ``off``: the file is served without credentials;
- ``optional``: served without credentials, but credentials that are sent
  must be right (a phone being moved to credentials keeps working);
- ``required``: served only with the right credentials, and never over
  TFTP, which has no way to send them;
- ``site``: the phone follows the appliance-wide mode (``off`` unless set).

Common files hold no secret and are served to anyone. The digest uses MD5,
the one algorithm every desk phone vendor implements, with ``qop=auth``;
nonces are stateless (a time and its HMAC), so every web worker checks the
others' nonces, and a nonce older than ``NONCE_LIFETIME_S`` is answered
``stale=true`` so the phone retries without counting as a failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import string
import time
from dataclasses import dataclass

from agent import audit, system_settings
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import Phone
from agent.devicekey import DeviceKey
from agent.errors import InvalidInput
from agent.provisioning.keys import find_phone

MODES = ("off", "optional", "required")
PHONE_MODES = ("site", *MODES)
SITE_MODE = "provisioning.http_auth"
DEFAULT_SITE_MODE = "off"
REALM = "edgepbx provisioning"
ALGORITHM = "MD5"
# RFC 7616 section 3.3: the server picks how long a nonce stays good. A
# phone fetches two or three files within seconds of one challenge.
NONCE_LIFETIME_S = 300
# 20 of 62 symbols is about 119 bits; typed once into a phone or a DHCP
# option, when it is typed at all.
PASSWORD_LENGTH = 20
_ALPHABET = string.ascii_letters + string.digits
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def _purpose(mac: str) -> str:
    return f"phone/{mac}/http_password"


@dataclass(frozen=True)
class Credentials:
    mode: str
    effective_mode: str
    username: str
    password: str | None

    def to_dict(self) -> dict:
        return self.__dict__.copy()


class CredentialService:
    def __init__(self, key: DeviceKey, actor: Principal) -> None:
        self.key = key
        self.actor = actor

    def site_mode(self) -> str:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        return system_settings.get(SITE_MODE, DEFAULT_SITE_MODE)

    def set_site_mode(self, mode: str) -> str:
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        if mode not in MODES:
            raise InvalidInput("mode", mode, "one of " + ", ".join(MODES))
        with database.atomic():
            before = system_settings.get(SITE_MODE, DEFAULT_SITE_MODE)
            system_settings.put(SITE_MODE, mode)
            audit.record(
                self.actor,
                "update",
                "setting",
                SITE_MODE,
                {"mode": before},
                {"mode": mode},
            )
        return mode

    def set_mode(self, mac: str, mode: str) -> Credentials:
        """Set one phone's mode; its password is made the first time."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        if mode not in PHONE_MODES:
            raise InvalidInput("mode", mode, "one of " + ", ".join(PHONE_MODES))
        row = find_phone(mac, self.actor)
        with database.atomic():
            before = row.http_auth
            changes: dict = {"http_auth": mode}
            if row.http_password is None:
                changes["http_password"] = self.key.seal(
                    generate_password(), _purpose(row.mac)
                )
            Phone.update(**changes).where(Phone.id == row.id).execute()
            audit.record(
                self.actor,
                "update",
                "phone-http-auth",
                row.mac,
                {"mode": before},
                {"mode": mode},
            )
        return self.credentials(row.mac)

    def renew_password(self, mac: str) -> Credentials:
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        row = find_phone(mac, self.actor)
        with database.atomic():
            sealed = self.key.seal(generate_password(), _purpose(row.mac))
            Phone.update(http_password=sealed).where(Phone.id == row.id).execute()
            audit.record(self.actor, "renew", "phone-http-password", row.mac)
        return self.credentials(row.mac)

    def credentials(self, mac: str) -> Credentials:
        """The phone's user name and password, for the installer."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        row = find_phone(mac, self.actor)
        password = (
            self.key.open(row.http_password, _purpose(row.mac))
            if row.http_password
            else None
        )
        return Credentials(row.http_auth, effective_mode(row), row.mac, password)


def generate_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(PASSWORD_LENGTH))


def effective_mode(row: Phone) -> str:
    if row.http_auth in MODES:
        return row.http_auth
    mode = system_settings.get(SITE_MODE, DEFAULT_SITE_MODE)
    return mode if mode in MODES else DEFAULT_SITE_MODE


# -- the digest exchange -------------------------------------------------------


class NonceMint:
    """Makes and checks stateless nonces: a time and its HMAC."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def make(self, now: float | None = None) -> str:
        stamp = str(int(now if now is not None else time.time()))
        mac = hmac.new(self.secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]
        return base64.urlsafe_b64encode(f"{stamp}:{mac}".encode()).decode()

    def check(self, nonce: str, now: float | None = None) -> str:
        """ "fresh", "stale" (ours but old) or "forged"."""
        try:
            stamp, _, mac = (
                base64.urlsafe_b64decode(nonce.encode()).decode().partition(":")
            )
            issued = int(stamp)
        except (ValueError, UnicodeDecodeError):
            return "forged"
        expected = hmac.new(self.secret, stamp.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, expected[:32]):
            return "forged"
        age = (now if now is not None else time.time()) - issued
        return "fresh" if 0 <= age <= NONCE_LIFETIME_S else "stale"


class DigestRefused(Exception):
    """The phone must (again) answer a digest challenge."""

    def __init__(self, stale: bool = False) -> None:
        super().__init__("digest credentials needed")
        self.stale = stale


class DigestFailed(DigestRefused):
    """Credentials were sent and are wrong: a security event."""


def check_request(
    row: Phone,
    mode: str,
    header: str | None,
    method: str,
    uri: str,
    mint: NonceMint,
    key: DeviceKey,
) -> None:
    """Let the request through, or raise DigestRefused or DigestFailed.

    Step 1: with mode off, nothing is checked. Step 2: no credentials are
    fine unless the mode is required. Step 3: sent credentials must name
    this phone, this URI and one of our nonces, and prove the password.
    """
    if mode == "off":
        return

    params = parse_authorization(header)
    if params is None:
        if mode == "required":
            raise DigestRefused()
        return

    if params.get("username") != row.mac or params.get("uri") != uri:
        raise DigestFailed()
    verdict = mint.check(params.get("nonce", ""))
    if verdict == "forged":
        raise DigestFailed()
    if row.http_password is None:
        raise DigestFailed()
    password = key.open(row.http_password, _purpose(row.mac))
    expected = expected_response(params, password, method)
    if not hmac.compare_digest(expected, params.get("response", "")):
        raise DigestFailed()
    if verdict == "stale":
        raise DigestRefused(stale=True)


def challenge(mint: NonceMint, stale: bool = False) -> str:
    header = (
        f'Digest realm="{REALM}", qop="auth", algorithm={ALGORITHM}, '
        f'nonce="{mint.make()}"'
    )
    return header + (", stale=true" if stale else "")


def parse_authorization(header: str | None) -> dict[str, str] | None:
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    return {
        name.lower(): quoted if quoted is not None and quoted != "" else bare or ""
        for name, quoted, bare in _PARAM.findall(rest)
    }


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def expected_response(params: dict[str, str], password: str, method: str) -> str:
    ha1 = _md5(f"{params.get('username', '')}:{REALM}:{password}")
    ha2 = _md5(f"{method}:{params.get('uri', '')}")
    if params.get("qop"):
        return _md5(
            f"{ha1}:{params.get('nonce', '')}:{params.get('nc', '')}:"
            f"{params.get('cnonce', '')}:{params['qop']}:{ha2}"
        )
    return _md5(f"{ha1}:{params.get('nonce', '')}:{ha2}")


def digest_response(
    username: str, password: str, method: str, uri: str, nonce: str, cnonce: str
) -> str:
    """An Authorization header as a phone sends it (for tests and tools)."""
    params = {
        "username": username,
        "uri": uri,
        "nonce": nonce,
        "nc": "00000001",
        "cnonce": cnonce,
        "qop": "auth",
    }
    response = expected_response(params, password, method)
    return (
        f'Digest username="{username}", realm="{REALM}", nonce="{nonce}", '
        f'uri="{uri}", algorithm={ALGORITHM}, response="{response}", '
        f'qop=auth, nc=00000001, cnonce="{cnonce}"'
    )
