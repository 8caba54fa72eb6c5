"""``edgepbx paging``: page groups (agent/paging)."""

from __future__ import annotations

import argparse
import json
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
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
