"""``edgepbx ivr``: auto-attendant menus (agent/ivr)."""

from __future__ import annotations

import argparse
import json
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.parsers import whole_number
from agent.errors import InvalidInput
from agent.ivr.service import IvrService, choices_of

EXIT_OK = 0


def _service(app: Appliance) -> IvrService:
    return IvrService(app.settings, CONSOLE)


def _choices(items: list[str]) -> dict[str, str]:
    pairs = []
    for item in items or []:
        key, sep, destination = item.partition("=")
        if not sep:
            raise InvalidInput("choice", item, "KEY=DESTINATION, like 1=extension:101")
        pairs.append((key, destination))
    return choices_of(pairs)


def _show(info, as_json: bool) -> None:
    if as_json:
        print(json.dumps(info.to_dict(), indent=2))
        return
    print(f"IVR {info.number} ({info.name}): prompt {info.prompt}")
    for key, destination in info.choices.items():
        print(f"  {key} -> {destination}")
    dial = "on" if info.dial_by_extension else "off"
    print(
        f"  no or bad input {info.retries} times -> {info.fallback}; "
        f"{info.digit_timeout_s} s to answer; dial by extension {dial}"
    )


def ivr_save(app: Appliance, args: argparse.Namespace) -> int:
    saved = _service(app).save(
        args.number,
        name=args.name,
        prompt=args.prompt,
        choices=_choices(args.choice),
        fallback=args.fallback,
        digit_timeout_s=args.timeout,
        retries=args.retries,
        dial_by_extension=not args.no_dial_by_extension,
        create=None,
    )
    _show(saved.info, args.json)
    return EXIT_OK


def ivr_list(app: Appliance, args: argparse.Namespace) -> int:
    menus = _service(app).list()
    if args.json:
        print(json.dumps([m.to_dict() for m in menus], indent=2))
        return EXIT_OK
    if not menus:
        print("no IVR menu")
    for menu in menus:
        _show(menu, False)
    return EXIT_OK


def ivr_show(app: Appliance, args: argparse.Namespace) -> int:
    _show(_service(app).show(args.number), args.json)
    return EXIT_OK


def ivr_remove(app: Appliance, args: argparse.Namespace) -> int:
    _service(app).remove(args.number)
    if args.json:
        print(json.dumps({"removed": args.number}))
    else:
        print(f"IVR menu {args.number} removed")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    ivr = sub.add_parser("ivr", help="auto-attendant (IVR) menus")
    ivr_sub = ivr.add_subparsers(dest="action", required=True, metavar="ACTION")

    command = partial(parsers.command, ivr_sub)

    p = command("set", ivr_save, "create or replace a menu")
    p.add_argument("number")
    p.add_argument("--name", required=True)
    p.add_argument(
        "--prompt",
        required=True,
        help="an uploaded prompt's name, or a system prompt's (dir-welcome)",
    )
    p.add_argument(
        "--choice",
        action="append",
        metavar="KEY=DESTINATION",
        help="extension:N, voicemail:N, ivr:N or hangup; repeat for each key",
    )
    p.add_argument("--fallback", default="hangup", help="after no or bad input")
    p.add_argument("--timeout", type=whole_number, default=5, help="seconds to answer")
    p.add_argument("--retries", type=whole_number, default=3)
    p.add_argument("--no-dial-by-extension", action="store_true")
    parsers.fields_named(p, {"digit_timeout_s": "timeout", "choices": "choice"})
    command("list", ivr_list, "list menus")
    p = command("show", ivr_show, "show one menu")
    p.add_argument("number")
    p = command("remove", ivr_remove, "remove a menu")
    p.add_argument("number")
