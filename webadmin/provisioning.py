"""``/prov/``: phone configuration files over HTTP and HTTPS.

The same virtual tree as the TFTP server (``agent.provisioning.tree``):
``/prov/y000000000000.cfg``, ``/prov/<mac>.cfg`` and so on, rendered from
the database on every request. The answer carries the vendor's content type
and an ETag (a digest of the content), so a phone that polls gets a 304 as
long as nothing changed. Every miss, whatever its cause, gets the same 404
with the same body, and is reported as a security event by the tree.
"""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.provisioning.tree import FileMissing, NameRefused, ProvisioningTree

PREFIX = "/prov/"
MISS_BODY = "no provisioning file here\n"


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
            )
        except (FileMissing, NameRefused):
            return _miss()

        response = bottle.response
        response.set_header("ETag", file.etag)
        # The file holds SIP passwords: no cache but the phone's may keep it.
        response.set_header("Cache-Control", "private, no-cache")
        if _etag_matches(request.get_header("If-None-Match", ""), file.etag):
            response.status = 304
            return ""
        response.content_type = file.content_type
        return file.content
