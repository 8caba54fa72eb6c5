"""``edgepbx role …``, ``edgepbx account …`` additions, ``edgepbx contact …``,
``edgepbx phonebook …`` and ``edgepbx extension import``."""

from __future__ import annotations

import argparse

from agent.accounts import custom_roles
from agent.accounts.roles import CONSOLE, MODULES
from agent.appliance import Appliance
from agent.cli.output import print_json
from agent.cli.parsers import fields_named, text_file
from agent.contacts.service import ContactService, visible_to_extension
from agent.errors import InvalidInput
from agent.extensions.service import import_csv
from agent.wording import counted

EXIT_OK = 0


def read_file(name: str) -> str:
    """A CSV file named on the command line, or standard input for "-"."""
    return text_file(name)


def _modules(pairs: list[str]) -> dict[str, str]:
    modules = {}
    for pair in pairs or []:
        module, sep, level = pair.partition("=")
        if not sep:
            raise InvalidInput("module", pair, "MODULE=none|view|edit")
        module = module.strip()
        if module in modules:
            raise InvalidInput("module", module, "given twice; give each module once")
        modules[module] = level.strip()
    return modules


# -- roles -------------------------------------------------------------------------


def role_add(app: Appliance, args: argparse.Namespace) -> int:
    info = custom_roles.create(
        CONSOLE, args.name, _modules(args.module), args.extensions, args.description
    )
    if args.json:
        print_json(info.to_dict())
    else:
        print(f"role {info.name} added")
    return EXIT_OK


def role_set(app: Appliance, args: argparse.Namespace) -> int:
    info = custom_roles.update(
        CONSOLE,
        args.name,
        modules=_modules(args.module) if args.module else None,
        extension_ranges=args.extensions,
        description=args.description,
        all_extensions=args.all_extensions,
    )
    if args.json:
        print_json(info.to_dict())
    else:
        print(f"role {info.name} changed")
    return EXIT_OK


def role_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = custom_roles.list_roles(CONSOLE)
    if args.json:
        print_json([r.to_dict() for r in rows])
        return EXIT_OK
    if not rows:
        print("no custom roles: edgepbx role add NAME --module extensions=view")
    for r in rows:
        granted = ", ".join(
            f"{m} {lvl}" for m, lvl in r.modules.items() if lvl != "none"
        )
        scope = r.extension_ranges or "all"
        print(f"{r.name:<24}  {granted or 'nothing'}; extensions {scope}")
    return EXIT_OK


def role_remove(app: Appliance, args: argparse.Namespace) -> int:
    custom_roles.remove(CONSOLE, args.name)
    if args.json:
        print_json({"removed": args.name})
    else:
        print(f"role {args.name} removed")
    return EXIT_OK


# -- accounts ------------------------------------------------------------------------


def account_portal(app: Appliance, args: argparse.Namespace) -> int:
    # The mail layer is imported here: every extension command loads this module.
    from agent.accounts import portal_mail

    info, password = app.accounts.add_portal_user(CONSOLE, args.number)
    mailed = portal_mail.send_credentials(app.key, info, password)
    if args.json:
        print_json(info.to_dict() | {"one_time_password": password, "mailed": mailed})
        return EXIT_OK
    print(f"portal account {info.username} for extension {info.extension} added")
    print(f"one-time password: {password}")
    print(f"sign-in details {portal_mail.OUTCOMES[mailed]}")
    return EXIT_OK


def account_set_role(app: Appliance, args: argparse.Namespace) -> int:
    info = app.accounts.set_role(CONSOLE, args.username, args.role)
    if args.json:
        print_json(info.to_dict())
    else:
        print(f"account {info.username} is now {info.role}; its sessions ended")
    return EXIT_OK


def account_remove(app: Appliance, args: argparse.Namespace) -> int:
    username = app.accounts.get(CONSOLE, args.username).username
    app.accounts.remove(CONSOLE, username)
    if args.json:
        print_json({"removed": username})
    else:
        print(f"account {username} removed")
    return EXIT_OK


# -- extensions, contacts ----------------------------------------------------


def extension_import(app: Appliance, args: argparse.Namespace) -> int:
    created = import_csv(app.extensions_as(CONSOLE), read_file(args.file))
    if args.json:
        print_json(
            [
                c.extension.to_dict() | {"password": c.generated_password}
                for c in created
            ]
        )
        return EXIT_OK
    print(f"{counted(len(created), 'extension')} imported")
    for c in created:
        if c.generated_password:
            print(f"{c.extension.number:>6}  SIP password: {c.generated_password}")
    return EXIT_OK


