"""``edgepbx phone …`` (the phone inventory) and ``edgepbx provisioning``
(the TFTP server daemon)."""

from __future__ import annotations

import argparse
import sys

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import phone_firmware, phone_seen, phone_templates
from agent.cli.output import columns, print_json
from agent.cli.parsers import command, text_file
from agent.errors import NotFound
from agent.provisioning.credentials import CredentialService
from agent.provisioning.inventory import PhoneInfo, PhoneService
from agent.provisioning.keys import (
    PhoneKeyService,
    key_spec,
    parse_key_spec,
    parse_override,
)
from agent.provisioning.site import LANGUAGES, TRANSPORTS, SiteSettingsService
from agent.provisioning.vendors import VENDORS
from agent.wording import counted

EXIT_OK = 0


def _phones(app: Appliance) -> PhoneService:
    return PhoneService(app.key, CONSOLE)


def phone_add(app: Appliance, args: argparse.Namespace) -> int:
    info = _phones(app).add(args.mac, args.vendor, args.model, args.extension)
    if args.json:
        print_json(info.to_dict())
    else:
        lines = ", ".join(info.extensions)
        print(f"phone {info.mac} ({info.vendor} {info.model}) added, lines: {lines}")
    return EXIT_OK


def phone_import(app: Appliance, args: argparse.Namespace) -> int:
    text = text_file(args.file)
    added = _phones(app).import_csv(text)
    if args.json:
        print_json([info.to_dict() for info in added])
    else:
        print(f"{counted(len(added), 'phone')} imported")
    return EXIT_OK


def phone_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = _phones(app).list()
    if args.json:
        print_json([row.to_dict() for row in rows])
        return EXIT_OK
    if not rows:
        print("no phones yet: edgepbx phone add MAC --vendor V --model M --extension N")
    listed = [
        [
            row.mac,
            row.vendor,
            row.model,
            " ".join(row.extensions) or "-",
            row.last_request_at or "never fetched",
        ]
        for row in rows
    ]
    for line in columns(listed):
        print(line)
    return EXIT_OK


def phone_show(app: Appliance, args: argparse.Namespace) -> int:
    phones = _phones(app)
    info = phones.get(args.mac)
    password = phones.admin_password(info.mac) if args.admin_password else None
    if args.json:
        extra = {"admin_password": password} if password else {}
        print_json(info.to_dict() | extra)
        return EXIT_OK
    _print_phone(info)
    if password:
        print(f"admin pw    {password}")
    return EXIT_OK


def _print_phone(info: PhoneInfo) -> None:
    print(f"phone       {info.mac}")
    print(f"vendor      {info.vendor} {info.model}")
    print(f"lines       {', '.join(info.extensions)}")
    print(f"version     {info.config_version}")
    if info.last_request_at:
        print(
            f"last fetch  {info.last_request_file} at {info.last_request_at} "
            f"from {info.last_request_ip} ({info.last_user_agent or '-'})"
        )
    else:
        print("last fetch  never")


def phone_remove(app: Appliance, args: argparse.Namespace) -> int:
    _phones(app).remove(args.mac)
    if args.json:
        print_json({"removed": args.mac})
    else:
        print(f"phone {args.mac} removed")
    return EXIT_OK


def phone_keys(app: Appliance, args: argparse.Namespace) -> int:
    service = PhoneKeyService(CONSOLE)
    if args.key or args.clear:
        specs = [] if args.clear else args.key
        keys = service.set_keys(
            args.mac, [parse_key_spec(spec, n) for n, spec in enumerate(specs, 1)]
        )
    else:
        keys = service.keys(args.mac)
    if args.json:
        print_json([key.to_dict() for key in keys])
        return EXIT_OK
    if not keys:
        print(f"phone {args.mac}: no programmable keys")
    for key in keys:
        print(f"{key.position:>3}  {key_spec(key)}")
    return EXIT_OK


def phone_override(app: Appliance, args: argparse.Namespace) -> int:
    service = PhoneKeyService(CONSOLE)
    values = {} if args.clear else service.overrides(args.mac)
    changed = args.clear or args.setting or args.unset
    for setting in args.setting:  # one argument, one setting, newlines and all
        values |= parse_override(setting)
    for name in args.unset:
        values.pop(name, None)
    if changed:
        values = service.set_overrides(args.mac, values)
    if args.json:
        print_json(values)
        return EXIT_OK
    if not values:
        print(f"phone {args.mac}: no overrides")
    for name, value in values.items():
        print(f"{name} = {value}")
    return EXIT_OK


def phone_auth(app: Appliance, args: argparse.Namespace) -> int:
    service = CredentialService(app.key, CONSOLE)
    if args.mode:
        shown = service.set_mode(args.mac, args.mode)
    elif args.renew:
        shown = service.renew_password(args.mac)
    else:
        shown = service.credentials(args.mac)
    if args.json:
        print_json(shown.to_dict())
        return EXIT_OK
    print(f"mode      {shown.mode} (in effect: {shown.effective_mode})")
    print(f"user      {shown.username}")
    print(f"password  {shown.password or 'none yet: set a mode to make one'}")
    return EXIT_OK


def provisioning_auth(app: Appliance, args: argparse.Namespace) -> int:
    service = CredentialService(app.key, CONSOLE)
    mode = service.set_site_mode(args.mode) if args.mode else service.site_mode()
    if args.json:
        print_json({"mode": mode})
    else:
        print(f"provisioning credentials for phones that follow the site: {mode}")
    return EXIT_OK


