"""``edgepbx monitor``: the live monitor at the console (agent/monitor).

The same service as the Monitor page and ``/api/v1/monitor``. Without
``--watch`` it prints the PBX now; with it, each change as it comes (about
twice a second at most), until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import signal
import time
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.output import print_json
from agent.monitor import service
from agent.wording import counted

EXIT_OK = 0


def _clock(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _call_line(call: dict, at: float) -> str:
    start = call["answered_at"] or call["started_at"]
    via = f" via {call['trunk']}" if call["trunk"] else ""
    return (
        f"call {call['caller']} -> {call['callee']} ({call['direction']}{via}): "
        f"{call['state']} {_clock(at - start)}"
    )


def _lines(section: str, item: dict, at: float) -> str:
    if section == "extensions":
        dnd = ", do not disturb" if item["dnd"] else ""
        return f"extension {item['number']} ({item['name']}): {item['state']}{dnd}"
    if section == "trunks":
        return f"trunk {item['name']}: {item['state']}"
    if section == "calls":
        return _call_line(item, at)
    if section == "parked":
        by = f", parked by {item['parked_by']}" if item["parked_by"] else ""
        since = _clock(at - item["since"])
        return f"slot {item['slot']}: {item['caller']}{by}, {since}"
    members = counted(item["members"], "member")
    return f"room {item['number']} ({item['name']}): {members}"


def _print_state(state: dict) -> None:
    if state["sip_core_error"]:
        print(state["sip_core_error"])
    for section in service.SECTIONS:
        for item in state[section]:
            print(_lines(section, item, state["at"]))


def _print_change(change: dict) -> None:
    stamp = time.strftime("%H:%M:%S", time.localtime(change["at"]))
    if "sip_core_error" in change:
        print(f"{stamp} {change['sip_core_error'] or 'the SIP core answers again'}")
    for section in service.SECTIONS:
        part = change.get(section)
        if not part:
            continue
        for item in part["changed"]:
            print(f"{stamp} {_lines(section, item, change['at'])}")
        for key in part["removed"]:
            gone = {"calls": "call ended", "parked": f"slot {key} free"}.get(
                section, f"{section[:-1]} {key} gone"
            )
            print(f"{stamp} {gone}")


def monitor(app: Appliance, args: argparse.Namespace) -> int:
    if not args.watch:
        state = service.snapshot(CONSOLE, app.settings, app.kamailio).to_dict()
        print_json(state) if args.json else _print_state(state)
        return EXIT_OK
    # Ctrl-C and SIGTERM end the watch even when it was started with SIGINT
    # ignored (by a script in the background, say), where Python would not.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.default_int_handler)
    feed = service.MonitorFeed(app.settings, app.kamailio)
    try:
        for change in service.changes(lambda: CONSOLE, feed):
            if change.kind == "idle":
                continue
            if args.json:
                print(json.dumps({"event": change.kind, "data": change.data}))
            elif change.kind == "snapshot":
                _print_state(change.data)
            else:
                _print_change(change.data)
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    command = partial(parsers.command, subparsers)
    watch = command(
        "monitor",
        monitor,
        "extensions, trunks, calls in progress and conference rooms, now",
    )
    watch.add_argument(
        "--watch",
        action="store_true",
        help="then print each change until Ctrl-C (--json: one object a line)",
    )
