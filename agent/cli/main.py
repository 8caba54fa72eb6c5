"""``edgepbx``: the command line of the appliance.

Every subcommand calls the same service layer as the web admin and the REST
API. A refused request prints the field and the rule, exits with status 2
and changes nothing; ``--json`` prints machine-readable output instead.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import logging.handlers
import os
import re
import sys
from collections.abc import Collection
from typing import TYPE_CHECKING, NoReturn

from agent.accounts.roles import COMMAND_LINE, CONSOLE, Role
from agent.cli.output import padded, print_json
from agent.cli.parsers import (
    EXTENSION_ARGUMENT,
    command,
    fields_named,
    option_of,
    whole_number,
)
from agent.errors import InvalidInput, PbxError

if TYPE_CHECKING:
    from agent.appliance import Appliance
    from agent.extensions.service import ExtensionInfo
    from agent.settings import Settings

# The appliance, its services and the commands' modules are imported once
# the command line is read, and only what the command run needs: `edgepbx
# --help` or a mistyped option stays quick, on a small board too.

EXIT_OK = 0
EXIT_NOT_READY = 1
EXIT_REFUSED = 2
PRIVATE_UMASK = 0o077


# -- extension ------------------------------------------------------------------


def extension_add(app: Appliance, args: argparse.Namespace) -> int:
    password = _password_argument(args)
    created = app.extensions_as(CONSOLE).add(
        args.number,
        args.name,
        email=args.email,
        password=password,
        caller_id=_caller_id_arguments(args),
    )
    if args.json:
        print_json(
            created.extension.to_dict() | {"password": created.generated_password}
        )
        return EXIT_OK
    ext = created.extension
    print(f"extension {ext.number} ({ext.display_name}) added")
    if created.generated_password:
        print(f"SIP password: {created.generated_password}")
    return EXIT_OK


def extension_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = app.extensions_as(CONSOLE).list()
    if args.json:
        print_json([row.to_dict() for row in rows])
        return EXIT_OK
    if not rows:
        print("no extensions yet: edgepbx extension add NUMBER --name NAME")
        return EXIT_OK
    for row in rows:
        state = "" if row.enabled else "  (disabled)"
        email = row.email or "-"
        print(f"{row.number:>6}  {padded(row.display_name, 32)}  {email}{state}")
    return EXIT_OK


#: The caller ID options of extension add and set, each the service field
#: of its dest.
CALLER_ID_OPTIONS = (
    "outside_cid_number",
    "outside_cid_name",
    "internal_cid_name",
    "withhold_number",
)


def _caller_id_arguments(args: argparse.Namespace) -> dict:
    """The caller ID options given; "" sets a field back to its default."""
    return {
        name: getattr(args, name)
        for name in CALLER_ID_OPTIONS
        if getattr(args, name) is not None
    }


def _on_off(text: str) -> bool:
    if text not in {"on", "off"}:
        raise argparse.ArgumentTypeError("on or off")
    return text == "on"


def _caller_id_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--outside-cid-number",
        metavar="NUMBER",
        help="the number a carrier is given, 1 to 15 digits with an optional "
        "leading +; '' for the route's caller ID, else the trunk's main number",
    )
    parser.add_argument(
        "--outside-cid-name", metavar="NAME", help="the name a carrier is given"
    )
    parser.add_argument(
        "--internal-cid-name",
        metavar="NAME",
        help="the name other extensions' phones show; '' for the display name",
    )
    parser.add_argument(
        "--withhold-number",
        type=_on_off,
        metavar="on|off",
        help="outside calls go anonymous (the carrier keeps the number private)",
    )


def _print_caller_id(info: ExtensionInfo) -> None:
    print(f"outside CID {info.outside_cid_number or '(route or trunk)'}", end="")
    print(f"  {info.outside_cid_name}" if info.outside_cid_name else "")
    print(f"internal    {info.internal_cid_name or info.display_name}")
    print(f"withhold    {'yes' if info.withhold_number else 'no'}")


def extension_set(app: Appliance, args: argparse.Namespace) -> int:
    info = app.extensions_as(CONSOLE).update(
        args.number, display_name=args.name, caller_id=_caller_id_arguments(args)
    )
    if args.json:
        print_json(info.to_dict())
        return EXIT_OK
    print(f"extension   {info.number}")
    print(f"name        {info.display_name}")
    _print_caller_id(info)
    return EXIT_OK


def extension_set_pickup_group(app: Appliance, args: argparse.Namespace) -> int:
    info = app.extensions_as(CONSOLE).update(args.number, pickup_group=args.group)
    if args.json:
        print_json(info.to_dict())
    else:
        print(f"extension {info.number}: pickup group {info.pickup_group or 'none'}")
    return EXIT_OK


def extension_show(app: Appliance, args: argparse.Namespace) -> int:
    from agent.extensions import registrations
    from agent.sip.rpc import RpcError

    info = app.extensions_as(CONSOLE).get(args.number)
    try:
        regs = [r.to_dict() for r in registrations.current(app.kamailio, info.number)]
        reg_error = None
    except RpcError as exc:
        regs, reg_error = None, str(exc)
    if args.json:
        print_json(info.to_dict() | {"registrations": regs})
        return EXIT_OK
    print(f"extension   {info.number}")
    print(f"name        {info.display_name}")
    print(f"email       {info.email or '-'}")
    print(f"enabled     {'yes' if info.enabled else 'no'}")
    print(f"pickup      {info.pickup_group or '-'}")
    _print_caller_id(info)
    print(f"created     {info.created_at}")
    if regs is None:
        print(f"registered  unknown: {reg_error}")
    elif not regs:
        print("registered  no")
    else:
        for reg in regs:
            print(
                f"registered  {reg['contact']}  from {reg['source']}  "
                f"{reg['user_agent'] or '-'}  expires in {reg['expires_in_s']} s"
            )
    return EXIT_OK


def extension_remove(app: Appliance, args: argparse.Namespace) -> int:
    cleared = app.extensions_as(CONSOLE).remove(args.number)
    lines = [entry for entry in cleared if "line" in entry]
    keys = [entry for entry in cleared if "key" in entry]
    if args.json:
        print_json({"removed": args.number, "phone_lines": lines, "phone_keys": keys})
        return EXIT_OK
    print(f"extension {args.number} removed")
    for entry in cleared:
        mac = ":".join(entry["mac"][i : i + 2] for i in range(0, 12, 2))
        if "line" in entry:
            what = f"line {entry['line']}"
        else:
            label = f" ({entry['label']})" if entry["label"] else ""
            what = f"BLF key {entry['key']}{label}"
        print(f"phone {mac}: {what} was this extension and is now empty")
    return EXIT_OK


def extension_set_password(app: Appliance, args: argparse.Namespace) -> int:
    generated = app.extensions_as(CONSOLE).set_password(
        args.number, _password_argument(args)
    )
    if args.json:
        print_json({"number": args.number, "password": generated})
        return EXIT_OK
    print(f"extension {args.number}: SIP password changed")
    if generated:
        print(f"SIP password: {generated}")
    return EXIT_OK


def _password_argument(args: argparse.Namespace) -> str | None:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    return args.password


# -- admin accounts and API tokens ---------------------------------------------


def admin_reset_password(app: Appliance, args: argparse.Namespace) -> int:
    # The recovery console resets it too: the audit log tells the two apart.
    password = app.accounts.reset_password(COMMAND_LINE, args.username)
    # The account's own name, not the text typed: that may hold anything.
    username = app.accounts.get(CONSOLE, args.username).username
    if args.json:
        print_json({"username": username, "one_time_password": password})
        return EXIT_OK
    print(f"account {username}: password reset, every session ended")
    print(f"one-time password: {password}")
    print("it must be changed at the next sign-in")
    return EXIT_OK


def account_add(app: Appliance, args: argparse.Namespace) -> int:
    info, password = app.accounts.add(CONSOLE, args.username, args.role)
    if args.json:
        print_json(info.to_dict() | {"one_time_password": password})
        return EXIT_OK
    print(f"account {info.username} ({info.role}) added")
    print(f"one-time password: {password}")
    return EXIT_OK


def account_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = app.accounts.list(CONSOLE)
    if args.json:
        print_json([row.to_dict() for row in rows])
        return EXIT_OK
    for row in rows:
        pending = "  (one-time password not yet changed)"
        note = pending if row.must_change_password else ""
        print(f"{row.username:<32}  {row.role}{note}")
    return EXIT_OK


def token_create(app: Appliance, args: argparse.Namespace) -> int:
    from agent.accounts import tokens

    info, token = tokens.create(CONSOLE, args.role, args.name)
    if args.json:
        print_json(info.to_dict() | {"token": token})
        return EXIT_OK
    print(f"API token {info.id} ({info.name}, {info.role}) created; it is shown once:")
    print(token)
    return EXIT_OK


def token_list(app: Appliance, args: argparse.Namespace) -> int:
    from agent.accounts import tokens

    rows = tokens.list_tokens(CONSOLE)
    if args.json:
        print_json([row.to_dict() for row in rows])
        return EXIT_OK
    for row in rows:
        used = row.last_used_at or "never used"
        print(f"{row.id:>4}  {row.name:<24}  {row.role:<20}  {used}")
    return EXIT_OK


def token_revoke(app: Appliance, args: argparse.Namespace) -> int:
    from agent.accounts import tokens

    tokens.revoke(CONSOLE, args.id)
    if args.json:
        print_json({"revoked": args.id})
    else:
        print(f"API token {args.id} revoked")
    return EXIT_OK


# -- status, agent, run -----------------------------------------------------------


def status(app: Appliance, args: argparse.Namespace) -> int:
    from agent.status import appliance_status

    report = appliance_status(app)
    if args.json:
        print_json(report)
    else:
        print(f"ready         {'yes' if report['ready'] else 'no'}")
        agent = report["agent"]
        running = f"running, pid {agent['pid']}" if agent["running"] else "stopped"
        print(f"agent         {running}")
        for name, daemon in report["daemons"].items():
            word = "answering" if daemon["answering"] else "not answering"
            print(f"{name:<13} {word}")
        print(f"sip           {_sip_line(report['sip'])}")
        print(f"web admin     {report['web']['https']}")
        print(f"extensions    {report['extensions']}")
    return EXIT_OK if report["ready"] else EXIT_NOT_READY


def _sip_line(sip: dict) -> str:
    """Where phones register, as the status JSON gives it: the plain
    transports on one port, TLS on its own when it is offered."""
    plain = [name for name in sip["transports"] if name != "tls"]
    where = [f"{sip['address']} ({', '.join(plain)})"]
    if "tls" in sip["transports"]:
        where.append(f"{sip['tls_address']} (tls)")
    return f"{', '.join(where)}, domain {sip['domain']}"


def agent_command(app: Appliance, args: argparse.Namespace) -> int:
    from agent.supervisor.agent import Agent

    Agent(app).run()
    return EXIT_OK


def run_command(app: Appliance, args: argparse.Namespace) -> int:
    from agent.supervisor.agent import Agent
    from agent.welcome import print_welcome

    Agent(app).run(on_ready=lambda password: print_welcome(app, password))
    return EXIT_OK


# -- parser ---------------------------------------------------------------------

# Every command: its name, the one line `edgepbx --help` shows, and the
# module that declares its options and runs it ("main": this one). Only
# the module of the command being run is imported, and through it the
# services it needs; the others are named with their help alone.
# tests/test_cli_start.py checks each line against its module.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("run", "run the whole appliance in the foreground", "main"),
    ("agent", "supervise the daemons (as on the device)", "main"),
    ("status", "is every daemon answering", "main"),
    ("extension", "add, list, show and remove extensions", "main"),
    ("admin", "the web admin's sign-in", "main"),
    ("account", "people who sign in to the web admin", "main"),
    ("token", "API tokens for scripts", "main"),
    ("firmware", "check, install, commit and roll back firmware releases", "firmware"),
    ("backup", "make and restore backups", "backup"),
    (
        "provisioning",
        "serve phone configuration files over TFTP (as on the device); "
        "'provisioning site' shows or sets what every phone gets",
        "phones",
    ),
    ("phone", "desk phones provisioned by MAC address", "phones"),
    ("ban", "addresses the security jail blocks", "security"),
    ("jail", "when the jail bans: findtime, maxretry, …", "security"),
    ("firewall", "the appliance's nftables firewall", "security"),
    (
        "certificate",
        "the TLS certificate of the web admin and SIP over TLS",
        "security",
    ),
    ("role", "custom roles: view or edit per module", "people"),
    ("phonebook", "company phonebooks", "people"),
    ("contact", "company contacts", "people"),
    (
        "media",
        "run one media worker (voicemail, IVR) on a loopback SIP port",
        "media",
    ),
    ("voicemail", "voicemail boxes and their messages", "voicemail"),
    ("ivr", "auto-attendant (IVR) menus", "ivr"),
    ("conference", "conference rooms", "conference"),
    ("paging", "page groups", "paging"),
    ("queue", "call queues", "queue"),
    ("park", "call park: parked calls and slots", "park"),
    ("prompt", "prompts for IVR menus (WAV or MP3)", "prompt"),
    ("music", "music on hold (WAV or MP3)", "prompt"),
    ("greeting", "mailbox greetings from a file", "prompt"),
    ("mail", "the SMTP server mail is sent through", "mail"),
    ("event", "the event center and its notifications", "events"),
    ("webhook", "outgoing webhooks of events and calls", "events"),
    (
        "allowed-networks",
        "networks an extension may register and call from",
        "extension_networks",
    ),
    ("network", "addresses, VLAN, DNS, host name, NTP and time zone", "network"),
    (
        "console",
        "the recovery menu (serial port, SSH, or standard input)",
        "console",
    ),
    ("trunk", "SIP trunks to carriers", "trunks"),
    ("route", "outbound routes, tried in order", "trunks"),
    ("inbound", "inbound routes: DID to a destination", "trunks"),
    ("ringgroup", "ring groups: several extensions, one number", "trunks"),
    ("timecondition", "business hours, holidays, day/night", "trunks"),
    ("guard", "toll-fraud guards for outbound calls", "trunks"),
    ("cdr", "call detail records", "trunks"),
    ("speed-dial", "company speed dials (phones dial *0CODE)", "speed_dial"),
    ("storage", "disk usage by kind, retention and quotas, clean-up", "storage"),
    (
        "feature-codes",
        "what phones dial for each feature (*97, *78, ...)",
        "feature_codes",
    ),
    ("recording", "recorded calls: list and export", "recording"),
    (
        "monitor",
        "extensions, trunks, calls in progress and conference rooms, now",
        "monitor",
    ),
    ("report", "call reports, shown, as files, by mail", "report"),
    (
        "troubleshoot",
        "packet capture, SIP call flows, ping and traceroute",
        "troubleshoot",
    ),
    ("logs", "the appliance's logs, newest first", "troubleshoot"),
)


class _OneCommand:
    """Subparsers that keep one command's declaration and drop the others.

    A module declares several commands (trunks: trunk, route, cdr, ...);
    of those, only the one being run is wanted in full.
    """

    def __init__(self, sub: argparse._SubParsersAction, name: str) -> None:
        self._sub = sub
        self._name = name

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        if name == self._name:
            return self._sub.add_parser(name, **kwargs)
        return argparse.ArgumentParser(add_help=False)


def _dropped_subparsers() -> argparse._SubParsersAction:
    """Subparsers whose commands go nowhere."""
    return argparse.ArgumentParser(add_help=False).add_subparsers()


class UsageRefused(Exception):
    """A command line its parser refused (a missing or malformed argument):
    the parser that refused it and argparse's own message."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class _CommandParser(argparse.ArgumentParser):
    """argparse's parser, its refusals raised rather than printed: ``main``
    shows them, as JSON too when ``--json`` was typed. Every subcommand's
    parser is of this class, as argparse makes them of their parent's."""

    def error(self, message: str) -> NoReturn:
        raise UsageRefused(self, message)


