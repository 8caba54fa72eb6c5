"""The plain HTTP port: browsers go to HTTPS, ``/prov/`` stays for phones.

Phone provisioning (``webadmin.provisioning``) lives here because many desk
phones fetch their first configuration over plain HTTP before they could
check any certificate.
"""

from __future__ import annotations

import ipaddress
import urllib.parse

import bottle

from agent.appliance import Appliance
from agent.security import events, listener
from agent.settings import Settings
from webadmin import provisioning


def https_host(settings: Settings, environ: dict) -> str:
    """The appliance's own address, as the host of its HTTPS address.

    Never the Host header: anyone can send one, and a redirect built from
    it would send a person's browser, and the form it was posting, to the
    sender's site. The configured address is the appliance's; when it
    listens on every address, the one this connection arrived at is, which
    the operating system and not the client reports.
    """
    address = ipaddress.ip_address(settings.bind)
    if address.is_unspecified:
        connection = environ.get("gunicorn.socket")
        if connection is not None:
            address = ipaddress.ip_address(connection.getsockname()[0])
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
    return f"[{address}]" if address.version == 6 else str(address)


def create_app(settings: Settings | None = None) -> bottle.Bottle:
    """The plain HTTP application alone, on an appliance of its own."""
    appliance = Appliance.open(settings)
    # Provisioning misses (MAC walking) and failed credentials reach the agent's jail.
    events.subscribe(events.Forwarder(str(listener.socket_path(appliance.settings))))
    return redirecting_app(appliance)


def redirecting_app(appliance: Appliance) -> bottle.Bottle:
    """Browsers to HTTPS, ``/prov/`` for phones."""
    settings = appliance.settings
    app = bottle.Bottle()
    provisioning.install(app, appliance, "http")

    @app.route("/", method="ANY")
    @app.route("/<path:path>", method="ANY")
    def to_https(path: str = "") -> None:
        request = bottle.request
        host = https_host(settings, request.environ)
        query = f"?{request.query_string}" if request.query_string else ""
        where = urllib.parse.quote(request.path)
        location = f"https://{host}:{settings.https_port}{where}{query}"
        # 308 keeps the method of a form posted to the wrong port.
        code = 301 if request.method in {"GET", "HEAD"} else 308
        # Not bottle.redirect: it would resolve the target against the URL
        # the request claims (its Host header) if it were relative.
        raise bottle.HTTPResponse("", code, {"Location": location})

    return app
