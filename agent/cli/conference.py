"""``edgepbx conference``: conference rooms (agent/conference)."""

from __future__ import annotations

import argparse
import json
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.parsers import whole_number
from agent.conference.service import ConferenceService
from agent.media.pool import CALLS_PER_WORKER

EXIT_OK = 0


def _show(info, as_json: bool) -> None:
    if as_json:
        print(json.dumps(info.to_dict(), indent=2))
        return
    pin = "with a PIN" if info.has_pin else "no PIN"
    line = f"room {info.number} ({info.name}): {pin}, up to {info.max_members}"
    if info.has_moderator_pin:
        line += ", moderator PIN"
    if info.wait_for_moderator:
        line += ", members wait for the moderator"
    if info.end_with_moderator:
        line += ", ends when the last moderator leaves"
    print(line)


def conference_set(app: Appliance, args: argparse.Namespace) -> int:
    pin = input().strip() if args.pin_stdin else args.pin
    saved = ConferenceService(CONSOLE).save(
        args.number,
        name=args.name,
        pin=pin,
        clear_pin=args.no_pin,
        max_members=args.max_members,
        moderator_pin=args.moderator_pin,
        clear_moderator_pin=args.no_moderator_pin,
        wait_for_moderator=args.wait_for_moderator,
        end_with_moderator=args.end_with_moderator,
    )
    _show(saved.info, args.json)
    return EXIT_OK


def conference_list(app: Appliance, args: argparse.Namespace) -> int:
    rooms = ConferenceService(CONSOLE).list()
    if args.json:
        print(json.dumps([r.to_dict() for r in rooms], indent=2))
        return EXIT_OK
    if not rooms:
        print("no conference room")
    for room in rooms:
        _show(room, False)
    return EXIT_OK


def conference_show(app: Appliance, args: argparse.Namespace) -> int:
    _show(ConferenceService(CONSOLE).show(args.number), args.json)
    return EXIT_OK


def conference_remove(app: Appliance, args: argparse.Namespace) -> int:
    ConferenceService(CONSOLE).remove(args.number)
    print(json.dumps({"removed": args.number}) if args.json else "room removed")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    conf = sub.add_parser("conference", help="conference rooms")
    conf_sub = conf.add_subparsers(dest="action", required=True, metavar="ACTION")

    command = partial(parsers.command, conf_sub)

    p = command("set", conference_set, "create or change a room")
    p.add_argument("number")
    p.add_argument("--name", required=True)
    pin = p.add_mutually_exclusive_group()
    pin.add_argument("--pin", help="digits callers must enter")
    pin.add_argument("--pin-stdin", action="store_true")
    pin.add_argument("--no-pin", action="store_true", help="remove the PIN")
    moderator = p.add_mutually_exclusive_group()
    moderator.add_argument(
        "--moderator-pin", help="digits that make the caller the moderator"
    )
    moderator.add_argument(
        "--no-moderator-pin", action="store_true", help="remove the moderator PIN"
    )
    p.add_argument(
        "--wait-for-moderator",
        action=argparse.BooleanOptionalAction,
        help="members hear music, not each other, until a moderator joins",
    )
    p.add_argument(
        "--end-with-moderator",
        action=argparse.BooleanOptionalAction,
        help="hang everyone up when the last moderator leaves",
    )
    p.add_argument(
        "--max-members",
        type=whole_number,
        default=CALLS_PER_WORKER,
        help=f"at most {CALLS_PER_WORKER} (the calls of one media worker)",
    )
    command("list", conference_list, "list rooms")
    p = command("show", conference_show, "show one room")
    p.add_argument("number")
    p = command("remove", conference_remove, "remove a room")
    p.add_argument("number")