# argparse names the argument it refuses at the start of its message
# ("argument --hour: …") or lists the ones missing ("the following
# arguments are required: --frequency, NAME").
_REFUSED_ARGUMENT = re.compile(r"^argument ([^:]+): ")
_MISSING_ARGUMENTS = "the following arguments are required: "


def _argument_refused(message: str) -> str | None:
    """The argument a refusal of argparse names, the first if it names
    several; the long option of one written ``-h/--help``."""
    named = _REFUSED_ARGUMENT.match(message)
    if named:
        return named.group(1).split("/")[-1]
    if message.startswith(_MISSING_ARGUMENTS):
        return message.removeprefix(_MISSING_ARGUMENTS).split(", ")[0]
    return None


def _usage_refused(refusal: UsageRefused, arguments: list[str]) -> int:
    """Show a refused command line: its usage and argparse's message on
    standard error, as argparse does; with ``--json`` also the JSON error
    every other refusal prints."""
    if "--json" in arguments:
        error = {
            "type": InvalidInput.kind,
            "field": _argument_refused(refusal.message),
            "message": refusal.message,
        }
        print_json({"error": error})
    refusal.parser.print_usage(sys.stderr)
    print(f"{refusal.parser.prog}: error: {refusal.message}", file=sys.stderr)
    return EXIT_REFUSED


