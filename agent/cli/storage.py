"""``edgepbx storage …``: what fills the disk, how long each kind is kept."""

from __future__ import annotations

import argparse

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli.output import print_json
from agent.cli.parsers import command, options_named
from agent.errors import InvalidInput
from agent.storage.service import KINDS, MB, StorageService
from agent.wording import counted

EXIT_OK = 0
OFF = "off"
#: The service's fields as this command's options name them.
OPTIONS = {"max_days": "--days", "max_mb": "--mb"}


def _size(value: int) -> str:
    if value >= MB:
        return f"{value / MB:.1f} MB"
    return f"{value / 1024:.1f} KB"


def _limit(option: str, text: str | None) -> int | None:
    """An option's number of days or MB, or off; the range is the service's."""
    if text is None or text == OFF:
        return None
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidInput(option, text, "a whole number, or off")
    return int(text)


def usage(app: Appliance, args: argparse.Namespace) -> int:
    found = StorageService(app.settings, CONSOLE).usage()
    if args.json:
        print_json(found.to_dict())
        return EXIT_OK
    for kind in found.kinds:
        print(
            f"{kind.label:<18} {_size(kind.bytes):>10}  {counted(kind.items, 'item')}"
        )
    print(
        f"{'disk':<18} {_size(found.disk_total - found.disk_free):>10} used of "
        f"{_size(found.disk_total)} ({found.disk_used_percent:.0f}%), "
        f"{_size(found.disk_free)} free"
    )
    return EXIT_OK


def show(app: Appliance, args: argparse.Namespace) -> int:
    service = StorageService(app.settings, CONSOLE)
    policy, counts = service.policy(), service.counts()
    if args.json:
        print_json([r.to_dict() | {"cleanups": counts[r.kind]} for r in policy])
        return EXIT_OK
    for rule in policy:
        days = counted(rule.max_days, "day") if rule.max_days else "every day"
        size = f"at most {rule.max_mb} MB" if rule.max_mb else "any size"
        done = counts[rule.kind]
        print(
            f"{rule.kind:<13} keep {days}, {size}; "
            f"{counted(done['cleanups'], 'clean-up')} so far, "
            f"{done['removed']} removed"
        )
    return EXIT_OK


def set_retention(app: Appliance, args: argparse.Namespace) -> int:
    changes = {}
    if args.days is not None:
        changes["max_days"] = _limit("--days", args.days)
    if args.mb is not None:
        changes["max_mb"] = _limit("--mb", args.mb)
    if not changes:
        raise InvalidInput("--days", None, "give --days, --mb or both")
    with options_named(OPTIONS):
        rule = StorageService(app.settings, CONSOLE).set_retention(args.kind, **changes)
    if args.json:
        print_json(rule.to_dict())
        return EXIT_OK
    days = counted(rule.max_days, "day") if rule.max_days else "every day"
    size = f"at most {rule.max_mb} MB" if rule.max_mb else "any size"
    print(f"storage {rule.kind}: keep {days}, {size}")
    return EXIT_OK


def clean(app: Appliance, args: argparse.Namespace) -> int:
    done = StorageService(app.settings, CONSOLE).clean(args.kind)
    if args.json:
        print_json([c.to_dict() for c in done])
        return EXIT_OK
    if not done:
        print("no retention or quota set: nothing removed")
    for cleanup in done:
        print(
            f"storage {cleanup.kind}: {cleanup.removed} removed by {cleanup.reason}, "
            f"{_size(cleanup.freed_bytes)} freed"
        )
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    storage = subparsers.add_parser(
        "storage", help="disk usage by kind, retention and quotas, clean-up"
    )
    sub = storage.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(sub, "usage", usage, "what each kind of data takes, and the disk")
    command(sub, "show", show, "each kind's retention and quota, and clean-ups")
    p = command(sub, "set", set_retention, "change a kind's retention or quota")
    p.add_argument("kind", help="one of " + ", ".join(KINDS))
    p.add_argument("--days", metavar="N|off", help="keep at most N days")
    p.add_argument("--mb", metavar="N|off", help="keep at most N MB")
    p = command(sub, "clean", clean, "apply the retention and quotas now")
    p.add_argument("kind", nargs="?", help="only this kind (default: all)")
