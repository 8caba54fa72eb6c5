"""``edgepbx phone seen`` and ``edgepbx phone assign``: phones that asked for
their files but are not in the inventory, and adding one in one step."""

from __future__ import annotations

import argparse

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli.output import print_json
from agent.provisioning.seen import SeenPhoneService, model_replaced_note
from agent.provisioning.vendors import VENDORS

EXIT_OK = 0


def _seen(app: Appliance) -> SeenPhoneService:
    return SeenPhoneService(app.key, CONSOLE)


def phone_seen(app: Appliance, args: argparse.Namespace) -> int:
    service = _seen(app)
    if args.forget:
        service.forget(args.forget)
        if args.json:
            print_json({"forgotten": args.forget})
        else:
            print(f"phone {args.forget} forgotten")
        return EXIT_OK
    if args.clear:
        count = service.clear()
        if args.json:
            print_json({"forgotten": count})
        else:
            print(f"{count} seen phones forgotten")
        return EXIT_OK
    rows = service.list()
    if args.json:
        print_json([row.to_dict() for row in rows])
        return EXIT_OK
    if not rows:
        print("no unassigned phones have asked for their files")
    for row in rows:
        phone = f"{row.vendor or '?'} {row.model or '?'}"
        print(
            f"{row.mac}  {phone:<20} {row.source_ip:<15} {row.via:<5} "
            f"{row.last_seen}  x{row.times_seen}"
        )
    return EXIT_OK


def phone_assign(app: Appliance, args: argparse.Namespace) -> int:
    service = _seen(app)
    info = service.assign(args.mac, args.extension, args.model, args.vendor)
    reported = service.reported_model
    if args.json:
        print_json(info.to_dict() | {"reported_model": reported})
    else:
        lines = ", ".join(info.extensions)
        print(f"phone {info.mac} ({info.vendor} {info.model}) added, lines: {lines}")
        if reported:
            print(f"note: {model_replaced_note(reported, info.model)}")
    return EXIT_OK


def register(phone_sub: argparse._SubParsersAction, command) -> None:
    seen = command(
        phone_sub,
        "seen",
        phone_seen,
        "phones that asked for their files but are not assigned, newest first",
    )
    seen.add_argument("--forget", metavar="MAC", help="take one phone off the list")
    seen.add_argument("--clear", action="store_true", help="empty the list")
    assign = command(
        phone_sub,
        "assign",
        phone_assign,
        "add a seen phone to the inventory with the vendor and model it said",
    )
    assign.add_argument("mac")
    assign.add_argument(
        "--extension",
        required=True,
        action="append",
        help="extension on the next line (repeat for more lines)",
    )
    assign.add_argument("--model", help="the model, when the phone did not say it")
    assign.add_argument(
        "--vendor", help="when the phone did not say it: " + ", ".join(sorted(VENDORS))
    )