def build_parser(only: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The parser of ``edgepbx``.

    Every command is declared in full, or with ``only`` just those named:
    the others then have their name and help, enough for ``--help`` and
    for the error of an unknown command, and their modules stay unimported.
    """
    parser = _CommandParser(
        prog="edgepbx", description="Run and manage the edgepbx phone system."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help, module in COMMANDS:
        if only is None or name in only:
            _declare(_OneCommand(sub, name), name, module)
        else:
            sub.add_parser(name, help=help)
    return parser


def _declare(sub: _OneCommand, name: str, module: str) -> None:
    if module == "main":
        _DECLARED_HERE[name](sub)
        return
    declaring = importlib.import_module(f"agent.cli.{module}")
    if module == "people":
        declaring.register(sub, command, _dropped_subparsers())
    elif module == "recording":
        declaring.register(sub, _dropped_subparsers())
    else:
        declaring.register(sub)


def _declare_run(sub: _OneCommand) -> None:
    command(sub, "run", run_command, "run the whole appliance in the foreground")


def _declare_agent(sub: _OneCommand) -> None:
    command(sub, "agent", agent_command, "supervise the daemons (as on the device)")


def _declare_status(sub: _OneCommand) -> None:
    p = command(sub, "status", status, "is every daemon answering")
    p.set_defaults(probes_agent=True)


def _declare_extension(sub: _OneCommand) -> None:
    from agent.cli import features as features_cli
    from agent.cli import people
    from agent.cli import recording as recording_cli

    ext = sub.add_parser("extension", help="add, list, show and remove extensions")
    ext_sub = ext.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = command(ext_sub, "add", extension_add, "add an extension")
    # The extension's number is named "extension" in --help and in a
    # refusal, as the README, the API and the pages name it.
    add.add_argument("number", metavar="extension", help="its number, 2 to 6 digits")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--email", help="e-mail address for voicemail and notices")
    _password_options(add)
    _caller_id_options(add)
    fields_named(add, EXTENSION_ARGUMENT)

    change = command(
        ext_sub, "set", extension_set, "change an extension's name and caller ID"
    )
    change.add_argument("number", metavar="extension")
    change.add_argument("--name", help="display name")
    _caller_id_options(change)
    fields_named(change, EXTENSION_ARGUMENT | {"name": "name"})

    command(ext_sub, "list", extension_list, "list extensions")
    show = command(ext_sub, "show", extension_show, "show one extension and its phones")
    show.add_argument("number", metavar="extension")
    fields_named(show, EXTENSION_ARGUMENT)
    remove = command(ext_sub, "remove", extension_remove, "remove an extension")
    remove.add_argument("number", metavar="extension")
    fields_named(remove, EXTENSION_ARGUMENT)
    setpw = command(
        ext_sub, "set-password", extension_set_password, "change the SIP password"
    )
    setpw.add_argument("number", metavar="extension")
    _password_options(setpw)
    fields_named(setpw, EXTENSION_ARGUMENT)
    pickup = command(
        ext_sub,
        "set-pickup-group",
        extension_set_pickup_group,
        "put the extension in a call pickup group (empty: in none)",
    )
    pickup.add_argument("number", metavar="extension")
    pickup.add_argument("group", help="letters, digits, - and _; '' for none")
    fields_named(pickup, EXTENSION_ARGUMENT | {"pickup group": "group"})
    features_cli.register(ext_sub)
    people.register(sub, command, ext_sub)
    recording_cli.register(sub, ext_sub)


def _roles() -> str:
    return ", ".join(r.value for r in Role)


def _declare_admin(sub: _OneCommand) -> None:
    admin = sub.add_parser("admin", help="the web admin's sign-in")
    admin_sub = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    reset = command(
        admin_sub,
        "reset-password",
        admin_reset_password,
        "give an account a new one-time password and end its sessions",
    )
    reset.add_argument("username", nargs="?", default="admin")


def _declare_account(sub: _OneCommand) -> None:
    from agent.cli import people

    account = sub.add_parser("account", help="people who sign in to the web admin")
    account_sub = account.add_subparsers(dest="action", required=True, metavar="ACTION")
    acc_add = command(
        account_sub, "add", account_add, "add an account with a one-time password"
    )
    acc_add.add_argument("username")
    acc_add.add_argument("--role", required=True, help=f"{_roles()} or custom")
    command(account_sub, "list", account_list, "list accounts")
    people.register_account(account_sub, command)


def _declare_token(sub: _OneCommand) -> None:
    token = sub.add_parser("token", help="API tokens for scripts")
    token_sub = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = command(token_sub, "create", token_create, "create an API token")
    create.add_argument("--role", required=True, help=f"{_roles()} or custom")
    create.add_argument("--name", default="api", help="what the token is for")
    command(token_sub, "list", token_list, "list API tokens (never the tokens)")
    revoke = command(token_sub, "revoke", token_revoke, "revoke an API token")
    revoke.add_argument("id", type=whole_number)


_DECLARED_HERE = {
    "run": _declare_run,
    "agent": _declare_agent,
    "status": _declare_status,
    "extension": _declare_extension,
    "admin": _declare_admin,
    "account": _declare_account,
    "token": _declare_token,
}


def _password_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--password", help="SIP password (a strong one is generated if omitted)"
    )
    group.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the SIP password from the first line of standard input",
    )


# The long-running commands whose lines the log viewer reads from a file
# when journald does not keep them (agent/troubleshoot/logs.py).
LOGS_TO_FILE = {"run", "agent", "media"}
LOG_FILE_BYTES = 2_000_000
LOG_FILE_KEPT = 2


def _log_to_file(settings: Settings) -> None:
    """Also write the log to logs/edgepbx.log, unless journald keeps it.

    The agent and its media workers share the file. Rotation is not
    coordinated between them: a worker that rotates while another writes
    can lose that other's next lines until it reopens the file; only
    ``make run`` writes this file, the device keeps its lines in journald.
    """
    if os.environ.get("JOURNAL_STREAM"):
        return
    from agent.troubleshoot import logs as troubleshoot_logs

    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        settings.logs_dir / troubleshoot_logs.LOG_FILE,
        maxBytes=LOG_FILE_BYTES,
        backupCount=LOG_FILE_KEPT,
    )
    handler.setFormatter(logging.Formatter(troubleshoot_logs.FILE_FORMAT))
    logging.getLogger().addHandler(handler)


def _undecodable_argument(argv: list[str]) -> int | None:
    """The position of the first argument that is not UTF-8 text, if any.

    Python hands such bytes over as lone surrogates; stored, they would fail
    deep inside SQLite instead of at the boundary.
    """
    for position, value in enumerate(argv, start=1):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return position
    return None


def _name_each_command_its_parser(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                sub.set_defaults(command_parser=sub)
                _name_each_command_its_parser(sub)


def _command_named(arguments: list[str]) -> set[str]:
    """The command a call runs: its first argument that is not an option
    (none for ``edgepbx --help``)."""
    named = next((a for a in arguments if not a.startswith("-")), None)
    return {named} if named else set()


def _as_typed(refusal: InvalidInput, args: argparse.Namespace) -> InvalidInput:
    """The refusal naming the option the user typed (``--ring-time``), or
    the positional argument as ``--help`` shows it, not the API's field
    (``ring_s``): a command's own parser says which is which."""
    parser = getattr(args, "command_parser", None)
    option = option_of(parser, refusal.field) if parser and refusal.field else None
    if option is None or option == refusal.field:
        return refusal
    return refusal.renamed(option)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    bad = _undecodable_argument(arguments)
    if bad is not None:
        print(f"edgepbx: argument {bad}: not valid UTF-8 text", file=sys.stderr)
        return EXIT_REFUSED
    parser = build_parser(_command_named(arguments))
    _name_each_command_its_parser(parser)
    try:
        args, unknown = parser.parse_known_args(arguments)
        if unknown:
            # Said by the command's own parser, with that command's usage.
            getattr(args, "command_parser", parser).error(
                f"unrecognized arguments: {' '.join(unknown)}"
            )
    except UsageRefused as refusal:
        return _usage_refused(refusal, arguments)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)-7s %(message)s",
        datefmt="%H:%M:%S",
    )
    # Databases, keys and sockets are for this user alone.
    os.umask(PRIVATE_UMASK)
    from agent.appliance import Appliance
    from agent.settings import Settings

    try:
        settings = Settings.from_environment()
        if getattr(args, "probes_agent", False):
            settings = settings.where_agent_listens()
        if getattr(args, "opens_own_data", False):
            # Recovery commands: they must work with the database damaged.
            return args.handler(settings, args)
        starts_appliance = args.command in {"run", "agent"}
        if args.command in LOGS_TO_FILE:
            _log_to_file(settings)
        app = Appliance.open(
            settings, create=starts_appliance or settings.data_dir_chosen
        )
        try:
            return args.handler(app, args)
        finally:
            app.close()
    except BrokenPipeError:
        # The reader went away (`edgepbx extension list | head`): not an error.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- until exit
        return EXIT_OK
    except OSError as exc:
        print(f"edgepbx: {exc.filename or 'data'}: {exc.strerror}", file=sys.stderr)
        return EXIT_REFUSED
    except PbxError as exc:
        if isinstance(exc, InvalidInput):
            exc = _as_typed(exc, args)
        if getattr(args, "json", False):
            error = {"type": exc.kind, "field": exc.field, "message": str(exc)}
            rows = getattr(exc, "errors", None)
            if rows and hasattr(rows[0], "to_dict"):
                error["rows"] = [row.to_dict() for row in rows]
            print_json({"error": error})
        print(f"edgepbx: {exc}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
