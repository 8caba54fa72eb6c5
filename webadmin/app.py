"""The web admin over HTTPS: the admin pages and the REST API.

Server-rendered pages and the REST API on one bottle application, served on
the HTTPS port by ``webadmin.both_ports``. The gunicorn worker opens the
appliance (database and device key) once; every request then goes through
``access.authorize_request`` before its route.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import bottle

from agent.appliance import Appliance
from agent.devicekey import create_secret_file
from agent.security import events, listener
from agent.settings import Settings
from webadmin import (
    access,
    api,
    api_audio,
    api_events,
    api_feature_codes,
    api_features,
    api_mail,
    api_media,
    api_monitor,
    api_network,
    api_park,
    api_people,
    api_phone_firmware,
    api_phone_keys,
    api_phone_templates,
    api_phones,
    api_queues,
    api_recordings,
    api_reports,
    api_seen_phones,
    api_speed_dials,
    api_storage,
    api_system,
    api_troubleshoot,
    api_trunks,
    bodies,
    handshakes,
    pages,
    pages_call_rules,
    pages_contacts,
    pages_dashboard,
    pages_events,
    pages_feature_codes,
    pages_features,
    pages_media,
    pages_monitor,
    pages_network,
    pages_people,
    pages_phone_firmware,
    pages_phone_templates,
    pages_phones,
    pages_portal,
    pages_portal_calls,
    pages_portal_voicemail,
    pages_reports,
    pages_setup,
    pages_speed_dials,
    pages_storage,
    pages_system,
    pages_troubleshoot,
    pages_trunks,
    provisioning,
    security_api,
    security_pages,
)

STATIC_DIR = Path(__file__).with_name("static")
WEB_SECRET_BYTES = 32
# Static assets change only with the firmware; pages and API answers are
# personal and must never be kept by a browser or a proxy.
STATIC_MAX_AGE_S = 3600

SECURITY_HEADERS = {
    # Only our own scripts, styles and forms; no framing, no plugins.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _web_secret(settings: Settings) -> bytes:
    """The key behind the sign-in form's CSRF token; made on first start."""
    path = settings.web_secret
    if not path.exists():
        create_secret_file(path, secrets.token_bytes(WEB_SECRET_BYTES))
    return path.read_bytes()


def _add_security_headers() -> None:
    response = bottle.response
    for name, value in SECURITY_HEADERS.items():
        response.set_header(name, value)
    if bottle.request.path.startswith("/static/"):
        response.set_header("Cache-Control", f"private, max-age={STATIC_MAX_AGE_S}")
    else:
        response.set_header("Cache-Control", "no-store")


def create_app(settings: Settings | None = None) -> bottle.Bottle:
    """The HTTPS application alone, on an appliance of its own."""
    start_logging()
    appliance = Appliance.open(settings)
    report_security_events(appliance.settings)
    return admin_app(appliance)


def start_logging() -> None:
    """The application's log lines beside gunicorn's, once per process."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)-7s %(message)s",
        datefmt="%H:%M:%S",
    )


def report_security_events(settings: Settings) -> None:
    """Failed sign-ins and provisioning misses reach the agent's jail at once.

    Once per process: a second subscription would report every event twice.
    """
    events.subscribe(events.Forwarder(str(listener.socket_path(settings))))


def admin_app(appliance: Appliance) -> bottle.Bottle:
    """The admin pages, the user portal and the REST API."""
    secret = _web_secret(appliance.settings)
    handshakes.quieten(logging.getLogger("gunicorn.error"))
    app = bottle.Bottle()
    # Hooks run in the order added: a body too large is refused before
    # anything (the CSRF check of a form included) would read it.
    app.add_hook("before_request", bodies.refuse_oversized)
    app.add_hook("before_request", access.authorize_request)
    app.add_hook("after_request", _add_security_headers)

    @app.route("/static/<name:path>")
    def static(name: str) -> bottle.HTTPResponse:
        return bottle.static_file(name, root=str(STATIC_DIR))

    pages.install(app, appliance, secret)
    api.install(app, appliance)
    api_people.install(app, appliance)
    api_system.install(app, appliance)
    pages_system.install(app, appliance)
    pages_phone_templates.install(app, appliance)
    pages_phone_firmware.install(app, appliance)
    pages_phones.install(app, appliance)
    pages_people.install(app, appliance)
    pages_contacts.install(app, appliance)
    pages_portal.install(app, appliance)
    pages_portal_voicemail.install(app, appliance)
    pages_portal_calls.install(app, appliance)
    pages_setup.install(app, appliance)
    pages_dashboard.install(app, appliance)
    api_phones.install(app, appliance)
    api_seen_phones.install(app, appliance)
    api_phone_keys.install(app, appliance)
    api_phone_firmware.install(app, appliance)
    api_phone_templates.install(app, appliance)
    api_trunks.install(app, appliance)
    pages_trunks.install(app, appliance)
    pages_call_rules.install(app, appliance)
    provisioning.install(app, appliance, "https")
    security_api.install(app, appliance)
    security_pages.install(app, appliance)
    api_mail.install(app, appliance)
    api_network.install(app, appliance)
    pages_network.install(app, appliance)
    api_media.install(app, appliance)
    api_queues.install(app, appliance)
    api_park.install(app, appliance)
    api_audio.install(app, appliance)
    pages_media.install(app, appliance)
    api_features.install(app, appliance)
    pages_features.install_portal(app)
    api_speed_dials.install(app, appliance)
    api_storage.install(app, appliance)
    pages_storage.install(app, appliance)
    api_recordings.install(app, appliance)
    pages_speed_dials.install(app, appliance)
    api_feature_codes.install(app, appliance)
    pages_feature_codes.install(app, appliance)
    pages_monitor.install(app, appliance)
    api_monitor.install(app, appliance)
    pages_reports.install(app, appliance)
    api_reports.install(app, appliance)
    api_events.install(app, appliance)
    api_troubleshoot.install(app, appliance)
    pages_troubleshoot.install(app, appliance)
    pages_events.install(app, appliance)
    return app
