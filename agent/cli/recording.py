"""``edgepbx recording``: recorded calls; ``extension recording`` and
``trunk recording``: which calls are recorded (agent/recordings)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from functools import partial
from pathlib import Path

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.errors import InvalidInput
from agent.recordings import service

EXIT_OK = 0
SWITCH = {"on": True, "off": False}


def extension_recording(app: Appliance, args: argparse.Namespace) -> int:
    chosen = service.set_extension_recording(CONSOLE, args.number, args.mode)
    if args.json:
        print(json.dumps({"extension": args.number, "recording": chosen}))
    else:
        print(f"extension {args.number}: recording {chosen}")
    return EXIT_OK


def trunk_recording(app: Appliance, args: argparse.Namespace) -> int:
    if args.state not in SWITCH:
        raise InvalidInput("recording", args.state, "on or off")
    on = service.set_trunk_recording(CONSOLE, args.name, SWITCH[args.state])
    if args.json:
        print(json.dumps({"trunk": args.name, "recording": on}))
    else:
        print(f"trunk {args.name}: recording {'on' if on else 'off'}")
    return EXIT_OK


def recording_list(app: Appliance, args: argparse.Namespace) -> int:
    found = service.search(
        CONSOLE,
        app.settings.recordings_dir,
        since=args.since,
        until=args.until,
        limit=args.limit,
    )
    if args.json:
        print(json.dumps([r.to_dict() for r in found], indent=2))
        return EXIT_OK
    if not found:
        print("no recording")
    for r in found:
        state = f"{r.size} bytes" if r.present else "removed"
        print(f"{r.start}  {r.src} -> {r.dst}  {r.billsec} s  {r.file} ({state})")
        print(f"    call {r.call_id}")
    return EXIT_OK


def recording_export(app: Appliance, args: argparse.Namespace) -> int:
    directory = app.settings.recordings_dir
    source = service.audio_path(CONSOLE, directory, args.call_id)
    if args.output == "-":
        with source.open("rb") as audio:
            shutil.copyfileobj(audio, sys.stdout.buffer)
        return EXIT_OK
    target = Path(args.output or source.name)
    if target.is_dir():
        target = target / source.name
    shutil.copyfile(source, target)
    if args.json:
        print(json.dumps({"call_id": args.call_id, "file": str(target)}))
    else:
        print(f"recording of call {args.call_id} written to {target}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction, ext_sub: argparse._SubParsersAction):
    p = parsers.command(
        ext_sub, "recording", extension_recording, "which calls of it are recorded"
    )
    p.add_argument("number", metavar="extension")
    p.add_argument("mode", help=", ".join(service.MODES))
    parsers.fields_named(p, parsers.EXTENSION_ARGUMENT | {"recording": "mode"})

    rec = sub.add_parser("recording", help="recorded calls: list and export")
    rec_sub = rec.add_subparsers(dest="action", required=True, metavar="ACTION")
    command = partial(parsers.command, rec_sub)
    p = command("list", recording_list, "recorded calls, newest first")
    p.add_argument("--since", help="first day, like 2026-12-04 (UTC)")
    p.add_argument("--until", help="last day, like 2026-12-05 (UTC)")
    p.add_argument("--limit", type=parsers.whole_number, default=100)
    p = command("export", recording_export, "copy a call's recording (WAV)")
    p.add_argument("call_id", help="the call's Call-ID, as the list shows it")
    p.add_argument(
        "--output",
        "-o",
        help="a file or directory (default: its name, here; -: stdout)",
    )


def register_trunk(trunk_sub: argparse._SubParsersAction) -> None:
    p = parsers.command(
        trunk_sub, "recording", trunk_recording, "record every call it carries"
    )
    p.add_argument("name")
    p.add_argument("state", help="on or off")
    parsers.fields_named(p, {"trunk": "name", "recording": "state"})
