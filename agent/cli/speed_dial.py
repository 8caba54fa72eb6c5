"""``edgepbx speed-dial``: company speed dials (agent/speed_dial)."""

from __future__ import annotations

import argparse
import json
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.sip.outside import SPEED_DIAL_PREFIX
from agent.speed_dial.service import SpeedDialService

EXIT_OK = 0


def _show(info, as_json: bool) -> None:
    if as_json:
        print(json.dumps(info.to_dict(), indent=2))
        return
    name = f" ({info.name})" if info.name else ""
    print(f"{info.dial} -> {info.number}{name}")


def speed_dial_set(app: Appliance, args: argparse.Namespace) -> int:
    saved = SpeedDialService(CONSOLE).save(
        args.code, number=args.number, name=args.name
    )
    _show(saved.info, args.json)
    return EXIT_OK


def speed_dial_list(app: Appliance, args: argparse.Namespace) -> int:
    entries = SpeedDialService(CONSOLE).list()
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2))
        return EXIT_OK
    if not entries:
        print("no speed dial")
    for entry in entries:
        _show(entry, False)
    return EXIT_OK


def speed_dial_remove(app: Appliance, args: argparse.Namespace) -> int:
    SpeedDialService(CONSOLE).remove(args.code)
    print(json.dumps({"removed": args.code}) if args.json else "speed dial removed")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    speed = sub.add_parser(
        "speed-dial", help=f"company speed dials (phones dial {SPEED_DIAL_PREFIX}CODE)"
    )
    speed_sub = speed.add_subparsers(dest="action", required=True, metavar="ACTION")

    command = partial(parsers.command, speed_sub)

    p = command("set", speed_dial_set, "create a speed dial or change its number")
    p.add_argument("code", help=f"1 to 3 digits, dialled after {SPEED_DIAL_PREFIX}")
    p.add_argument("number", help="an extension, service or outside number")
    p.add_argument("--name", help="what the number is, for the list (left out: kept)")
    command("list", speed_dial_list, "list speed dials")
    p = command("remove", speed_dial_remove, "remove a speed dial")
    p.add_argument("code")
