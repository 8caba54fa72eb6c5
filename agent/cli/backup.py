"""``edgepbx backup …``: make a backup, restore one."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from agent import local_time
from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.backup.schedule import (
    WEEKDAYS,
    BackupScheduler,
    ScheduledBackups,
    number_as_typed,
)
from agent.backup.sealing import SealError
from agent.backup.service import BackupService
from agent.errors import InvalidInput
from agent.supervisor.lock import agent_is_running

EXIT_OK = 0


def _passphrase(args: argparse.Namespace) -> str | None:
    if not args.passphrase_file:
        return None
    try:
        text = Path(args.passphrase_file).read_text()
    except OSError as exc:
        raise InvalidInput(
            "passphrase-file", args.passphrase_file, exc.strerror
        ) from None
    return text.splitlines()[0] if text else ""


def _output(args: argparse.Namespace) -> Path:
    """The file --output names: in a directory that exists, and not a file
    already there unless --force says to replace it."""
    output = Path(args.output)
    if not output.parent.is_dir():
        raise InvalidInput(
            "--output", args.output, f"directory {output.parent} does not exist"
        )
    if output.is_dir():
        raise InvalidInput("--output", args.output, "is a directory, not a file")
    if output.exists() and not args.force:
        raise InvalidInput(
            "--output", args.output, "the file exists (--force replaces it)"
        )
    return output


def create(app: Appliance, args: argparse.Namespace) -> int:
    service = BackupService(app.settings, CONSOLE)
    manifest = service.create(_output(args), _passphrase(args))
    if args.json:
        print(json.dumps({"output": args.output} | manifest.to_dict(), indent=2))
    else:
        sealed = ", sealed with the passphrase" if args.passphrase_file else ""
        print(f"backup {args.output}: {len(manifest.files)} files{sealed}")
    return EXIT_OK


def restore(app: Appliance, args: argparse.Namespace) -> int:
    # The CLI opened the appliance's database; let go of it before the swap.
    app.close()
    try:
        report = BackupService(app.settings, CONSOLE).restore(
            Path(args.file), _passphrase(args)
        )
    except SealError as exc:
        raise SealError(f"--passphrase-file: {exc}") from None
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(
            f"restored {args.file}: {report.files} files, made by release "
            f"{report.manifest.software_version} on {report.manifest.created_at}"
        )
        print("start the agent: it migrates an older schema at its first start")
    return EXIT_OK


def schedule(app: Appliance, args: argparse.Namespace) -> int:
    if args.passphrase_file is not None and args.no_passphrase:
        raise InvalidInput(
            "passphrase-file",
            None,
            "--passphrase-file seals the backups with a passphrase, "
            "--no-passphrase stops sealing them: give one or the other, not both",
        )
    backups = ScheduledBackups(app.settings, app.key, CONSOLE)
    changes = {
        "frequency": args.frequency,
        "hour": args.hour,
        "weekday": args.weekday,
        "keep": args.keep,
    }
    # An empty file is a passphrase too short: refused, not taken as "keep".
    passphrase = _passphrase(args)
    if (
        any(v is not None for v in changes.values())
        or passphrase is not None
        or args.no_passphrase
    ):
        current = backups.set_schedule(
            **changes, passphrase=passphrase, clear_passphrase=args.no_passphrase
        )
    else:
        current = backups.schedule()
    due = backups.due()
    if args.json:
        missing = due.astimezone(dt.UTC).isoformat(timespec="seconds") if due else None
        print(json.dumps(current.to_dict() | {"missing_due_at": missing}, indent=2))
        return EXIT_OK
    if current.frequency == "off":
        print("scheduled backups: off")
        return EXIT_OK
    when = "daily" if current.frequency == "daily" else f"every {current.weekday}"
    sealed = ", sealed with the passphrase" if current.sealed else ""
    print(
        f"scheduled backups: {when} at {current.hour:02d}:00, the newest "
        f"{current.keep} kept{sealed}"
    )
    if due is not None:
        # By design: a schedule turned on, or a box that was off at the
        # hour, makes the backup of the latest scheduled moment at once.
        within = f"{BackupScheduler.CHECK_INTERVAL_S:.0f} s"
        if agent_is_running(app.settings):
            when = f"the agent makes it at once (within {within})"
        else:
            when = "the agent is not running: it makes it when it starts"
        print(
            f"the backup due {due:%Y-%m-%d %H:%M} is missing: {when}, "
            "then keeps to the schedule"
        )
    return EXIT_OK


def stored(app: Appliance, args: argparse.Namespace) -> int:
    found = ScheduledBackups(app.settings, app.key, CONSOLE).stored()
    if args.json:
        print(json.dumps([b.to_dict() for b in found], indent=2))
        return EXIT_OK
    if not found:
        print("no scheduled backup on the box yet")
    for backup in found:
        print(f"{backup.name}  {backup.size} bytes  {local_time.shown(backup.made_at)}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser("backup", help="make and restore backups")
    sub = backup.add_subparsers(dest="action", required=True, metavar="ACTION")

    def command(name: str, handler, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument(
            "--passphrase-file",
            metavar="F",
            help="seal (or open) the backup with the passphrase on F's first line",
        )
        p.set_defaults(handler=handler)
        return p

    p = command("create", create, "back up databases, keys and recordings")
    p.add_argument(
        "--output",
        required=True,
        help="the backup file to write, in a directory that exists",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the --output file if it exists (else it is refused)",
    )
    p = command(
        "restore",
        restore,
        "replace this appliance's data with a backup (agent stopped)",
    )
    p.add_argument("file", help="the backup file")
    p = command(
        "schedule",
        schedule,
        "show or change the scheduled backups kept on the box",
    )
    p.add_argument("--frequency", choices=("off", "daily", "weekly"))
    # The hour and the count are the service's to check: one wording for
    # "24" and "-1" alike.
    p.add_argument(
        "--hour", type=number_as_typed, help="0-23, in the appliance's time zone"
    )
    p.add_argument("--weekday", choices=WEEKDAYS, help="for weekly backups")
    p.add_argument(
        "--keep", type=number_as_typed, help="how many scheduled backups stay"
    )
    p.add_argument(
        "--no-passphrase", action="store_true", help="stop sealing scheduled backups"
    )
    command("list", stored, "the scheduled backups kept on the box, newest first")
