"""``edgepbx troubleshoot`` and ``edgepbx logs`` (agent/troubleshoot).

The same services as the Troubleshooting page and ``/api/v1/troubleshoot``:
a packet capture (start, stop, status, the files, the SIP dialogs in one),
ping and traceroute from the appliance, and the appliance's logs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.output import print_json
from agent.troubleshoot import capture, logs, reach
from agent.troubleshoot.capture import CaptureService

EXIT_OK = 0
EXIT_FAILED = 1


def _service(app: Appliance) -> CaptureService:
    return CaptureService(app.settings, CONSOLE)


def _print_status(status: capture.CaptureStatus, as_json: bool) -> None:
    if as_json:
        print_json(status.to_dict())
    elif status.running:
        print(
            f"capturing {status.ports} ports on {status.interface} to {status.file}"
            f" ({status.size} bytes so far), until {status.ends_by}"
        )
    elif status.file:
        print(f"capture stopped: {status.file}")
    else:
        print("no capture is running")


def capture_start(app: Appliance, args: argparse.Namespace) -> int:
    status = _service(app).start(
        args.ports, args.seconds, args.megabytes, args.interface
    )
    _print_status(status, args.json)
    return EXIT_OK


def capture_stop(app: Appliance, args: argparse.Namespace) -> int:
    _print_status(_service(app).stop(), args.json)
    return EXIT_OK


def capture_status(app: Appliance, args: argparse.Namespace) -> int:
    _print_status(_service(app).status(), args.json)
    return EXIT_OK


def capture_list(app: Appliance, args: argparse.Namespace) -> int:
    files = _service(app).files()
    if args.json:
        print_json([f.to_dict() for f in files])
        return EXIT_OK
    if not files:
        print("no capture kept")
    for f in files:
        print(f"{f.name}  {f.size} bytes  {f.modified_at}")
    return EXIT_OK


def capture_download(app: Appliance, args: argparse.Namespace) -> int:
    source = _service(app).path(args.name)
    if args.output == "-":
        with source.open("rb") as f:
            shutil.copyfileobj(f, sys.stdout.buffer)
        return EXIT_OK
    shutil.copyfile(source, args.output)
    print_json({"saved": args.output}) if args.json else print(f"saved {args.output}")
    return EXIT_OK


def _clock(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.strftime("%H:%M:%S.%f")[:-3]


def capture_flows(app: Appliance, args: argparse.Namespace) -> int:
    service = _service(app)
    if args.call_id:
        flow = service.dialog(args.name, args.call_id)
        if args.json:
            print_json(flow.to_dict())
            return EXIT_OK
        for m in flow.messages:
            print(f"{_clock(m.at)} {m.source} -> {m.destination} {m.first_line}")
            if args.full:
                print(m.text.rstrip() + "\n")
        return EXIT_OK
    found = [d.summary() for d in service.dialogs(args.name)]
    if args.json:
        print_json(found)
        return EXIT_OK
    if not found:
        print("no SIP dialog in this capture")
    for d in found:
        print(
            f"{_clock(d['started_at'])} {d['first_request']} {d['from']} -> "
            f"{d['to']}: {d['final_reply'] or 'no final reply'} "
            f"({d['messages']} messages) Call-ID {d['call_id']}"
        )
    return EXIT_OK


def _tool(run, app: Appliance, args: argparse.Namespace) -> int:
    result = run(CONSOLE, args.host)
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.output, end="" if result.output.endswith("\n") else "\n")
    return EXIT_OK if result.exit_status == 0 else EXIT_FAILED


def logs_show(app: Appliance, args: argparse.Namespace) -> int:
    page = logs.read(
        CONSOLE,
        app.settings,
        daemon=args.daemon,
        level=args.level,
        text=args.text,
        since=args.since,
        until=args.until,
        page=args.page,
        page_size=args.page_size,
    )
    if args.json:
        print_json(page.to_dict())
        return EXIT_OK
    for e in page.entries:
        print(f"{e.at} {e.daemon:<12} {e.level:<8} {e.text}")
    if page.more:
        print(f"(more: --page {page.page + 1})")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    trouble = sub.add_parser(
        "troubleshoot", help="packet capture, SIP call flows, ping and traceroute"
    )
    trouble_sub = trouble.add_subparsers(dest="tool", required=True, metavar="TOOL")
    cap = trouble_sub.add_parser("capture", help="packet capture to a file")
    cap_sub = cap.add_subparsers(dest="action", required=True, metavar="ACTION")
    command = partial(parsers.command, cap_sub)

    p = command("start", capture_start, "start a capture (one at a time)")
    p.add_argument("--ports", default="sip", choices=capture.PORT_CHOICES)
    p.add_argument(
        "--seconds",
        type=parsers.whole_number,
        default=capture.SECONDS_DEFAULT,
        help=f"stop after this long (at most {capture.SECONDS_MAX})",
    )
    p.add_argument(
        "--megabytes",
        type=parsers.whole_number,
        default=capture.MEGABYTES_DEFAULT,
        help=f"stop at this file size (at most {capture.MEGABYTES_MAX})",
    )
    p.add_argument("--interface", default="any", help="a network interface, or any")
    command("stop", capture_stop, "stop the running capture")
    command("status", capture_status, "the running capture, if any")
    command("list", capture_list, "the captures kept, newest first")
    p = command("download", capture_download, "copy a capture's pcap file")
    p.add_argument("name", help="as capture list shows it")
    p.add_argument("output", help="where to write it, - for standard output")
    p = command("flows", capture_flows, "the SIP dialogs in a capture")
    p.add_argument("name", help="as capture list shows it")
    p.add_argument("--call-id", help="show this dialog's messages in order")
    p.add_argument("--full", action="store_true", help="with each message's text")

    tools = partial(parsers.command, trouble_sub)
    p = tools("ping", partial(_tool, reach.ping), "ping a host from the appliance")
    p.add_argument("host", help="a host name or an address")
    p = tools("traceroute", partial(_tool, reach.traceroute), "trace the route")
    p.add_argument("host", help="a host name or an address")

    p = parsers.command(sub, "logs", logs_show, "the appliance's logs, newest first")
    p.add_argument("--daemon", choices=logs.DAEMONS)
    p.add_argument("--level", choices=logs.LEVELS, help="this level and above")
    p.add_argument("--text", help="lines containing this text")
    p.add_argument("--since", help="from this time (ISO 8601, UTC by default)")
    p.add_argument("--until", help="up to this time")
    p.add_argument("--page", type=parsers.whole_number, default=1)
    p.add_argument(
        "--page-size", type=parsers.whole_number, default=logs.PAGE_SIZE_DEFAULT
    )
