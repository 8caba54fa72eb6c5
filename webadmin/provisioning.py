"""``/prov/``: phone configuration files over HTTP and HTTPS.

The same virtual tree as the TFTP server (``agent.provisioning.tree``):
``/prov/y000000000000.cfg``, ``/prov/<mac>.cfg`` and so on, rendered from
the database on every request. The answer carries the vendor's content type
and an ETag (a digest of the content), so a phone that polls gets a 304 as
long as nothing changed. Every miss, whatever its cause, gets the same 404
with the same body, and is reported as a security event by the tree.

A phone's own file may need HTTP digest credentials
(``agent.provisioning.credentials``): without them the answer is a 401
challenge; wrong ones are a 401 as well and a security event, so the jail
bans an address that guesses.
"""

from __future__ import annotations

import secrets

import bottle

from agent.appliance import Appliance
from agent.db.models import Phone
from agent.devicekey import create_secret_file
from agent.provisioning import credentials
from agent.provisioning.tree import FileMissing, NameRefused, ProvisioningTree
from agent.security import events

PREFIX = "/prov/"
MISS_BODY = "no provisioning file here\n"
UNAUTHORIZED_BODY = "credentials needed\n"
NONCE_SECRET_BYTES = 32


def _nonce_mint(appliance: Appliance) -> credentials.NonceMint:
    """One secret for every web worker and both ports, made on first use."""
    path = appliance.settings.certs_dir / "provisioning-nonce.key"
    if not path.exists():
        create_secret_file(path, secrets.token_bytes(NONCE_SECRET_BYTES))
    return credentials.NonceMint(path.read_bytes())


def _unauthorized(mint: credentials.NonceMint, stale: bool) -> str:
    bottle.response.status = 401
    bottle.response.content_type = "text/plain; charset=utf-8"
    bottle.response.set_header(
        "WWW-Authenticate", credentials.challenge(mint, stale=stale)
    )
    return UNAUTHORIZED_BODY


def _miss() -> str:
    bottle.response.status = 404
    bottle.response.content_type = "text/plain; charset=utf-8"
    return MISS_BODY


def _etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 section 13.1.2: a list of tags, or "*"."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def install(app: bottle.Bottle, appliance: Appliance, via: str) -> None:
    tree = ProvisioningTree(appliance)
    mint = _nonce_mint(appliance)

    def authorize(row: Phone, mode: str) -> None:
        request = bottle.request
        credentials.check_request(
            row,
            mode,
            request.get_header("Authorization"),
            request.method,
            request.environ.get("RAW_URI") or request.fullpath,
            mint,
            appliance.key,
        )

    @app.route("/prov/", method=["GET", "HEAD"])
    @app.route("/prov/<name:path>", method=["GET", "HEAD"])
    def provisioning_file(name: str = "") -> str:
        request = bottle.request
        if not name:
            return _miss()
        try:
            file = tree.fetch(
                name,
                request.environ.get("REMOTE_ADDR", ""),
                request.get_header("User-Agent"),
                via,
                authorize,
            )
        except (FileMissing, NameRefused):
            return _miss()
        except credentials.DigestRefused as refused:
            if isinstance(refused, credentials.DigestFailed):
                events.report(
                    events.SecurityEvent(
                        events.PROVISIONING_AUTH_FAILED,
                        request.environ.get("REMOTE_ADDR", ""),
                        name,
                        via,
                    )
                )
            return _unauthorized(mint, refused.stale)

        if file.path is not None:  # firmware: sent from disk, ranges and all
            return bottle.static_file(
                file.path.name, root=str(file.path.parent), mimetype=file.content_type
            )

        response = bottle.response
        response.set_header("ETag", file.etag)
        # The file holds SIP passwords: no cache but the phone's may keep it.
        response.set_header("Cache-Control", "private, no-cache")
        if _etag_matches(request.get_header("If-None-Match", ""), file.etag):
            response.status = 304
            return ""
        response.content_type = file.content_type
        return file.content
