"""The Monitor page (``/monitor``) and its event stream (``/monitor/stream``).

The page is rendered whole from one snapshot (agent.monitor.service), so it
works without JavaScript; ``static/monitor.js`` then opens the stream and
keeps the tables and the call durations current.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import bottle

from agent.appliance import Appliance
from agent.errors import Forbidden
from agent.monitor import service
from webadmin import access, monitor_stream
from webadmin.pages import render
from webadmin.pages_people import refused


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    @app.get("/monitor")
    def monitor_page() -> str:
        try:
            state = service.snapshot(
                access.current().principal, appliance.settings, appliance.kamailio
            )
        except Forbidden as exc:
            return refused(exc)
        return render("monitor", title="Monitor", state=state, time=time)

    @app.get("/monitor/stream")
    def monitor_page_stream() -> Iterator[bytes] | str:
        return monitor_stream.open_stream(appliance, api=False)