def phone_file(app: Appliance, args: argparse.Namespace) -> int:
    from agent.provisioning.tree import FileMissing, ProvisioningTree

    try:
        file = ProvisioningTree(app).preview(args.name, CONSOLE)
    except FileMissing:
        raise NotFound(
            f'file "{args.name}": not in the provisioning tree', field="name"
        ) from None
    sys.stdout.write(file.content.decode("utf-8", errors="replace"))
    return EXIT_OK


def provisioning_command(app: Appliance, args: argparse.Namespace) -> int:
    from provisioning_server.daemon import serve

    serve(app)
    return EXIT_OK


def provisioning_site(app: Appliance, args: argparse.Namespace) -> int:
    service = SiteSettingsService(CONSOLE)
    given = {
        name: getattr(args, name)
        for name in ("time_zone", "ntp_server", "language", "transport")
        if getattr(args, name) is not None
    }
    if args.follow_appliance_time_zone:
        given["time_zone"] = None
    shown = service.update(given) if given else service.get()
    if args.json:
        print_json(shown.to_dict())
        return EXIT_OK
    followed = "" if shown.time_zone_set else " (the appliance's)"
    print(f"time zone   {shown.time_zone}{followed}")
    print(f"NTP server  {shown.ntp_server}")
    print(f"language    {shown.language}")
    print(f"transport   {shown.transport}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    provisioning = command(
        sub,
        "provisioning",
        provisioning_command,
        "serve phone configuration files over TFTP (as on the device); "
        "'provisioning site' shows or sets what every phone gets",
    )
    provisioning_sub = provisioning.add_subparsers(
        dest="provisioning_action", metavar="ACTION"
    )
    site = command(
        provisioning_sub,
        "site",
        provisioning_site,
        "show or set every phone's time zone, NTP server, language, transport",
    )
    zone = site.add_mutually_exclusive_group()
    zone.add_argument("--time-zone", help="IANA time zone, like Europe/Berlin")
    zone.add_argument(
        "--follow-appliance-time-zone",
        action="store_true",
        help="the phones follow the appliance's own time zone (as --time-zone '')",
    )
    site.add_argument("--ntp-server", help="host name or IP address")
    site.add_argument("--language", help=", ".join(LANGUAGES))
    site.add_argument("--transport", help=", ".join(TRANSPORTS))
    phone = sub.add_parser("phone", help="desk phones provisioned by MAC address")
    phone_sub = phone.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = command(phone_sub, "add", phone_add, "add a phone to provision")
    add.add_argument("mac", help="MAC address, any case, ':' or '-' allowed")
    add.add_argument(
        "--vendor", required=True, help=", ".join(sorted(VENDORS)) + " (or poly)"
    )
    add.add_argument(
        "--model", required=True, help="model, like T54W, VVX450, E350 or GXP2170"
    )
    add.add_argument(
        "--extension",
        required=True,
        action="append",
        help="extension on the next line (repeat for more lines)",
    )
    imp = command(
        phone_sub,
        "import",
        phone_import,
        "add phones from a CSV file (mac,vendor,model,extension); all or none",
    )
    imp.add_argument("file", help="CSV file, or - for standard input")
    command(phone_sub, "list", phone_list, "list phones")
    show = command(phone_sub, "show", phone_show, "show one phone")
    show.add_argument("mac")
    show.add_argument(
        "--admin-password",
        action="store_true",
        help="also print the password of the phone's own web page",
    )
    remove = command(phone_sub, "remove", phone_remove, "remove a phone")
    remove.add_argument("mac")
    phone_templates.register(phone_sub, command)
    phone_firmware.register(phone_sub, command)
    phone_seen.register(phone_sub, command)

    file = command(
        phone_sub,
        "file",
        phone_file,
        "print a provisioning file as a phone would fetch it now",
    )
    file.add_argument("name", help="file name, like 805ec0aabbcc.cfg")
    keys = command(
        phone_sub,
        "keys",
        phone_keys,
        "show or set a phone's programmable keys (line, BLF, park slot)",
    )
    keys.add_argument("mac")
    keys.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KIND:TARGET[:LABEL][@LINE]",
        help="key 1, 2, … in order: blf:102, park:7001:Park 1, line:2 (replaces all)",
    )
    keys.add_argument("--clear", action="store_true", help="remove every key")
    override = command(
        phone_sub,
        "override",
        phone_override,
        "show or change settings written last into a phone's file",
    )
    override.add_argument("mac")
    override.add_argument(
        "setting", nargs="*", default=[], help="NAME=VALUE in the vendor's names"
    )
    override.add_argument("--unset", action="append", default=[], metavar="NAME")
    override.add_argument("--clear", action="store_true", help="remove every one")
    auth = command(
        phone_sub,
        "auth",
        phone_auth,
        "show or set a phone's HTTP digest credentials for /prov/",
    )
    auth.add_argument("mac")
    auth.add_argument(
        "--mode", choices=("site", "off", "optional", "required"), default=None
    )
    auth.add_argument("--renew", action="store_true", help="a new random password")
    site_auth = command(
        phone_sub,
        "site-auth",
        provisioning_auth,
        "show or set the credentials mode of phones that follow the site",
    )
    site_auth.add_argument(
        "--mode", choices=("off", "optional", "required"), default=None
    )
