"""``edgepbx park``: parked calls and the park slots (agent/park)."""

from __future__ import annotations

import argparse
import json
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.parsers import whole_number
from agent.park.service import ParkService

EXIT_OK = 0


def _service(app: Appliance) -> ParkService:
    return ParkService(CONSOLE, app.settings)


def park_list(app: Appliance, args: argparse.Namespace) -> int:
    parked = _service(app).list()
    if args.json:
        print(json.dumps([p.to_dict() for p in parked], indent=2))
        return EXIT_OK
    if not parked:
        print("no call parked")
    for call in parked:
        print(
            f"slot {call.slot}: {call.caller}, parked by {call.parked_by or '?'}, "
            f"{call.parked_s} s ago"
        )
    return EXIT_OK


def park_settings(app: Appliance, args: argparse.Namespace) -> int:
    service = _service(app)
    if args.first is None and args.count is None and args.timeout is None:
        shown = service.show_settings()
    else:
        shown = service.change_settings(
            first=args.first, count=args.count, timeout_s=args.timeout
        )
    if args.json:
        print(json.dumps(shown.to_dict(), indent=2))
        return EXIT_OK
    print(
        f"park slots {shown.slots[0]} to {shown.slots[-1]} ({shown.count}), "
        f"back to the parker after {shown.timeout_s} s"
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    park = sub.add_parser("park", help="call park: parked calls and slots")
    park_sub = park.add_subparsers(dest="action", required=True, metavar="ACTION")
    command = partial(parsers.command, park_sub)

    command("list", park_list, "the calls parked now")
    p = command("settings", park_settings, "show or change the slots and timeout")
    p.add_argument("--first", help="the first slot's number (not starting with 0)")
    p.add_argument("--count", type=whole_number, help="how many slots")
    p.add_argument(
        "--timeout",
        type=whole_number,
        help="seconds before a parked call rings the parker again",
    )
    parsers.fields_named(p, {"timeout_s": "timeout"})
