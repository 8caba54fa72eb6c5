"""``edgepbx queue``: call queues (agent/queues)."""

from __future__ import annotations

import argparse
import json
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.parsers import fields_named, options_named, whole_number
from agent.queues.service import STRATEGIES, QueueService

EXIT_OK = 0


def _service(app: Appliance) -> QueueService:
    return QueueService(app.settings, CONSOLE)


def _show(info, as_json: bool) -> None:
    if as_json:
        print(json.dumps(info.to_dict(), indent=2))
        return
    agents = ", ".join(info.agents) or "no static agent"
    print(
        f"queue {info.number} ({info.name}): {info.strategy}, agents {agents}, "
        f"{info.ring_s} s a ring, after {info.max_wait_s} s to {info.failover}"
    )
    if info.logged_in:
        print(f"  logged in: {', '.join(info.logged_in)}")


def _fields(args: argparse.Namespace) -> dict:
    agents = None
    if args.agents is not None:
        agents = [a for a in args.agents.split(",") if a.strip()]
    return {
        "name": args.name,
        "strategy": args.strategy,
        "agents": agents,
        "ring_s": args.ring_time,
        "max_wait_s": args.max_wait,
        "failover": args.failover,
        "music": args.music,
        "announce_position": args.announce_position,
        "announce_wait": args.announce_wait,
        "announce_every_s": args.announce_every,
        "service_level_s": args.service_level,
    }


def queue_add(app: Appliance, args: argparse.Namespace) -> int:
    _show(_service(app).add(args.number, **_fields(args)).info, args.json)
    return EXIT_OK


def queue_set(app: Appliance, args: argparse.Namespace) -> int:
    _show(_service(app).set(args.number, **_fields(args)).info, args.json)
    return EXIT_OK


def queue_list(app: Appliance, args: argparse.Namespace) -> int:
    queues = _service(app).list()
    if args.json:
        print(json.dumps([q.to_dict() for q in queues], indent=2))
        return EXIT_OK
    if not queues:
        print("no queue")
    for queue in queues:
        _show(queue, False)
    return EXIT_OK


def queue_show(app: Appliance, args: argparse.Namespace) -> int:
    _show(_service(app).show(args.number), args.json)
    return EXIT_OK


def queue_remove(app: Appliance, args: argparse.Namespace) -> int:
    _service(app).remove(args.number)
    print(json.dumps({"removed": args.number}) if args.json else "queue removed")
    return EXIT_OK


def queue_agents(app: Appliance, args: argparse.Namespace) -> int:
    service = _service(app)
    if args.login:
        with options_named({"extension": "--login"}):
            service.log_in(args.number, args.login)
    if args.logout:
        with options_named({"extension": "--logout"}):
            service.log_out(args.number, args.logout)
    info = service.show(args.number)
    if args.json:
        print(json.dumps({"static": info.agents, "logged_in": info.logged_in}))
        return EXIT_OK
    print(f"static: {', '.join(info.agents) or 'none'}")
    print(f"logged in: {', '.join(info.logged_in) or 'none'}")
    return EXIT_OK


def queue_status(app: Appliance, args: argparse.Namespace) -> int:
    status = _service(app).status(args.number)
    if args.json:
        print(json.dumps(status.to_dict(), indent=2))
        return EXIT_OK
    print(f"queue {status.number}: {len(status.waiting)} waiting")
    for waiting in status.waiting:
        print(f"  {waiting['caller']} waiting {waiting['wait_s']} s")
    for agent in status.agents:
        print(
            f"  agent {agent['extension']} ({agent['kind']}): {agent['state']}, "
            f"{agent['calls']} calls"
        )
    t = status.today
    level = t["service_level_percent"]
    print(
        f"today: {t['offered']} offered, {t['answered']} answered, "
        f"{t['abandoned']} abandoned, {t['timed_out']} timed out; "
        f"wait {t['average_wait_s']} s on average, {t['longest_wait_s']} s longest; "
        "service level "
        + ("-" if level is None else f"{level} % within {t['service_level_s']} s")
    )
    for agent in t["agents"]:
        print(
            f"  agent {agent['extension']}: {agent['answered']} answered, "
            f"{agent['talk_s']} s talking"
        )
    return EXIT_OK


def _on_off(text: str) -> bool:
    if text not in {"on", "off"}:
        raise argparse.ArgumentTypeError("on or off")
    return text == "on"


def _queue_fields(p: argparse.ArgumentParser, new: bool) -> None:
    p.add_argument("number")
    p.add_argument("--name", required=new)
    p.add_argument("--strategy", help="one of " + ", ".join(STRATEGIES))
    p.add_argument("--agents", help="static agents' extensions in ring order: 101,102")
    p.add_argument("--ring-time", type=whole_number, help="seconds an agent rings")
    p.add_argument("--max-wait", type=whole_number, help="seconds before failover")
    p.add_argument(
        "--failover", help="extension:N, voicemail:N, ivr:N, queue:N or hangup"
    )
    p.add_argument("--music", help='"default" or the name of uploaded music')
    p.add_argument("--announce-position", type=_on_off, metavar="on|off")
    p.add_argument("--announce-wait", type=_on_off, metavar="on|off")
    p.add_argument("--announce-every", type=whole_number, help="seconds")
    p.add_argument(
        "--service-level",
        type=whole_number,
        help="seconds within which an answered call counts as served in time",
    )
    fields_named(
        p,
        {
            "ring_s": "ring_time",
            "max_wait_s": "max_wait",
            "announce_every_s": "announce_every",
            "service_level_s": "service_level",
        },
    )


def register(sub: argparse._SubParsersAction) -> None:
    queue = sub.add_parser("queue", help="call queues")
    queue_sub = queue.add_subparsers(dest="action", required=True, metavar="ACTION")
    command = partial(parsers.command, queue_sub)

    _queue_fields(command("add", queue_add, "create a queue"), True)
    _queue_fields(command("set", queue_set, "change a queue"), False)
    command("list", queue_list, "list queues")
    p = command("show", queue_show, "show one queue")
    p.add_argument("number")
    p = command("remove", queue_remove, "remove a queue")
    p.add_argument("number")
    p = command("agents", queue_agents, "show, log in or log out agents")
    p.add_argument("number")
    p.add_argument("--login", metavar="EXTENSION", help="log an extension in")
    p.add_argument("--logout", metavar="EXTENSION", help="log an extension out")
    p = command("status", queue_status, "callers waiting and agents now")
    p.add_argument("number")
