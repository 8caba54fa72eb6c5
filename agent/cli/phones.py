"""``edgepbx phone …`` (the phone inventory) and ``edgepbx provisioning``
(the TFTP server daemon)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.errors import InvalidInput
from agent.provisioning.inventory import PhoneInfo, PhoneService
from agent.provisioning.vendors import VENDORS

EXIT_OK = 0


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2))


def _phones(app: Appliance) -> PhoneService:
    return PhoneService(app.key, CONSOLE)


def phone_add(app: Appliance, args: argparse.Namespace) -> int:
    info = _phones(app).add(args.mac, args.vendor, args.model, args.extension)
    if args.json:
        _print_json(info.to_dict())
    else:
        lines = ", ".join(info.extensions)
        print(f"phone {info.mac} ({info.vendor} {info.model}) added, lines: {lines}")
    return EXIT_OK


def phone_import(app: Appliance, args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("file", args.file, f"cannot be read ({exc})") from None
    added = _phones(app).import_csv(text)
    if args.json:
        _print_json([info.to_dict() for info in added])
    else:
        print(f"{len(added)} phones imported")
    return EXIT_OK


def phone_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = _phones(app).list()
    if args.json:
        _print_json([row.to_dict() for row in rows])
        return EXIT_OK
    if not rows:
        print("no phones yet: edgepbx phone add MAC --vendor V --model M --extension N")
    for row in rows:
        seen = row.last_request_at or "never fetched"
        print(
            f"{row.mac}  {row.vendor:<10} {row.model:<8} "
            f"{' '.join(row.extensions):<16} {seen}"
        )
    return EXIT_OK


def phone_show(app: Appliance, args: argparse.Namespace) -> int:
    phones = _phones(app)
    info = phones.get(args.mac)
    password = phones.admin_password(info.mac) if args.admin_password else None
    if args.json:
        extra = {"admin_password": password} if password else {}
        _print_json(info.to_dict() | extra)
        return EXIT_OK
    _print_phone(info)
    if password:
        print(f"admin pw    {password}")
    return EXIT_OK


def _print_phone(info: PhoneInfo) -> None:
    print(f"phone       {info.mac}")
    print(f"vendor      {info.vendor} {info.model}")
    print(f"lines       {', '.join(info.extensions)}")
    print(f"version     {info.config_version}")
    if info.last_request_at:
        print(
            f"last fetch  {info.last_request_file} at {info.last_request_at} "
            f"from {info.last_request_ip} ({info.last_user_agent or '-'})"
        )
    else:
        print("last fetch  never")


def phone_remove(app: Appliance, args: argparse.Namespace) -> int:
    _phones(app).remove(args.mac)
    if args.json:
        _print_json({"removed": args.mac})
    else:
        print(f"phone {args.mac} removed")
    return EXIT_OK


def provisioning_command(app: Appliance, args: argparse.Namespace) -> int:
    from provisioning_server.daemon import serve

    serve(app)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    def command(subparsers, name: str, handler, help: str) -> argparse.ArgumentParser:
        p = subparsers.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(handler=handler)
        return p

    command(
        sub,
        "provisioning",
        provisioning_command,
        "serve phone configuration files over TFTP (as on the device)",
    )
    phone = sub.add_parser("phone", help="desk phones provisioned by MAC address")
    phone_sub = phone.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = command(phone_sub, "add", phone_add, "add a phone to provision")
    add.add_argument("mac", help="MAC address, any case, ':' or '-' allowed")
    add.add_argument("--vendor", required=True, help=", ".join(sorted(VENDORS)))
    add.add_argument("--model", required=True, help="model, like T54W")
    add.add_argument(
        "--extension",
        required=True,
        action="append",
        help="extension on the next line (repeat for more lines)",
    )
    imp = command(
        phone_sub,
        "import",
        phone_import,
        "add phones from a CSV file (mac,vendor,model,extension); all or none",
    )
    imp.add_argument("file", help="CSV file, or - for standard input")
    command(phone_sub, "list", phone_list, "list phones")
    show = command(phone_sub, "show", phone_show, "show one phone")
    show.add_argument("mac")
    show.add_argument(
        "--admin-password",
        action="store_true",
        help="also print the password of the phone's own web page",
    )
    remove = command(phone_sub, "remove", phone_remove, "remove a phone")
    remove.add_argument("mac")
