"""``edgepbx event`` and ``edgepbx webhook``: the event center at the console.

The same services as the Events pages and ``/api/v1/events``,
``/api/v1/webhooks`` (``agent.events.service``), as the console.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial

from agent import local_time
from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.output import print_json
from agent.cli.parsers import whole_number
from agent.errors import InvalidInput
from agent.events.catalogue import TYPES, WEBHOOK_TYPES
from agent.events.service import EventService, WebhookService
from agent.wording import counted

EXIT_OK = 0


def _when(at: float) -> str:
    return local_time.shown(at)


def event_list(app: Appliance, args: argparse.Namespace) -> int:
    found = EventService(CONSOLE).list(
        type=args.type,
        severity=args.severity,
        since=args.since,
        until=args.until,
        page=args.page,
        per_page=args.per_page,
    )
    if args.json:
        print_json(found)
        return EXIT_OK
    for item in found["items"]:
        print(
            f"{_when(item['at'])}  {item['severity']:<8}  {item['type']:<30}  "
            f"{item['summary']}"
        )
    shown = len(found["items"])
    total = counted(found["total"], "event")
    where = local_time.zone().key
    print(f"{shown} of {total} (page {found['page']}; times in {where})")
    return EXIT_OK


def event_notify(app: Appliance, args: argparse.Namespace) -> int:
    service = EventService(CONSOLE)
    if args.type is None:
        settings = service.notifications()
        if args.json:
            print_json(settings)
            return EXIT_OK
        for item in settings:
            mail = ", ".join(item["recipients"]) if item["email"] else "no mail"
            hook = "webhooks" if item["webhook"] else "no webhooks"
            print(f"{item['type']:<30}  {mail}; {hook}")
        return EXIT_OK
    changes: dict = {}
    if args.email is not None:
        changes["email"] = args.email == "on"
    if args.recipients is not None:
        changes["recipients"] = args.recipients
    if args.webhook is not None:
        changes["webhook"] = args.webhook == "on"
    changed = service.set_notification(args.type, **changes)
    if args.json:
        print_json(changed)
    else:
        mail = ", ".join(changed["recipients"]) if changed["email"] else "no mail"
        hooks = "on" if changed["webhook"] else "off"
        print(f"{changed['type']}: {mail}; webhooks {hooks}")
    return EXIT_OK


def event_options(app: Appliance, args: argparse.Namespace) -> int:
    service = EventService(CONSOLE)
    changes = {
        name: getattr(args, name)
        for name in (
            "retention_days",
            "mail_window_s",
            "disk_percent",
            "cpu_percent",
            "memory_percent",
        )
        if getattr(args, name) is not None
    }
    emergency = _emergency_numbers(args)
    if emergency is not None:
        changes["emergency_numbers"] = emergency
    shown = service.change_options(**changes) if changes else service.options()
    if args.json:
        print_json(shown)
        return EXIT_OK
    for name, value in shown.items():
        if isinstance(value, list):
            value = " ".join(value)
        print(f"{name:<18}  {value}")
    return EXIT_OK


def _emergency_numbers(args: argparse.Namespace) -> str | list[str] | None:
    """The numbers to set, [] to clear them, None to leave them.

    An empty --emergency-numbers is refused, not taken as "none": a script
    whose variable came out empty would otherwise stop the alerts for 112
    without a word. Clearing the list is said with --no-emergency-numbers.
    """
    given = args.emergency_numbers
    if given is not None and args.no_emergency_numbers:
        raise InvalidInput(
            "emergency-numbers",
            None,
            "--emergency-numbers sets the list, --no-emergency-numbers clears it: "
            "one or the other, not both",
        )
    if args.no_emergency_numbers:
        return []
    if given is not None and not given.replace(",", " ").split():
        raise InvalidInput(
            "emergency-numbers",
            None,
            "no number given; list them, like '112 911', "
            "or clear the list with --no-emergency-numbers",
        )
    return given


def webhook_add(app: Appliance, args: argparse.Namespace) -> int:
    secret = sys.stdin.readline().rstrip("\r\n") if args.secret_stdin else None
    info, plain = WebhookService(app.key, CONSOLE).add(args.url, args.types, secret)
    if args.json:
        print_json(info.to_dict() | {"secret": plain})
        return EXIT_OK
    print(f"webhook {info.id} added: {info.url}")
    print(f"secret (shown this once): {plain}")
    return EXIT_OK


def webhook_list(app: Appliance, args: argparse.Namespace) -> int:
    hooks = [h.to_dict() for h in WebhookService(app.key, CONSOLE).list()]
    if args.json:
        print_json(hooks)
        return EXIT_OK
    if not hooks:
        print("no webhooks")
    for hook in hooks:
        print(f"{hook['id']:>3}  {hook['url']}  {' '.join(hook['types'])}")
    return EXIT_OK


def webhook_test(app: Appliance, args: argparse.Namespace) -> int:
    sent = WebhookService(app.key, CONSOLE).test(args.id)
    if args.json:
        print_json(sent)
    else:
        print(f"webhook {sent['id']}: test event delivered ({sent['status']})")
    return EXIT_OK


def webhook_remove(app: Appliance, args: argparse.Namespace) -> int:
    WebhookService(app.key, CONSOLE).remove(args.id)
    if args.json:
        print_json({"id": args.id, "removed": True})
    else:
        print(f"webhook {args.id} removed")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add the event and webhook commands to the edgepbx parser."""
    event = sub.add_parser("event", help="the event center and its notifications")
    event_sub = event.add_subparsers(dest="action", required=True, metavar="ACTION")
    command = partial(parsers.command, event_sub)

    lister = command("list", event_list, "list events, newest first")
    lister.add_argument("--type", help="one of " + ", ".join(TYPES))
    lister.add_argument("--severity", help="info, warning, error or critical")
    lister.add_argument("--since", help="from this day (YYYY-MM-DD, UTC)")
    lister.add_argument("--until", help="up to this day, included")
    lister.add_argument("--page", default="1")
    lister.add_argument("--per-page", default="50")

    notify = command("notify", event_notify, "show or change who is told of a type")
    notify.add_argument("type", nargs="?", help="the event type to change")
    notify.add_argument("--email", choices=["on", "off"])
    notify.add_argument(
        "--recipients", help="e-mail addresses, separated by commas or spaces"
    )
    notify.add_argument("--webhook", choices=["on", "off"])

    options = command("options", event_options, "show or change the options")
    options.add_argument("--retention-days", type=whole_number)
    options.add_argument("--mail-window-s", type=whole_number)
    options.add_argument(
        "--emergency-numbers", help="the numbers that alert, e.g. '112 911'"
    )
    options.add_argument(
        "--no-emergency-numbers",
        action="store_true",
        help="clear the list: no call raises an emergency event",
    )
    options.add_argument("--disk-percent", type=whole_number)
    options.add_argument("--cpu-percent", type=whole_number)
    options.add_argument("--memory-percent", type=whole_number)

    webhook = sub.add_parser("webhook", help="outgoing webhooks of events and calls")
    webhook_sub = webhook.add_subparsers(dest="action", required=True, metavar="ACTION")
    command = partial(parsers.command, webhook_sub)
    adder = command("add", webhook_add, "add a webhook; prints its secret once")
    adder.add_argument("url", help="http:// or https:// address")
    adder.add_argument(
        "--types", required=True, help="event types: " + ", ".join(WEBHOOK_TYPES)
    )
    adder.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the signing secret from standard input (default: generated)",
    )
    command("list", webhook_list, "list webhooks (never their secrets)")
    tester = command("test", webhook_test, "send a test event now")
    tester.add_argument("id")
    remover = command("remove", webhook_remove, "remove a webhook")
    remover.add_argument("id")
