"""Both web ports in one process: ``gunicorn 'webadmin.both_ports:create_app()'``.

The agent runs one gunicorn worker (``webadmin.listeners.TwoPortWorker``)
bound to the HTTPS port and the plain HTTP port. Each request goes to the
application of the port it arrived on:

- over TLS (the HTTPS port), the admin pages, the user portal and the REST
  API (``webadmin.app``);
- in plain text (the HTTP port), the redirect to HTTPS and ``/prov/`` for
  phones (``webadmin.plain_http``).

The choice is made on the connection itself, never on anything the client
sends (a Host or X-Forwarded-Proto header): the admin pages are never
served over plain HTTP. One appliance (database, device key) serves both.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable

from agent.appliance import Appliance
from webadmin import plain_http
from webadmin.app import admin_app, report_security_events, start_logging

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def arrived_over_tls(environ: dict) -> bool:
    """Did this request come on a connection the worker wrapped in TLS?"""
    return isinstance(environ.get("gunicorn.socket"), ssl.SSLSocket)


def create_app() -> WsgiApp:
    """The WSGI application the web daemon's worker serves on both ports."""
    start_logging()
    appliance = Appliance.open()
    report_security_events(appliance.settings)
    over_tls = admin_app(appliance)
    in_plain_text = plain_http.redirecting_app(appliance)

    def by_port(environ: dict, start_response: Callable) -> Iterable[bytes]:
        app = over_tls if arrived_over_tls(environ) else in_plain_text
        return app(environ, start_response)

    return by_port
