"""``edgepbx phone template …``: templates editable per model, and their
preview."""

from __future__ import annotations

import argparse
import json
import sys

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli.parsers import fields_named, text_file
from agent.provisioning.inventory import PhoneService
from agent.provisioning.profile import site_profile
from agent.provisioning.templates import MAC, TemplateService

EXIT_OK = 0


def _body(path: str | None) -> str | None:
    if path is None:
        return None
    return text_file(path)


def template_show(app: Appliance, args: argparse.Namespace) -> int:
    info = TemplateService(CONSOLE).get(args.vendor, args.model, args.file)
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
    else:
        sys.stdout.write(info.body if info.body.endswith("\n") else info.body + "\n")
    return EXIT_OK


def template_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = TemplateService(CONSOLE).list()
    if args.json:
        print(json.dumps([row.to_dict() for row in rows], indent=2))
        return EXIT_OK
    if not rows:
        print("no templates: every model gets its built-in files")
    for row in rows:
        print(f"{row.vendor:<12} {row.model:<10} {row.file:<7} {row.updated_at}")
    return EXIT_OK


def template_set(app: Appliance, args: argparse.Namespace) -> int:
    body = _body(args.template)
    info = TemplateService(CONSOLE).save(args.vendor, args.model, args.file, body)
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
    else:
        print(f"template {info.vendor}/{info.model}/{info.file} saved")
    return EXIT_OK


def template_reset(app: Appliance, args: argparse.Namespace) -> int:
    TemplateService(CONSOLE).reset(args.vendor, args.model, args.file)
    if args.json:
        print(json.dumps({"reset": f"{args.vendor}/{args.model}/{args.file}"}))
    else:
        print("template removed: the built-in file is served again")
    return EXIT_OK


def template_preview(app: Appliance, args: argparse.Namespace) -> int:
    phone = None
    if args.mac:
        phone = PhoneService(app.key, CONSOLE).profile(
            args.mac, site_profile(app.settings)
        )
    content = TemplateService(CONSOLE).preview(
        args.vendor, args.model, args.file, _body(args.template), phone
    )
    if args.json:
        print(json.dumps({"content": content.decode("utf-8")}, indent=2))
    else:
        sys.stdout.write(content.decode("utf-8"))
    return EXIT_OK


def register(phone_sub: argparse._SubParsersAction, command) -> None:
    template = phone_sub.add_parser(
        "template", help="templates that replace a model's built-in files"
    )
    sub = template.add_subparsers(dest="template_action", required=True)

    def which(p: argparse.ArgumentParser) -> None:
        p.add_argument("vendor")
        p.add_argument("model", help="like T54W, or * for every model")
        p.add_argument("--file", default=MAC, choices=("mac", "common"))

    command(sub, "list", template_list, "list saved templates")
    which(command(sub, "show", template_show, "print a template"))
    saved = command(sub, "set", template_set, "check a template and save it")
    which(saved)
    saved.add_argument("template", help="template file, or - for standard input")
    fields_named(saved, {"body": "template"})
    which(command(sub, "reset", template_reset, "back to the built-in file"))
    preview = command(
        sub, "preview", template_preview, "print the file a template gives"
    )
    which(preview)
    preview.add_argument(
        "--template", help="an unsaved template file (default: the saved one)"
    )
    preview.add_argument("--mac", help="render for this phone, not a sample one")
    fields_named(preview, {"body": "template"})
