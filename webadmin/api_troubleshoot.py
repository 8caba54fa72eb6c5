"""REST routes for troubleshooting (agent/troubleshoot): packet capture,
the SIP dialogs of a capture, ping, traceroute and the logs."""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.troubleshoot import capture, logs, reach
from agent.troubleshoot.capture import CaptureService
from webadmin import access
from webadmin.api import PREFIX, _json_response, _query_int, api_route, json_object

TROUBLE = f"{PREFIX}/troubleshoot"
CAPTURE_FIELDS = {"ports": str, "seconds": int, "megabytes": int, "interface": str}
HOST_FIELDS = {"host": str}
PCAP = "application/vnd.tcpdump.pcap"


def _query(name: str) -> str | None:
    return bottle.request.query.getunicode(name, default="") or None


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def captures() -> CaptureService:
        return CaptureService(appliance.settings, access.current().principal)

    @app.get(f"{TROUBLE}/capture")
    @api_route
    def capture_status() -> str:
        return _json_response(captures().status().to_dict())

    @app.post(f"{TROUBLE}/capture")
    @api_route
    def capture_start() -> str:
        body = json_object(CAPTURE_FIELDS)

        # A field left out (or null) takes its default; 0 is refused.
        def given(name: str, default: object) -> object:
            value = body.get(name)
            return default if value is None else value

        started = captures().start(
            given("ports", "sip"),
            given("seconds", capture.SECONDS_DEFAULT),
            given("megabytes", capture.MEGABYTES_DEFAULT),
            given("interface", "any"),
        )
        return _json_response(started.to_dict(), 201)

    @app.delete(f"{TROUBLE}/capture")
    @api_route
    def capture_stop() -> str:
        return _json_response(captures().stop().to_dict())

    @app.get(f"{TROUBLE}/captures")
    @api_route
    def capture_files() -> str:
        return _json_response([f.to_dict() for f in captures().files()])

    @app.get(f"{TROUBLE}/captures/<name>")
    @api_route
    def capture_download(name: str):
        path = captures().path(name)
        return bottle.static_file(
            path.name, root=str(path.parent), mimetype=PCAP, download=path.name
        )

    @app.get(f"{TROUBLE}/captures/<name>/dialogs")
    @api_route
    def capture_dialogs(name: str) -> str:
        call_id = _query("call_id")
        if call_id:
            return _json_response(captures().dialog(name, call_id).to_dict())
        return _json_response([d.summary() for d in captures().dialogs(name)])

    @app.post(f"{TROUBLE}/ping")
    @api_route
    def ping() -> str:
        body = json_object(HOST_FIELDS)
        run = reach.ping(access.current().principal, body.get("host") or "")
        return _json_response(run.to_dict())

    @app.post(f"{TROUBLE}/traceroute")
    @api_route
    def traceroute() -> str:
        body = json_object(HOST_FIELDS)
        run = reach.traceroute(access.current().principal, body.get("host") or "")
        return _json_response(run.to_dict())

    @app.get(f"{PREFIX}/logs")
    @api_route
    def log_lines() -> str:
        page = logs.read(
            access.current().principal,
            appliance.settings,
            daemon=_query("daemon"),
            level=_query("level"),
            text=_query("text"),
            since=_query("since"),
            until=_query("until"),
            page=_query_int("page", 1),
            page_size=_query_int("page_size", logs.PAGE_SIZE_DEFAULT),
        )
        return _json_response(page.to_dict())
