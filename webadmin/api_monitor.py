"""``/api/v1/monitor``: the live monitor as a snapshot and as a stream.

The same service as the Monitor page and ``edgepbx monitor``
(agent.monitor.service); the stream is ``webadmin.monitor_stream``.
"""

from __future__ import annotations

from collections.abc import Iterator

import bottle

from agent.appliance import Appliance
from agent.monitor import service
from webadmin import access, monitor_stream
from webadmin.api import PREFIX, _json_response, api_route


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    @app.get(f"{PREFIX}/monitor")
    @api_route
    def get_monitor() -> str:
        state = service.snapshot(
            access.current().principal, appliance.settings, appliance.kamailio
        )
        return _json_response(state.to_dict())

    @app.get(f"{PREFIX}/monitor/stream")
    def get_monitor_stream() -> Iterator[bytes] | str:
        return monitor_stream.open_stream(appliance, api=True)
