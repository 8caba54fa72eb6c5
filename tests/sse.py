"""A reader of the live monitor's server-sent events, and its model.

``MonitorStream`` opens ``/monitor/stream`` or ``/api/v1/monitor/stream`` of
a running appliance (session cookie or bearer token), parses the event
stream (HTML Living Standard, section 9.2.6) and keeps the monitor as the
events describe it, the way the page's script does.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path

KEYS = {"extensions": "number", "trunks": "name", "calls": "id", "rooms": "number"}


@dataclass
class Event:
    kind: str
    data: dict
    arrived: float


@dataclass
class MonitorStream:
    port: int
    certificate: Path
    path: str = "/api/v1/monitor/stream"
    headers: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    timeout_s: float = 20.0
    events: list[Event] = field(default_factory=list)
    state: dict = field(default_factory=dict)
    status: int = 0

    def __post_init__(self) -> None:
        context = ssl.create_default_context(cafile=str(self.certificate))
        self.connection = http.client.HTTPSConnection(
            self.host, self.port, timeout=self.timeout_s, context=context
        )
        self.connection.request("GET", self.path, headers=self.headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.content_type = self.response.getheader("Content-Type", "")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> MonitorStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def next_event(self) -> Event | None:
        """The next event (comments skipped); None when the stream ended."""
        kind, data = "message", []
        while True:
            line = self.response.readline()
            if not line:
                return None
            text = line.decode().rstrip("\r\n")
            if not text:
                if data:
                    event = Event(kind, json.loads("\n".join(data)), time.monotonic())
                    self._apply(event)
                    self.events.append(event)
                    return event
                kind = "message"
                continue
            if text.startswith(":"):
                continue
            name, _, value = text.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                kind = value
            elif name == "data":
                data.append(value)

    def _apply(self, event: Event) -> None:
        if event.kind == "snapshot":
            self.state = {
                section: {item[key]: item for item in event.data[section]}
                for section, key in KEYS.items()
            }
        elif event.kind == "change":
            for section, key in KEYS.items():
                part = event.data.get(section)
                if part:
                    for gone in part["removed"]:
                        self.state[section].pop(gone, None)
                    for item in part["changed"]:
                        self.state[section][item[key]] = item

    def extension_state(self, number: str) -> str | None:
        item = self.state.get("extensions", {}).get(number)
        return item["state"] if item else None

    def calls(self) -> list[dict]:
        return list(self.state.get("calls", {}).values())

    def wait_until(self, condition, timeout_s: float = 10.0, what: str = "") -> float:
        """Read events until condition(self) holds; the monotonic time it did."""
        deadline = time.monotonic() + timeout_s
        if self.state and condition(self):
            return time.monotonic()
        while time.monotonic() < deadline:
            try:
                event = self.next_event()
            except TimeoutError:
                break
            if event is None:
                break
            if condition(self):
                return event.arrived
        raise TimeoutError(f"monitor stream: not seen in {timeout_s} s: {what}")
