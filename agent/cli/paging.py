"""``edgepbx paging``: page groups (agent/paging)."""

from __future__ import annotations

import argparse
import json
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.paging.broadcasts import BroadcastService
from agent.paging.service import PagingService

EXIT_OK = 0


def _members(text: str | None) -> list[str] | None:
    return None if text is None else [m.strip() for m in text.split(",")]


def _show(info, as_json: bool) -> None:
    if as_json:
        print(json.dumps(info.to_dict(), indent=2))
        return
    print(f"page group {info.number} ({info.name}): {', '.join(info.members)}")


def paging_add(app: Appliance, args: argparse.Namespace) -> int:
    info = PagingService(CONSOLE).add(
        args.number, name=args.name, members=_members(args.members) or []
    )
    _show(info, args.json)
    return EXIT_OK


def paging_set(app: Appliance, args: argparse.Namespace) -> int:
    info = PagingService(CONSOLE).set(
        args.number, name=args.name, members=_members(args.members)
    )
    _show(info, args.json)
    return EXIT_OK


def paging_list(app: Appliance, args: argparse.Namespace) -> int:
    groups = PagingService(CONSOLE).list()
    if args.json:
        print(json.dumps([g.to_dict() for g in groups], indent=2))
        return EXIT_OK
    if not groups:
        print("no page group")
    for group in groups:
        _show(group, False)
    return EXIT_OK


def paging_show(app: Appliance, args: argparse.Namespace) -> int:
    _show(PagingService(CONSOLE).show(args.number), args.json)
    return EXIT_OK


def paging_remove(app: Appliance, args: argparse.Namespace) -> int:
    PagingService(CONSOLE).remove(args.number)
    print(json.dumps({"removed": args.number}) if args.json else "page group removed")
    return EXIT_OK


def _show_broadcast(info, as_json: bool) -> None:
    if as_json:
        print(json.dumps(info.to_dict(), indent=2))
        return
    when = ",".join(info.weekdays) if info.weekdays else info.on_date
    state = f"next {info.next_run}" if info.next_run else "nothing due"
    if not info.enabled:
        state = "disabled"
    print(
        f"broadcast {info.name}: {info.prompt} to page group {info.page_group}, "
        f"{when} at {info.time_of_day}; {state}"
    )


def broadcast_set(app: Appliance, args: argparse.Namespace) -> int:
    saved = BroadcastService(app.settings, CONSOLE).save(
        args.name,
        page_group=args.page_group,
        prompt=args.prompt,
        weekdays=_members(args.weekdays) or [],
        time_of_day=args.time,
        on_date=args.date,
        enabled=not args.disabled,
    )
    _show_broadcast(saved.info, args.json)
    return EXIT_OK


def broadcast_list(app: Appliance, args: argparse.Namespace) -> int:
    found = BroadcastService(app.settings, CONSOLE).list()
    if args.json:
        print(json.dumps([b.to_dict() for b in found], indent=2))
        return EXIT_OK
    if not found:
        print("no page broadcast")
    for info in found:
        _show_broadcast(info, False)
    return EXIT_OK


def broadcast_show(app: Appliance, args: argparse.Namespace) -> int:
    _show_broadcast(BroadcastService(app.settings, CONSOLE).show(args.name), args.json)
    return EXIT_OK


def broadcast_enable(app: Appliance, args: argparse.Namespace) -> int:
    service = BroadcastService(app.settings, CONSOLE)
    _show_broadcast(service.set_enabled(args.name, True), args.json)
    return EXIT_OK


def broadcast_disable(app: Appliance, args: argparse.Namespace) -> int:
    service = BroadcastService(app.settings, CONSOLE)
    _show_broadcast(service.set_enabled(args.name, False), args.json)
    return EXIT_OK


def broadcast_run(app: Appliance, args: argparse.Namespace) -> int:
    info = BroadcastService(app.settings, CONSOLE).run_now(args.name)
    if args.json:
        print(json.dumps({"started": info.name}))
    else:
        # The service's log line says it went to the media service.
        _show_broadcast(info, False)
    return EXIT_OK


def broadcast_remove(app: Appliance, args: argparse.Namespace) -> int:
    BroadcastService(app.settings, CONSOLE).remove(args.name)
    print(json.dumps({"removed": args.name}) if args.json else "broadcast removed")
    return EXIT_OK


def _register_broadcasts(paging_sub: argparse._SubParsersAction) -> None:
    broadcast = paging_sub.add_parser(
        "broadcast", help="prompts played to a page group on a schedule"
    )
    broadcast_sub = broadcast.add_subparsers(
        dest="broadcast_action", required=True, metavar="ACTION"
    )
    command = partial(parsers.command, broadcast_sub)

    p = command("set", broadcast_set, "create or change a broadcast")
    p.add_argument("name")
    p.add_argument("--page-group", required=True, help="the page group's number")
    p.add_argument(
        "--prompt",
        required=True,
        help="upload:NAME (an uploaded prompt) or system:NAME",
    )
    p.add_argument("--weekdays", help="mon,tue,wed,thu,fri,sat,sun (any of them)")
    p.add_argument("--date", help="one day instead, like 2026-12-24")
    p.add_argument("--time", required=True, help="HH:MM in the appliance's time zone")
    p.add_argument("--disabled", action="store_true", help="saved, not scheduled")
    parsers.fields_named(p, {"time_of_day": "time", "on_date": "date"})
    command("list", broadcast_list, "list broadcasts")
    for name, handler, text in (
        ("show", broadcast_show, "show one broadcast"),
        ("enable", broadcast_enable, "schedule a broadcast again"),
        ("disable", broadcast_disable, "keep a broadcast but do not run it"),
        ("run", broadcast_run, "run a broadcast now"),
        ("remove", broadcast_remove, "remove a broadcast"),
    ):
        p = command(name, handler, text)
        p.add_argument("name")


def register(sub: argparse._SubParsersAction) -> None:
    paging = sub.add_parser("paging", help="page groups")
    paging_sub = paging.add_subparsers(dest="action", required=True, metavar="ACTION")

    command = partial(parsers.command, paging_sub)

    p = command("add", paging_add, "create a page group")
    p.add_argument("number")
    p.add_argument("--name", required=True)
    p.add_argument(
        "--members", required=True, help="member extensions, comma-separated"
    )
    p = command("set", paging_set, "change a page group")
    p.add_argument("number")
    p.add_argument("--name")
    p.add_argument("--members", help="member extensions, comma-separated")
    command("list", paging_list, "list page groups")
    p = command("show", paging_show, "show one page group")
    p.add_argument("number")
    p = command("remove", paging_remove, "remove a page group")
    p.add_argument("number")
    _register_broadcasts(paging_sub)
