"""The Troubleshooting and Logs pages (agent/troubleshoot).

Packet capture with its files and the SIP call flows in each, ping and
traceroute from the appliance, and the logs with their filters: the same
services as ``edgepbx troubleshoot``, ``edgepbx logs`` and the API. The
ladder is drawn here, on the server, as SVG; each arrow leads to the full
text of its message further down the page.
"""

from __future__ import annotations

import logging

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden, InvalidInput, PbxError
from agent.troubleshoot import capture, logs, reach, sipflow
from agent.troubleshoot.capture import CaptureService
from webadmin import access
from webadmin.pages import _field_errors, _form, render

log = logging.getLogger("edgepbx.web")

CAPTURE_FIELDS = ("ports", "seconds", "megabytes", "interface")
LOG_FILTERS = ("daemon", "level", "text", "since", "until")


def _whole(field: str, text: str, default: int) -> int:
    if not text:
        return default
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(field, text, "a whole number")
    return int(text)


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def actor():
        return access.current().principal

    def captures() -> CaptureService:
        return CaptureService(appliance.settings, actor())

    def forbidden(exc: Forbidden) -> str:
        return render("error", 403, title="Forbidden", message=str(exc))

    def page(
        values: dict | None = None,
        errors: dict | None = None,
        status: int = 200,
        run: reach.ToolRun | None = None,
    ) -> str:
        try:
            service = captures()
            current, files = service.status(), service.files()
        except Forbidden as exc:
            return forbidden(exc)
        return render(
            "troubleshoot",
            status,
            title="Troubleshooting",
            current=current,
            files=files,
            port_choices=capture.PORT_CHOICES,
            limits=capture,
            values=values or {},
            errors=errors or {},
            run=run,
        )

    @app.get("/troubleshoot")
    def troubleshoot() -> str:
        return page()

    @app.post("/troubleshoot/capture")
    def capture_start() -> str:
        values = {n: _form(n) for n in CAPTURE_FIELDS}
        try:
            captures().start(
                values["ports"] or "sip",
                _whole("seconds", values["seconds"], capture.SECONDS_DEFAULT),
                _whole("megabytes", values["megabytes"], capture.MEGABYTES_DEFAULT),
                values["interface"] or "any",
            )
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            return page(values, _field_errors(exc), 422)
        access.redirect("/troubleshoot", 303)

    @app.post("/troubleshoot/capture/stop")
    def capture_stop() -> str:
        try:
            captures().stop()
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            return page({}, {"form": str(exc)}, 404)
        access.redirect("/troubleshoot", 303)

    @app.post("/troubleshoot/<tool:re:ping|traceroute>")
    def probe(tool: str) -> str:
        host = _form("host")
        try:
            run = (reach.ping if tool == "ping" else reach.traceroute)(actor(), host)
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            return page({"host": host}, _field_errors(exc), 422)
        log.info(
            "%s %s: run by %s, exit %d", tool, run.host, actor().name, run.exit_status
        )
        return page({"host": host}, run=run)

    @app.get("/troubleshoot/captures/<name>/download")
    def capture_download(name: str):
        try:
            path = captures().path(name)
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            return render("error", 404, title="Not found", message=str(exc))
        return bottle.static_file(
            path.name,
            root=str(path.parent),
            mimetype="application/vnd.tcpdump.pcap",
            download=path.name,
        )

    @app.get("/troubleshoot/captures/<name>")
    def capture_dialogs(name: str) -> str:
        call_id = bottle.request.query.getunicode("call_id", default="") or ""
        try:
            if call_id:
                flow = captures().dialog(name, call_id)
                return render(
                    "capture_flow",
                    title=f"SIP flow {call_id}",
                    name=name,
                    flow=flow,
                    summary=flow.summary(),
                    ladder=sipflow.ladder_svg(flow),
                )
            found = [d.summary() for d in captures().dialogs(name)]
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            return render("error", 404, title="Not found", message=str(exc))
        return render(
            "capture_dialogs", title=f"SIP in {name}", name=name, dialogs=found
        )

    @app.get("/logs")
    def log_viewer() -> str:
        query = bottle.request.query
        values = {n: query.getunicode(n, default="") or "" for n in LOG_FILTERS}
        errors: dict = {}
        result = None
        try:
            number = _whole("page", query.getunicode("page", default="") or "", 1)
            result = logs.read(
                actor(),
                appliance.settings,
                page=number,
                **{k: v or None for k, v in values.items()},
            )
        except Forbidden as exc:
            return forbidden(exc)
        except PbxError as exc:
            errors = _field_errors(exc)
        return render(
            "logs",
            422 if errors else 200,
            title="Logs",
            result=result,
            values=values,
            errors=errors,
            daemons=logs.DAEMONS,
            levels=logs.LEVELS,
        )
