"""``edgepbx allowed-networks``: where each extension may register from.

The same service as the extension's security settings in the web admin and
``/api/v1/extensions/{number}/allowed-networks``
(``agent.security.extension_networks``).
"""

from __future__ import annotations

import argparse
import json
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.security.extension_networks import (
    ExtensionNetworks,
    ExtensionNetworkService,
)

EXIT_OK = 0


def _show(entry: ExtensionNetworks, as_json: bool) -> None:
    if as_json:
        print(json.dumps(entry.to_dict(), indent=2))
    elif entry.networks:
        print(f"{entry.number}: only from {', '.join(entry.networks)}")
    else:
        print(f"{entry.number}: from anywhere")


def networks_list(app: Appliance, args: argparse.Namespace) -> int:
    entries = ExtensionNetworkService(CONSOLE).restricted()
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2))
        return EXIT_OK
    if not entries:
        print("every extension may register from anywhere")
    for entry in entries:
        _show(entry, False)
    return EXIT_OK


def networks_show(app: Appliance, args: argparse.Namespace) -> int:
    _show(ExtensionNetworkService(CONSOLE).get(args.number), args.json)
    return EXIT_OK


def networks_set(app: Appliance, args: argparse.Namespace) -> int:
    _show(ExtensionNetworkService(CONSOLE).set(args.number, args.networks), args.json)
    return EXIT_OK


def networks_clear(app: Appliance, args: argparse.Namespace) -> int:
    _show(ExtensionNetworkService(CONSOLE).set(args.number, []), args.json)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``edgepbx allowed-networks`` to the edgepbx parser."""
    top = sub.add_parser(
        "allowed-networks",
        help="networks an extension may register and call from",
        description="Requests with the right password from anywhere else "
        "get 403 and count as failures for the jail.",
    )
    actions = top.add_subparsers(dest="action", required=True, metavar="ACTION")

    command = partial(parsers.command, actions)

    command("list", networks_list, "extensions limited to some networks")
    show = command("show", networks_show, "one extension's networks")
    show.add_argument("number", metavar="extension")
    parsers.fields_named(show, parsers.EXTENSION_ARGUMENT)
    setter = command("set", networks_set, "limit an extension to these networks")
    setter.add_argument("number", metavar="extension")
    setter.add_argument(
        "networks", nargs="+", metavar="NET", help="addresses or CIDR networks"
    )
    parsers.fields_named(
        setter, parsers.EXTENSION_ARGUMENT | {"allowed_networks": "networks"}
    )
    clear = command("clear", networks_clear, "let an extension register from anywhere")
    clear.add_argument("number", metavar="extension")
    parsers.fields_named(clear, parsers.EXTENSION_ARGUMENT)
