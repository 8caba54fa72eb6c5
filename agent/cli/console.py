"""``edgepbx console``: the recovery menu on a serial port or standard input.

As the SSH forced command of the recovery account it runs with no options
and reads the menu from the SSH session. It never needs the database: when
that is damaged the console says so and everything but the admin password
reset still works.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import serial

from agent.cli.parsers import whole_number
from agent.console import actions
from agent.console.menu import Console, status_lines
from agent.console.terminal import DEFAULT_BAUD, SerialTerminal, StreamTerminal
from agent.db import offline
from agent.errors import InvalidInput
from agent.settings import Settings

EXIT_OK = 0


def console(settings: Settings, args: argparse.Namespace) -> int:
    if args.set_shell_password:
        actions.set_shell_password(settings, sys.stdin.readline().rstrip("\r\n"))
        print("console shell password set")
        return EXIT_OK
    db = offline.open_or_stand_in(settings)
    try:
        if args.status:
            report = actions.status(settings, db)
            if args.json:
                print(json.dumps(report, indent=2))
            else:
                print("\n".join(status_lines(report)))
            return EXIT_OK
        if args.serial:
            try:
                terminal = SerialTerminal.open(args.serial, args.baud)
            except serial.SerialException as exc:
                known = isinstance(exc.errno, int) and exc.errno > 0
                reason = os.strerror(exc.errno) if known else "not a serial port"
                raise InvalidInput(
                    "--serial", args.serial, f"cannot be opened ({reason})"
                ) from exc
        else:
            terminal = StreamTerminal()
        Console(terminal, settings, db).run()
    finally:
        db.close()
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    help = "the recovery menu (serial port, SSH, or standard input)"
    p = subparsers.add_parser("console", help=help, description=help)
    p.add_argument("--json", action="store_true", help="print JSON (with --status)")
    p.add_argument("--serial", metavar="DEV", help="serial port, like /dev/ttyAMA0")
    p.add_argument("--baud", type=whole_number, default=DEFAULT_BAUD)
    p.add_argument("--status", action="store_true", help="print the status and exit")
    p.add_argument(
        "--set-shell-password",
        action="store_true",
        help="set the shell's password from the first line of standard input",
    )
    p.set_defaults(handler=console, opens_own_data=True)
