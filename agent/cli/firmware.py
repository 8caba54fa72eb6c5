"""``edgepbx firmware …``: check, install, commit and roll back releases."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.output import print_json
from agent.firmware import health, keys
from agent.firmware.device import Device
from agent.firmware.manifest import Manifest
from agent.firmware.slots import FirmwareService, FirmwareStatus

EXIT_OK = 0


def _service(app: Appliance) -> FirmwareService:
    return FirmwareService(Device.load(), CONSOLE, keys.trusted_keys(), app.settings)


def _print_manifest(manifest: Manifest, args: argparse.Namespace, word: str) -> None:
    if args.json:
        print_json({"result": word, "manifest": manifest.to_dict()})
        return
    print(
        f"bundle {args.file}: {word}: release {manifest.version} for "
        f"{manifest.architecture} ({', '.join(manifest.boards)}), "
        f"{manifest.payload_size} bytes"
    )


def _print_status(status: FirmwareStatus, args: argparse.Namespace) -> None:
    if args.json:
        print_json(status.to_dict())
        return
    trial = "  (on trial: not committed)" if status.trial else ""
    print(f"running      slot {status.booted_slot}, release {status.version}{trial}")
    print(f"boots next   slot {status.default_slot}")
    for slot in status.slots:
        print(
            f"slot {slot.name}       partition {slot.partition}, "
            f"{slot.version or 'empty'}, {slot.state or '-'}"
        )


def verify(app: Appliance, args: argparse.Namespace) -> int:
    manifest = _service(app).verify(Path(args.file), force=args.force)
    _print_manifest(manifest, args, "good")
    return EXIT_OK


def apply(app: Appliance, args: argparse.Namespace) -> int:
    manifest = _service(app).apply(Path(args.file), force=args.force)
    _print_manifest(manifest, args, "installed, rebooting to try it once")
    return EXIT_OK


def status(app: Appliance, args: argparse.Namespace) -> int:
    _print_status(_service(app).status(), args)
    return EXIT_OK


def commit(app: Appliance, args: argparse.Namespace) -> int:
    _print_status(_service(app).commit(), args)
    return EXIT_OK


def rollback(app: Appliance, args: argparse.Namespace) -> int:
    slot = _service(app).rollback()
    if args.json:
        print_json({"rebooting_into": slot})
    else:
        print(f"rebooting into slot {slot}")
    return EXIT_OK


def confirm(app: Appliance, args: argparse.Namespace) -> int:
    result = _service(app).confirm(lambda: health.problems(app), args.timeout)
    _print_status(result, args)
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    firmware = subparsers.add_parser(
        "firmware", help="check, install, commit and roll back firmware releases"
    )
    sub = firmware.add_subparsers(dest="action", required=True, metavar="ACTION")

    command = partial(parsers.command, sub)

    for name, handler, help in (
        ("verify", verify, "check a bundle completely; write nothing"),
        ("apply", apply, "install a bundle in the other slot and reboot into it once"),
    ):
        p = command(name, handler, help)
        p.add_argument("file", help="the bundle file")
        p.add_argument(
            "--force", action="store_true", help="allow a downgrade or reinstall"
        )
    command("status", status, "which slot runs, which boots next, what each holds")
    command("commit", commit, "keep the release on trial")
    command("rollback", rollback, "leave the release on trial, or go back one")
    p = command(
        "confirm", confirm, "after a trial boot: commit if healthy, else roll back"
    )
    p.set_defaults(probes_agent=True)
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds to wait for the appliance to become healthy "
        "(default: the board's trial_s in device.json, else 300)",
    )
