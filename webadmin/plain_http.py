"""The plain HTTP port: browsers go to HTTPS, ``/prov/`` stays for phones.

Phone provisioning (``webadmin.provisioning``) lives here because many desk
phones fetch their first configuration over plain HTTP before they could
check any certificate.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

import bottle

from agent.appliance import Appliance
from agent.settings import Settings
from webadmin import provisioning

# A Host header is only reused in the redirect if it is a plain name or
# address; anything else falls back to the address we listen on.
_HOSTNAME = re.compile(r"[A-Za-z0-9.-]{1,253}")


def _target_host(host_header: str, settings: Settings) -> str:
    host = host_header.strip()
    if host.startswith("["):  # [IPv6]:port
        host = host[1 : host.find("]")] if "]" in host else ""
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host if _HOSTNAME.fullmatch(host) else _fallback(settings)
    return f"[{address}]" if address.version == 6 else str(address)


def _fallback(settings: Settings) -> str:
    address = ipaddress.ip_address(settings.bind)
    return f"[{address}]" if address.version == 6 else str(address)


def create_app(settings: Settings | None = None) -> bottle.Bottle:
    appliance = Appliance.open(settings)
    settings = appliance.settings
    app = bottle.Bottle()
    provisioning.install(app, appliance, "http")

    @app.route("/", method="ANY")
    @app.route("/<path:path>", method="ANY")
    def to_https(path: str = "") -> None:
        request = bottle.request
        host = _target_host(request.get_header("Host", ""), settings)
        query = f"?{request.query_string}" if request.query_string else ""
        where = urllib.parse.quote(request.path)
        location = f"https://{host}:{settings.https_port}{where}{query}"
        # 308 keeps the method of a form posted to the wrong port.
        code = 301 if request.method in {"GET", "HEAD"} else 308
        bottle.redirect(location, code)

    return app