def phonebook_add(app: Appliance, args: argparse.Namespace) -> int:
    info = ContactService(CONSOLE).create_phonebook(args.name, args.visible_to)
    if args.json:
        print_json(info.to_dict())
    else:
        print(f"phonebook {info.name} added, visible to {info.visible_to or 'all'}")
    return EXIT_OK


def phonebook_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = ContactService(CONSOLE).phonebooks()
    if args.json:
        print_json([r.to_dict() for r in rows])
        return EXIT_OK
    for r in rows:
        shown = r.visible_to or "all"
        contacts = counted(r.contacts, "contact")
        print(f"{r.name:<32}  {contacts:>14}  visible to {shown}")
    return EXIT_OK


def contact_import(app: Appliance, args: argparse.Namespace) -> int:
    added = ContactService(CONSOLE).import_csv(args.phonebook, read_file(args.file))
    if args.json:
        print_json([c.to_dict() for c in added])
    else:
        print(f"{counted(len(added), 'contact')} imported into {args.phonebook}")
    return EXIT_OK


def contact_list(app: Appliance, args: argparse.Namespace) -> int:
    if args.phonebook:
        rows = ContactService(CONSOLE).contacts(args.phonebook, args.search or "")
    else:
        rows = visible_to_extension(args.extension)
    if args.json:
        print_json([c.to_dict() for c in rows])
        return EXIT_OK
    for c in rows:
        print(f"{c.name:<32}  {c.number:<20}  {c.company}")
    return EXIT_OK


def register(sub, command, ext_sub) -> None:
    """Add the subcommands to the parser of agent.cli.main."""
    modules = ", ".join(MODULES)
    role = sub.add_parser("role", help="custom roles: view or edit per module")
    role_sub = role.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, handler, text in (
        ("add", role_add, "add a custom role"),
        ("set", role_set, "change a custom role"),
    ):
        p = command(role_sub, name, handler, text)
        p.add_argument("name")
        p.add_argument(
            "--module",
            action="append",
            metavar="MODULE=LEVEL",
            help=f"none, view or edit for one of {modules} (repeatable)",
        )
        p.add_argument(
            "--extensions", help='only these extension numbers, e.g. "100-199,300"'
        )
        p.add_argument("--description", default="" if name == "add" else None)
        if name == "set":
            p.add_argument(
                "--all-extensions", action="store_true", help="see every extension"
            )
        fields_named(p, {"modules": "module", "extension_ranges": "extensions"})
    command(role_sub, "list", role_list, "list custom roles")
    p = command(role_sub, "remove", role_remove, "remove a custom role no one holds")
    p.add_argument("name")

    book = sub.add_parser("phonebook", help="company phonebooks")
    book_sub = book.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = command(book_sub, "add", phonebook_add, "add a phonebook")
    p.add_argument("name")
    p.add_argument(
        "--visible-to", help='extension ranges, e.g. "100-199"; all if left out'
    )
    command(book_sub, "list", phonebook_list, "list phonebooks")

    contact = sub.add_parser("contact", help="company contacts")
    contact_sub = contact.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = command(
        contact_sub,
        "import",
        contact_import,
        "import contacts from CSV (name,company,number,email); all or nothing",
    )
    p.add_argument("phonebook")
    p.add_argument("file", help="CSV file, or - for standard input")
    p = command(contact_sub, "list", contact_list, "list contacts")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--phonebook", help="the contacts of one phonebook")
    group.add_argument("--extension", help="every contact this extension's phones see")
    p.add_argument("--search")

    p = command(
        ext_sub,
        "import",
        extension_import,
        "import extensions from CSV (number,display_name,email,password); "
        "all or nothing",
    )
    p.add_argument("file", help="CSV file, or - for standard input")


def register_account(account_sub, command) -> None:
    p = command(
        account_sub,
        "portal",
        account_portal,
        "give an extension's user a portal account",
    )
    p.add_argument("number")
    p = command(
        account_sub, "set-role", account_set_role, "give an account another role"
    )
    p.add_argument("username")
    p.add_argument("--role", required=True)
    p = command(account_sub, "remove", account_remove, "remove an account")
    p.add_argument("username")
