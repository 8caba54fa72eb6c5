"""``edgepbx phone firmware …``: firmware files per model, and the version
each model should run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.errors import InvalidInput
from agent.provisioning.firmware import PhoneFirmwareService

EXIT_OK = 0


def _service(app: Appliance) -> PhoneFirmwareService:
    return PhoneFirmwareService(app.settings, CONSOLE)


def firmware_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = _service(app).list()
    if args.json:
        print(json.dumps([row.to_dict() for row in rows], indent=2))
        return EXIT_OK
    if not rows:
        print("no phone firmware uploaded")
    for row in rows:
        mark = "target" if row.target else ""
        print(
            f"{row.vendor:<12} {row.model:<10} {row.version:<18} "
            f"{row.file_name:<32} {row.size:>11} {mark}"
        )
    return EXIT_OK


def firmware_upload(app: Appliance, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise InvalidInput("file", args.file, f"cannot be read ({exc})") from None
    with stream:
        info = _service(app).upload(
            args.vendor,
            args.model,
            args.version,
            args.name or path.name,
            stream,
            path.stat().st_size,
        )
    if args.target:
        _service(app).set_target(info.vendor, info.model, info.version)
    if args.json:
        print(json.dumps(info.to_dict() | {"target": bool(args.target)}, indent=2))
    else:
        print(f"firmware {info.file_name} ({info.size} bytes) uploaded")
    return EXIT_OK


def firmware_target(app: Appliance, args: argparse.Namespace) -> int:
    version = None if args.version == "none" else args.version
    _service(app).set_target(args.vendor, args.model, version)
    if args.json:
        print(
            json.dumps({"vendor": args.vendor, "model": args.model, "version": version})
        )
    elif version:
        print(f"{args.vendor} {args.model} phones upgrade to {version}")
    else:
        print(f"{args.vendor} {args.model} phones keep their firmware")
    return EXIT_OK


def firmware_remove(app: Appliance, args: argparse.Namespace) -> int:
    _service(app).remove(args.vendor, args.model, args.version)
    if args.json:
        print(json.dumps({"removed": args.version}))
    else:
        print(f"firmware {args.version} removed")
    return EXIT_OK


def register(phone_sub: argparse._SubParsersAction, command) -> None:
    firmware = phone_sub.add_parser("firmware", help="firmware for the phones")
    sub = firmware.add_subparsers(dest="firmware_action", required=True)
    command(sub, "list", firmware_list, "list firmware files")

    def which(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("vendor")
        p.add_argument("model", help="like T54W")
        return p

    upload = which(command(sub, "upload", firmware_upload, "upload a firmware file"))
    upload.add_argument("version", help="the version the file holds")
    upload.add_argument("file")
    upload.add_argument(
        "--name", help="the file name phones ask for (default: the file's)"
    )
    upload.add_argument(
        "--target", action="store_true", help="also make it the model's version"
    )
    target = which(
        command(sub, "target", firmware_target, "the version a model should run")
    )
    target.add_argument("version", help="an uploaded version, or none")
    remove = which(command(sub, "remove", firmware_remove, "remove a firmware file"))
    remove.add_argument("version")
